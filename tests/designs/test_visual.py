"""The visual (GrapesJS) format: its editor page, conversion from other formats, the
cleaning of project data for the same-origin canvas, and compiling its output."""

import json

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsoftly.designs.compiler import CompileError, source_compile
from mailsoftly.designs.models import Design, DesignVersion, SourceKind
from mailsoftly.designs.services import template_create_from_design
from mailsoftly.designs.visualdoc import VisualDoc, project_clean, visual_parse, visual_source
from mailsoftly.teams.services import workspace_create
from tests.designs.factories import design_form, make_design
from tests.factories import UserFactory

VISUAL_HTML = (
    '<table width="100%" role="presentation"><tr><td class="hero" id="ib3x">'
    "Hi {{ contact.first_name | default(&#039;there&#039;) }}, visual news</td></tr></table>"
)
VISUAL_CSS = ".hero{color:#111111;padding:8px;}#ib3x{font-size:22px;}"


def _reload(design):
    return Design.objects.for_workspace(design.workspace).get(pk=design.pk)


def _initial(page: str) -> dict:
    start = page.index('id="visual-initial"')
    return json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])


def _versions(design):
    return DesignVersion.objects.for_workspace(design.workspace).filter(design=design)


def _visual(workspace, user, **doc):
    source = visual_source(html=doc.get("html", VISUAL_HTML), css=doc.get("css", VISUAL_CSS))
    return make_design(workspace, user, source_kind=SourceKind.VISUAL, source=source)


# --- The format and the compiler -------------------------------------------------------


def test_the_formats_are_the_issues_five_plus_the_block_form():
    labels = dict(SourceKind.choices)
    assert [str(labels[k]) for k in ("visual", "html", "markdown", "mjml", "text")] == [
        "Visual (GrapesJS)",
        "HTML",
        "Markdown",
        "MJML",
        "Plain text",
    ]
    assert str(labels["blocks"]) == "Simple blocks (form)"


def test_visual_output_is_compiled_as_html_with_inlined_css_and_a_text_part():
    compiled = source_compile(
        source_kind=SourceKind.VISUAL, source=visual_source(html=VISUAL_HTML, css=VISUAL_CSS)
    )
    squeezed = compiled.html.replace(" ", "")
    assert "color:#111111" in squeezed and "font-size:22px" in squeezed  # class and id rules
    assert 'class="hero"' not in compiled.html or "color:#111111" in squeezed
    assert "id=" not in compiled.html  # ids only served the inlining
    # GrapesJS escapes quotes in text; the merge tag still works.
    assert "{{ contact.first_name | default('there') }}" in compiled.html
    assert "visual news" in compiled.text
    assert "{{ unsubscribe_url }}" in compiled.html  # the pipeline's footer


def test_visual_output_is_sanitised():
    html = (
        '<p onclick="alert(1)">Safe words</p><script>alert("x")</script>'
        '<iframe src="https://evil.example/"></iframe><a href="javascript:alert(2)">link</a>'
    )
    compiled = source_compile(source_kind=SourceKind.VISUAL, source=visual_source(html=html))
    lowered = compiled.html.lower()
    assert "safe words" in lowered
    for bad in ("<script", "alert", "onclick", "<iframe", "javascript:"):
        assert bad not in lowered


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<p>not json</p>", "visual editor"),
        ('{"css": ""}', '"html"'),
        ('{"html": "<p>x</p>", "project": []}', '"project"'),
        ("[" * 200_000, "nested too deeply"),
    ],
)
def test_a_broken_visual_source_is_a_clear_error(source, message):
    with pytest.raises(CompileError) as caught:
        source_compile(source_kind=SourceKind.VISUAL, source=source)
    assert message in caught.value.message


# --- Project data for the canvas ---------------------------------------------------------

HOSTILE_PROJECT = {
    "assets": [{"src": "javascript:alert(1)"}, {"src": "https://img.example/a.png"}],
    "styles": [
        {"selectors": ["hero"], "style": {"color": "red", "background": "url(javascript:x)"}},
        {"selectors": ["x"], "style": {"color": "blue"}, "mediaText": "</style><script>"},
    ],
    "symbols": [{"tagName": "script"}],
    "pages": [
        {
            "id": "p1",
            "frames": [
                {
                    "head": [{"tagName": "script", "attributes": {"src": "https://evil.example"}}],
                    "component": {
                        "type": "wrapper",
                        "components": [
                            {"tagName": "script", "content": "alert(1)"},
                            {"type": "iframe", "src": "https://evil.example"},
                            {
                                "type": "text",
                                "script": "alert(2)",
                                "attributes": {"onclick": "alert(3)", "class": "hero", "id": "t1"},
                                "content": '<img src="x" onerror="alert(4)">Kept text',
                            },
                            {
                                "type": "link",
                                "attributes": {"href": "javascript:alert(5)", "title": "t"},
                            },
                            {
                                "type": "link",
                                "attributes": {"href": "{{ unsubscribe_url }}"},
                                "components": [{"type": "textnode", "content": "Unsubscribe"}],
                            },
                            {"type": "image", "src": "data:image/svg+xml,<svg onload=x>"},
                        ],
                    },
                }
            ],
        }
    ],
}


