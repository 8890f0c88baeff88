"""The GrapesJS visual editor in a real Chromium: convert a design, build an email from the
issue's blocks, save it, preview it in the sandboxed frame, and test-send it through the
real outbound path into an aiosmtpd server."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from mailsoftly.designs.defaults import blank_source
from mailsoftly.designs.models import Design, DesignVersion, SourceKind
from mailsoftly.designs.selectors import media_public_url
from mailsoftly.designs.visualdoc import visual_parse
from tests.designs.factories import make_design
from tests.designs.test_browser import _signed_in
from tests.designs.test_media import upload_image

pytestmark = pytest.mark.browser

# The blocks and the editor's block id for each (preset ones and our own).
REQUIRED_BLOCKS = {
    "text": "text",
    "image": "image",
    "button": "button",
    "columns": "sect50",
    "divider": "divider",
    "spacer": "spacer",
    "social links": "social-links",
    "footer with unsubscribe": "footer-unsubscribe",
}


@pytest.fixture
def sink(smtp_server, settings):
    settings.SENDING_SMTP_URL = smtp_server.url
    return smtp_server


def _drag_block(page, block_id: str) -> None:
    label = page.evaluate(
        "(id) => editor.I18n.t(`blockManager.labels.${id}`) || editor.Blocks.get(id).getLabel()",
        block_id,
    )
    # Dropping selects the new block and shows its styles: back to the blocks panel.
    blocks_button = page.locator('.gjs-pn-views [title="Open Blocks"]')
    if "gjs-pn-active" not in (blocks_button.get_attribute("class") or ""):
        blocks_button.click()
    block = page.locator(".gjs-block").filter(
        has=page.locator(".gjs-block-label").get_by_text(label, exact=True)
    )
    count = "() => editor.getWrapper().find('*').length"
    before = page.evaluate(count)
    source = block.bounding_box()
    assert source, f"block {block_id} ({label}) is not visible"
    frame = page.locator("#gjs iframe.gjs-frame").bounding_box()
    # The empty body below the email: the new block goes last.
    target_x, target_y = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] - 60
    placeholder = page.locator(".gjs-placeholder:visible")
    # On a loaded machine Chromium sometimes starts the native drag too late for the
    # first moves, and the drop is lost: the whole gesture is then made again (3 tries).
    for _attempt in range(3):
        page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
        page.mouse.down()
        page.mouse.move(source["x"] + source["width"] / 2 - 10, source["y"] + 10, steps=4)
        for step in range(10, -1, -1):
            page.mouse.move(target_x + step * 8, target_y - step * 6, steps=3)
        # Drop only once GrapesJS shows where the block will go (its placeholder line).
        for wiggle in range(20):
            if placeholder.count():
                break
            page.mouse.move(target_x + wiggle % 2, target_y, steps=2)
        page.mouse.up()
        try:
            page.wait_for_function(f"() => ({count})() > {before}", timeout=3_000)
        except PlaywrightTimeout:
            continue
        return
    pytest.fail(f"dropping the {block_id} block added nothing")


def _open_converted_editor(page, design):
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.goto(f"/designs/{design.pk}/visual/")
    page.get_by_text("Convert to a visual design?").wait_for()
    page.get_by_role("link", name="Convert and open the visual editor").click()
    page.wait_for_function("() => window.editor && window.editor.getWrapper()")
    return page.frame_locator("#gjs iframe.gjs-frame")


def test_build_preview_and_test_send_a_visual_email(
    browser_page, live_server, user, workspace, sink
):
    """Builds the email in the editor, then previews and test-sends it.

    Every required block is dragged from the panel into the canvas with ``page.mouse``
    (real drag-and-drop: GrapesJS takes it through Chromium's native HTML5 drag events,
    which fire headless as long as the block is inside the viewport, hence the tall
    window). The picture is picked from the media library in the editor's image picker.
    Text and a CSS class rule are then set through the editor's public API, as typing in
    the rich-text editor and the style manager would.
    """
    picture = media_public_url(upload_image(workspace, user))
    design = make_design(
        workspace,
        user,
        name="Visual launch",
        subject="Launch {{ contact.first_name }}",
        from_name="Acme News",
        from_email="news@acme.example",
        source_kind=SourceKind.HTML,
        source="<p>Existing intro</p>",
    )
    page = _signed_in(browser_page, live_server, user, workspace)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    canvas = _open_converted_editor(page, design)
    canvas.get_by_text("Existing intro").wait_for()

    # Every block the issue asks for is offered; the preset's blocks that fetch sample
    # images from an outside service are not.
    offered = page.evaluate("() => editor.BlockManager.getAll().map((b) => b.getId())")
    for name, block_id in REQUIRED_BLOCKS.items():
        assert block_id in offered, name
    assert not {"grid-items", "list-items"} & set(offered)
    panel = page.locator(".gjs-block")
    for label in ("Text", "Image", "Button", "Columns (2)", "Divider", "Spacer", "Social links"):
        assert panel.filter(has_text=label).count() >= 1, label
    assert panel.filter(has_text="Footer with unsubscribe").count() == 1

    # Real drags, one per block, from the panel into the canvas.
    for block_id in REQUIRED_BLOCKS.values():
        _drag_block(page, block_id)
        # The image block may open the asset manager at once; close it like Escape would.
        page.evaluate("() => editor.Modal.isOpen() && editor.Modal.close()")
    html = page.evaluate("() => editor.getHtml() + editor.getCss()")
    assert 'href="{{ unsubscribe_url }}"' in html and "LinkedIn" in html
    assert "height:32px" in html.replace(" ", "")

    # The picture: double-click the image, pick the upload from the media library.
    page.evaluate("() => editor.Modal.isOpen() && editor.Modal.close()")
    canvas.locator("img").first.dblclick()
    page.locator(".gjs-am-asset").first.dblclick()
    page.wait_for_function(
        "(src) => editor.getWrapper().find('img')[0].get('src') === src", arg=picture
    )

    # Our own words and a class rule, through the editor's API.
    page.evaluate(
        """() => {
            const wrapper = editor.getWrapper();
            wrapper.append(
                '<table width="100%" role="presentation"><tr><td class="greeting" ' +
                'style="padding:12px">Hi {{ contact.first_name | default(\\'there\\') }}, ' +
                "our visual launch</td></tr></table>"
            );
            editor.Css.setRule(".greeting", {color: "#b91c1c"});
        }"""
    )
    canvas.get_by_text("our visual launch").wait_for()

    page.get_by_role("button", name="Convert and save").click()
    page.get_by_text("Converted to a visual design and saved.").wait_for()
    assert errors == []
    saved = Design.objects.for_workspace(workspace).get(pk=design.pk)
    assert saved.source_kind == SourceKind.VISUAL
    doc = visual_parse(saved.source)
    assert doc.project and doc.project["pages"]
    assert "{{ unsubscribe_url }}" in doc.html
    compiled = saved.compiled_html
    assert "<table" in compiled and "<script" not in compiled.lower()
    assert "color:#b91c1c" in compiled.replace(" ", "")  # the class rule, inlined
    assert "Hi {{ contact.first_name | default('there') }}" in compiled
    assert f'src="{picture}"' in compiled
    # The HTML version is kept for restoring.
    versions = DesignVersion.objects.for_workspace(workspace).filter(design=design)
    assert versions.filter(source_kind=SourceKind.HTML, source="<p>Existing intro</p>").exists()

    # Re-opening needs no confirmation and brings the editor's work back.
    page.reload()
    canvas.get_by_text("our visual launch").wait_for()
    assert page.locator("#converting-note").count() == 0

    # Preview in the sandboxed frame, with sample data.
    page.goto(f"/designs/{design.pk}/")
    assert page.locator("#preview-frame").get_attribute("sandbox") == ""
    frame = page.frame_locator("#preview-frame")
    frame.get_by_text("Hi Alex, our visual launch").wait_for()
    assert frame.get_by_role("link", name="Unsubscribe").count() >= 1

    # Test send through the real outbound path into the SMTP server.
    page.get_by_label("Test recipients").fill("tester@example.com")
    page.get_by_role("button", name="Send a test").click()
    page.get_by_text("Test sent to tester@example.com.").wait_for()
    assert [m.rcpt_tos for m in sink.messages] == [["tester@example.com"]]
    message = sink.messages[0].message
    assert message["Subject"] == "[TEST] Launch Alex"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hi Alex, our visual launch" in text
    assert "Hi Alex, our visual launch" in html
    assert "color:#b91c1c" in html.replace(" ", "")
    # The footer block's merge tag became a link (sample data in a test send).
    assert 'href="https://example.com/unsubscribe"' in html
    assert "https://example.com/unsubscribe" in text
    assert "<script" not in html.lower()


def test_the_editor_speaks_the_users_language(browser_page, live_server, user, workspace):
    user.language = "de"
    user.save(update_fields=["language"])
    design = make_design(
        workspace, user, source_kind=SourceKind.VISUAL, source=blank_source(SourceKind.VISUAL)
    )
    page = _signed_in(browser_page, live_server, user, workspace)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.goto(f"/designs/{design.pk}/visual/")
    page.wait_for_function("() => window.editor && window.editor.getWrapper()")
    assert page.locator("#gjs").get_attribute("data-locale") == "de"
    labels = page.locator(".gjs-block-label").all_inner_texts()
    for german in ("Spalten (2)", "Trennlinie", "Schaltfläche", "Abstand", "Bild"):
        assert german in labels, german
    assert page.locator('.gjs-pn-views [title="Blöcke"]').count() == 1
    assert page.locator(".gjs-block-category .gjs-title").first.inner_text() == "Grundelemente"
    # The preset's own texts too (its clear-canvas question, answered "no").
    questions: list[str] = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate("() => editor.runCommand('canvas-clear')")
    assert questions == ["Wirklich den ganzen Inhalt der E-Mail löschen?"]
    assert page.evaluate("() => editor.getWrapper().components().length") > 0


def test_hostile_project_data_never_runs_in_the_same_origin_canvas(
    browser_page, live_server, user, workspace
):
    run = "parent.document.title='pwned'"
    project = {
        "pages": [
            {
                "frames": [
                    {
                        "head": [{"tagName": "script", "content": run}],
                        "component": {
                            "type": "wrapper",
                            "components": [
                                {"type": "text", "content": "Harmless words", "script": run},
                                {"tagName": "script", "content": run},
                                {"type": "text", "content": f'<img src="x" onerror="{run}">'},
                                {"type": "image", "attributes": {"src": "x", "onerror": run}},
                                {
                                    "type": "link",
                                    "attributes": {"href": f"javascript:{run}"},
                                    "components": [{"type": "textnode", "content": "Click me"}],
                                },
                                {"type": "iframe", "src": f"javascript:{run}"},
                            ],
                        },
                    }
                ]
            }
        ]
    }
    source = json.dumps({"html": "<p>x</p>", "css": "", "project": project})
    design = make_design(workspace, user, source_kind=SourceKind.VISUAL, source=source)
    page = _signed_in(browser_page, live_server, user, workspace)
    page.goto(f"/designs/{design.pk}/visual/")
    page.wait_for_function("() => window.editor && window.editor.getWrapper()")
    canvas = page.frame_locator("#gjs iframe.gjs-frame")
    canvas.get_by_text("Harmless words").wait_for()
    # Clicking the link in the canvas must not run it either.
    canvas.get_by_text("Click me").click()
    assert page.title() != "pwned"
    assert canvas.locator("script").count() == 0
    assert canvas.locator("[onerror]").count() == 0
