"""The GrapesJS visual editor in a real Chromium: add blocks to the canvas and save."""

from __future__ import annotations

import pytest

from mailsoftly.designs.models import Design, SourceKind
from tests.designs.factories import make_design
from tests.designs.test_browser import _signed_in

pytestmark = pytest.mark.browser


def test_add_a_text_block_in_the_canvas_and_save(browser_page, live_server, user, workspace):
    design = make_design(
        workspace, user, source_kind=SourceKind.HTML, source="<p>Existing intro</p>"
    )
    page = _signed_in(browser_page, live_server, user, workspace)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/designs/{design.pk}/visual/")
    canvas = page.frame_locator("#gjs iframe.gjs-frame")
    canvas.get_by_text("Existing intro").wait_for()

    # The blocks are all offered (the preset's and the three this project adds).
    blocks = page.locator(".gjs-block")
    for label in ("Text", "Image", "Button", "Divider", "Spacer", "Social links"):
        assert blocks.filter(has_text=label).count() >= 1, label
    assert blocks.filter(has_text="Footer with unsubscribe").count() == 1
    # Blocks whose sample images come from an outside service are not offered.
    assert (
        page.evaluate(
            '() => ["grid-items", "list-items"].filter((id) => editor.BlockManager.get(id))'
        )
        == []
    )

    # Native HTML5 drag-and-drop from the panel into GrapesJS's canvas iframe does not fire
    # in headless Chromium, so the test drops the panel's own "Text" and "Footer with
    # unsubscribe" blocks through the editor API (what a drop does).
    page.evaluate(
        """() => {
            for (const id of ["text", "footer-unsubscribe"]) {
                editor.addComponents(editor.BlockManager.get(id).get("content"));
            }
        }"""
    )
    canvas.get_by_text("Insert your text here").wait_for()

    page.locator("#visual-save").click()
    page.get_by_text("Design saved from the visual editor.").wait_for()
    saved = Design.objects.for_workspace(workspace).get(pk=design.pk)
    assert saved.source_kind == SourceKind.HTML
    assert "Insert your text here" in saved.source
    assert "Existing intro" in saved.source
    assert "Insert your text here" in saved.compiled_text
    assert "{{ unsubscribe_url }}" in saved.source
    assert "<script" not in saved.source.lower()
    assert errors == []