def test_project_data_keeps_the_email_and_drops_everything_that_runs():
    cleaned = project_clean(HOSTILE_PROJECT)
    dumped = json.dumps(cleaned)
    for bad in ("alert", "javascript", "script", "onerror", "onclick", "evil.example", "svg"):
        assert bad not in dumped, bad
    assert "Kept text" in dumped
    assert "{{ unsubscribe_url }}" in dumped
    assert "https://img.example/a.png" in dumped
    components = cleaned["pages"][0]["frames"][0]["component"]["components"]
    assert [c.get("type") for c in components] == ["text", "link", "link", "image"]
    assert components[0]["attributes"] == {"class": "hero", "id": "t1"}
    assert cleaned["styles"] == [{"selectors": ["hero"], "style": {"color": "red"}}]
    assert "symbols" not in cleaned


def test_hypothetically_deep_project_data_is_cut_not_crashing():
    component: dict = {"type": "text", "content": "bottom"}
    for _ in range(200):
        component = {"type": "default", "components": [component]}
    project = {"pages": [{"frames": [{"component": component}]}]}
    assert "bottom" not in json.dumps(project_clean(project))


# --- The editor page -----------------------------------------------------------------------


def test_a_visual_design_reopens_on_its_cleaned_project_data(logged_in_client, user, workspace):
    source = VisualDoc(html="<p>x</p>", project=HOSTILE_PROJECT).dumps()
    design = make_design(workspace, user, source_kind=SourceKind.VISUAL, source=source)
    response = logged_in_client.get(reverse("designs:visual", args=[design.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/grapesjs/grapes.min.js" in page
    assert "vendor/grapesjs/preset-newsletter.min.js" in page
    initial = _initial(page)
    assert initial["project"] == project_clean(HOSTILE_PROJECT)
    assert "alert" not in json.dumps(initial)


def test_another_format_asks_before_converting(logged_in_client, user, workspace):
    design = make_design(workspace, user, source_kind=SourceKind.MARKDOWN, source="# Old news")
    response = logged_in_client.get(reverse("designs:visual", args=[design.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Convert to a visual design?" in page
    assert "“Markdown”" in page and "version history" in page
    assert f"?convert={SourceKind.MARKDOWN}" in page
    assert 'id="gjs"' not in page
    # A save without the confirmation is refused and changes nothing.
    response = logged_in_client.post(
        reverse("designs:visual", args=[design.pk]), {"html": "<p>New</p>"}
    )
    assert response.status_code == 409
    saved = _reload(design)
    assert (saved.source_kind, saved.source) == (SourceKind.MARKDOWN, "# Old news")


def test_confirmed_conversion_opens_on_the_current_email(logged_in_client, user, workspace):
    design = make_design(
        workspace,
        user,
        source_kind=SourceKind.HTML,
        source='<p>Kept</p><img src="x" onerror="alert(1)"><script>alert(2)</script>',
    )
    url = reverse("designs:visual", args=[design.pk]) + "?convert=html"
    page = logged_in_client.get(url).content.decode()
    assert 'id="converting-note"' in page and "Convert and save" in page
    initial = _initial(page)
    assert initial["project"] is None
    assert "Kept" in initial["html"]
    assert "onerror" not in initial["html"] and "alert" not in initial["html"]


def test_conversion_from_markdown_opens_on_its_compiled_body(logged_in_client, user, workspace):
    design = make_design(
        workspace, user, source_kind=SourceKind.MARKDOWN, source="# Old news", preheader="Peek"
    )
    url = reverse("designs:visual", args=[design.pk]) + "?convert=markdown"
    html = _initial(logged_in_client.get(url).content.decode())["html"]
    assert "Old news" in html
    assert "Peek" not in html  # the pipeline adds the preheader again on save


def test_conversion_saves_a_visual_design_and_keeps_the_old_version(
    logged_in_client, user, workspace
):
    design = make_design(workspace, user)  # the block form
    old_source = design.source
    versions = _versions(design).count()
    project = {"pages": [{"frames": [{"component": {"type": "wrapper", "components": []}}]}]}
    response = logged_in_client.post(
        reverse("designs:visual", args=[design.pk]),
        {
            "html": VISUAL_HTML,
            "css": VISUAL_CSS,
            "project": json.dumps(project),
            "convert": "blocks",
        },
        follow=True,
    )
    assert "Converted to a visual design and saved" in response.content.decode()
    saved = _reload(design)
    assert saved.source_kind == SourceKind.VISUAL
    doc = visual_parse(saved.source)
    assert "visual news" in doc.html and doc.css == VISUAL_CSS
    assert doc.project == project_clean(project)
    assert "color:#111111" in saved.compiled_html.replace(" ", "")
    assert "visual news" in saved.compiled_text
    assert _versions(design).count() == versions + 1
    old = _versions(design).filter(source_kind=SourceKind.BLOCKS).get()
    assert old.source == old_source
    # ... and it can be restored from the history.
    logged_in_client.post(reverse("designs:version_restore", args=[design.pk, old.pk]))
    restored = _reload(design)
    assert (restored.source_kind, restored.source) == (SourceKind.BLOCKS, old_source)


def test_saving_a_visual_design_needs_no_confirmation(logged_in_client, user, workspace):
    design = _visual(workspace, user)
    response = logged_in_client.post(
        reverse("designs:visual", args=[design.pk]),
        {"html": "<p>Second edition</p>", "css": "", "project": ""},
    )
    assert response.status_code == 302
    assert "Second edition" in visual_parse(_reload(design).source).html


def test_another_workspaces_design_is_404(logged_in_client):
    theirs = workspace_create(owner=UserFactory(), name="Theirs")
    design = make_design(theirs, None, source_kind=SourceKind.HTML, source="<p>Theirs</p>")
    url = reverse("designs:visual", args=[design.pk])
    assert logged_in_client.get(url).status_code == 404
    assert logged_in_client.post(url, {"html": "<p>Over</p>", "convert": "html"}).status_code == 404
    assert _reload(design).source == "<p>Theirs</p>"


def test_post_with_script_stores_none(logged_in_client, user, workspace):
    design = _visual(workspace, user)
    html = (
        '<p onclick="alert(1)">Safe words</p><script>alert("x")</script>'
        '<iframe src="https://evil.example/"></iframe><a href="javascript:alert(2)">link</a>'
    )
    logged_in_client.post(reverse("designs:visual", args=[design.pk]), {"html": html})
    saved = _reload(design)
    assert "Safe words" in saved.source
    for stored in (saved.source, saved.compiled_html):
        lowered = stored.lower()
        for bad in ("<script", "alert", "onclick", "<iframe", "javascript:"):
            assert bad not in lowered


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"html": "  "}, "add at least one block"),
        ({"html": "<p>x</p>", "project": "{not json"}, "damaged project data"),
        ({"html": "<p>x</p>", "project": '{"a":' * 100_000}, "damaged project data"),
        ({"html": "<p>{{ contact.first_name </p>"}, "role=&quot;alert&quot;"),
    ],
)
def test_a_refused_save_is_a_message_and_nothing_changes(
    logged_in_client, user, workspace, post, message
):
    design = _visual(workspace, user)
    before = design.source
    response = logged_in_client.post(reverse("designs:visual", args=[design.pk]), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    if "alert" not in message:
        assert message in page
    assert _reload(design).source == before


def test_blank_visual_design_opens_the_editor(logged_in_client, workspace):
    response = logged_in_client.post(reverse("designs:new"), {"start": "blank:visual"})
    design = Design.objects.for_workspace(workspace).get()
    assert response["Location"] == reverse("designs:visual", args=[design.pk])
    assert design.source_kind == SourceKind.VISUAL
    assert "{{ unsubscribe_url }}" in visual_parse(design.source).html


# --- The design form -------------------------------------------------------------------


def test_edit_page_links_to_the_visual_editor(logged_in_client, user, workspace):
    design = _visual(workspace, user)
    page = logged_in_client.get(reverse("designs:edit", args=[design.pk])).content.decode()
    assert reverse("designs:visual", args=[design.pk]) in page
    assert "Open visual editor" in page
    assert 'id="visual-panel"' in page


def test_the_form_sends_a_switch_to_visual_through_the_editor(logged_in_client, user, workspace):
    design = make_design(workspace, user, source_kind=SourceKind.HTML, source="<p>Mine</p>")
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source_kind="visual")
    )
    assert response.status_code == 200
    assert 'id="source-kind-error"' in response.content.decode()
    assert "converts the current email after asking you" in response.content.decode()
    assert _reload(design).source_kind == SourceKind.HTML


def test_a_visual_design_switched_to_html_keeps_the_editors_output(
    logged_in_client, user, workspace
):
    design = _visual(workspace, user)
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source_kind="html")
    )
    assert response.status_code == 302
    saved = _reload(design)
    assert saved.source_kind == SourceKind.HTML
    assert "visual news" in saved.source and VISUAL_CSS in saved.source
    assert "default('there')" in saved.source
    assert "color:#111111" in saved.compiled_html.replace(" ", "")


