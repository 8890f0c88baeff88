"""The GrapesJS visual editor page: it opens on the design's HTML and saves sanitised HTML
through the design service (versions, compiling, unsubscribe footer)."""

import json

from django.urls import reverse

from mailsoftly.designs.models import Design, DesignVersion, SourceKind
from mailsoftly.teams.services import workspace_create
from tests.designs.factories import make_design
from tests.factories import UserFactory


def _reload(design):
    return Design.objects.for_workspace(design.workspace).get(pk=design.pk)


def test_get_opens_the_editor_on_the_designs_html(logged_in_client, user, workspace):
    design = make_design(
        workspace, user, source_kind=SourceKind.HTML, source="<p>Hello from HTML</p>"
    )
    response = logged_in_client.get(reverse("designs:visual", args=[design.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/grapesjs/grapes.min.js" in page
    assert "vendor/grapesjs/preset-newsletter.min.js" in page
    start = page.index('id="visual-initial"')
    data = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert json.loads(data) == "<p>Hello from HTML</p>"


def test_the_canvas_never_receives_scripts_or_handlers(logged_in_client, user, workspace):
    design = make_design(
        workspace,
        user,
        source_kind=SourceKind.HTML,
        source='<p>Kept</p><img src="x" onerror="alert(1)"><script>alert(2)</script>',
    )
    page = logged_in_client.get(reverse("designs:visual", args=[design.pk])).content.decode()
    start = page.index('id="visual-initial"')
    initial = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert "Kept" in initial
    assert "onerror" not in initial
    assert "alert" not in initial


def test_edit_page_links_to_the_visual_editor(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    page = logged_in_client.get(reverse("designs:edit", args=[design.pk])).content.decode()
    assert reverse("designs:visual", args=[design.pk]) in page
    assert "Open visual editor" in page


def test_another_workspaces_design_is_404(logged_in_client):
    theirs = workspace_create(owner=UserFactory(), name="Theirs")
    design = make_design(theirs, None, source_kind=SourceKind.HTML, source="<p>Theirs</p>")
    url = reverse("designs:visual", args=[design.pk])
    assert logged_in_client.get(url).status_code == 404
    assert logged_in_client.post(url, {"html": "<p>Overwritten</p>"}).status_code == 404
    assert _reload(design).source == "<p>Theirs</p>"


def test_post_saves_html_through_the_service(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    versions = DesignVersion.objects.for_workspace(workspace).filter(design=design).count()
    html = (
        '<table width="100%"><tr><td style="color:#111111;padding:8px">'
        "Hi {{ contact.first_name | default('there') }}, visual news</td></tr></table>"
    )
    response = logged_in_client.post(reverse("designs:visual", args=[design.pk]), {"html": html})
    assert response.status_code == 302
    saved = _reload(design)
    assert saved.source_kind == SourceKind.HTML
    assert "visual news" in saved.source
    assert "color:#111111" in saved.compiled_html.replace(" ", "")
    assert "unsubscribe_url" in saved.compiled_html  # the pipeline's footer
    assert "visual news" in saved.compiled_text
    assert (
        DesignVersion.objects.for_workspace(workspace).filter(design=design).count() == versions + 1
    )


def test_post_with_script_stores_none(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    html = (
        '<p onclick="alert(1)">Safe words</p><script>alert("x")</script>'
        '<iframe src="https://evil.example/"></iframe><a href="javascript:alert(2)">link</a>'
    )
    logged_in_client.post(reverse("designs:visual", args=[design.pk]), {"html": html})
    saved = _reload(design)
    assert "Safe words" in saved.source
    for stored in (saved.source, saved.compiled_html):
        lowered = stored.lower()
        assert "<script" not in lowered
        assert "alert" not in lowered
        assert "onclick" not in lowered
        assert "<iframe" not in lowered
        assert "javascript:" not in lowered


def test_empty_post_is_a_message_and_nothing_changes(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    before = (design.source_kind, design.source)
    response = logged_in_client.post(reverse("designs:visual", args=[design.pk]), {"html": "  "})
    assert response.status_code == 400
    assert "add at least one block" in response.content.decode()
    saved = _reload(design)
    assert (saved.source_kind, saved.source) == before


def test_bad_merge_tag_is_reported_and_nothing_changes(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    before = design.source
    response = logged_in_client.post(
        reverse("designs:visual", args=[design.pk]), {"html": "<p>{{ contact.first_name </p>"}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert _reload(design).source == before