def test_a_visual_design_is_not_switched_to_markdown_as_json(logged_in_client, user, workspace):
    design = _visual(workspace, user)
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source_kind="markdown")
    )
    assert response.status_code == 200
    assert "replace the content first" in response.content.decode()
    assert _reload(design).source_kind == SourceKind.VISUAL


def test_conversion_takes_a_layout_into_the_content(logged_in_client, user, workspace):
    frame = make_design(
        workspace,
        user,
        name="Frame",
        source_kind=SourceKind.HTML,
        source="<table><tr><td>ACME HEADER</td></tr><tr><td><!-- content --></td></tr></table>",
    )
    layout = template_create_from_design(design=frame, user=user, name="Frame", is_layout=True)
    design = make_design(
        workspace, user, source_kind=SourceKind.HTML, source="<p>Body here</p>", layout=layout
    )
    url = reverse("designs:visual", args=[design.pk])
    html = _initial(logged_in_client.get(url + "?convert=html").content.decode())["html"]
    assert "ACME HEADER" in html and "Body here" in html
    response = logged_in_client.post(url, {"html": html, "convert": "html"})
    assert response.status_code == 302
    saved = _reload(design)
    assert saved.source_kind == SourceKind.VISUAL and saved.layout is None
    assert saved.compiled_html.count("ACME HEADER") == 1


def test_the_link_checker_reads_visual_designs(logged_in_client, user, workspace):
    design = _visual(
        workspace,
        user,
        html='<a href="https://shop.example/spring">Shop</a><a href="javascript:alert(1)">x</a>',
    )
    page = logged_in_client.get(reverse("designs:links", args=[design.pk])).content.decode()
    assert "https://shop.example/spring" in page


def test_the_editors_styled_body_keeps_its_background():
    source = visual_source(
        html='<body id="iw8k"><p id="ip1">Inside</p></body>', css="#iw8k{background-color:#fef3c7;}"
    )
    compiled = source_compile(source_kind=SourceKind.VISUAL, source=source)
    squeezed = compiled.html.replace(" ", "")
    assert "background-color:#fef3c7" in squeezed
    assert "<table" in compiled.html and "Inside" in compiled.html


def test_the_edit_form_saves_a_visual_designs_envelope_and_keeps_its_body(
    logged_in_client, user, workspace
):
    design = _visual(workspace, user)
    versions = _versions(design).count()
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, subject="New subject")
    )
    assert response.status_code == 302
    saved = _reload(design)
    assert saved.subject == "New subject"
    assert (saved.source_kind, saved.source) == (SourceKind.VISUAL, design.source)
    assert "visual news" in saved.compiled_html
    assert _versions(design).count() == versions + 1  # the subject is content too


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)
_COMPONENT = st.deferred(
    lambda: st.fixed_dictionaries(
        {},
        optional={
            "type": _JSON | st.sampled_from(["text", "link", "image", "cell", "iframe"]),
            "tagName": _JSON | st.sampled_from(["a", "img", "script", "td"]),
            "attributes": _JSON
            | st.dictionaries(st.sampled_from(["href", "src", "style", "onclick", "id"]), _JSON),
            "components": _JSON | st.lists(_COMPONENT, max_size=3),
            "content": _JSON,
            "src": _JSON,
            "style": _JSON,
            "script": _JSON,
        },
    )
)


@settings(max_examples=200, deadline=None)
@given(
    component=_COMPONENT,
    styles=_JSON | st.lists(st.dictionaries(st.sampled_from(["selectors", "style"]), _JSON)),
    extra=_JSON,
)
def test_any_json_project_is_cleaned_without_crashing(component, styles, extra):
    for project in (
        {"pages": [{"frames": [{"component": component}]}], "styles": styles, "assets": extra},
        {"pages": extra, "styles": extra},
        extra,
    ):
        cleaned = project_clean(project)
        assert cleaned is None or set(cleaned) == {"assets", "styles", "pages"}
        assert "script" not in json.dumps(cleaned)


def test_the_image_picker_offers_the_media_library(logged_in_client, user, workspace):
    from mailsoftly.designs.selectors import media_public_url
    from tests.designs.test_media import upload_image

    media = upload_image(workspace, user)
    theirs = workspace_create(owner=UserFactory(), name="Theirs")
    upload_image(theirs, None)
    design = _visual(workspace, user)
    page = logged_in_client.get(reverse("designs:visual", args=[design.pk])).content.decode()
    start = page.index('id="visual-assets"')
    assets = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert assets == [media_public_url(media)]
