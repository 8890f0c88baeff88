import json

import pytest
from django.urls import reverse

from mailsoftly.designs.models import Design, DesignVersion, Template
from mailsoftly.designs.views import SANDBOX_CSP
from mailsoftly.teams.services import workspace_create
from tests.designs.factories import blocks_source, design_form, make_design
from tests.designs.isolation import ROUTES_FOR_TESTS
from tests.factories import UserFactory


def test_list_requires_login(client):
    response = client.get(reverse("designs:list"))
    assert response.status_code == 302


def test_list_shows_only_this_workspaces_designs(logged_in_client, user, workspace):
    make_design(workspace, user, name="Ours")
    other = workspace_create(owner=UserFactory(), name="Theirs")
    make_design(other, None, name="Not ours")
    page = logged_in_client.get(reverse("designs:list")).content.decode()
    assert "Ours" in page
    assert "Not ours" not in page


@pytest.mark.parametrize(
    "key", ["newsletter", "announcement", "promotion", "welcome", "event", "letter"]
)
def test_every_starter_makes_a_design_that_previews(logged_in_client, workspace, key):
    response = logged_in_client.post(reverse("designs:new"), {"start": f"starter:{key}"})
    design = Design.objects.for_workspace(workspace).get()
    assert response.url == reverse("designs:edit", args=[design.pk])
    preview = logged_in_client.get(reverse("designs:preview", args=[design.pk]))
    assert preview["Content-Security-Policy"] == SANDBOX_CSP
    assert b"Alex" in preview.content or key in ("announcement", "promotion", "event", "newsletter")
    assert b"https://example.com/unsubscribe" in preview.content


@pytest.mark.parametrize("kind", ["blocks", "html", "markdown", "mjml", "text"])
def test_blank_design_of_each_format(logged_in_client, workspace, kind):
    logged_in_client.post(reverse("designs:new"), {"start": f"blank:{kind}"})
    design = Design.objects.for_workspace(workspace).get()
    assert design.source_kind == kind
    assert design.compiled_html and design.compiled_text


def test_garbage_start_is_a_message_not_a_500(logged_in_client, workspace):
    response = logged_in_client.post(reverse("designs:new"), {"start": "starter:nope"})
    assert response.status_code == 200
    assert "Choose a starting point" in response.content.decode()
    response = logged_in_client.post(reverse("designs:new"), {"start": "template:abc"})
    assert response.status_code == 404
    assert not Design.objects.for_workspace(workspace).exists()


def test_edit_saves_and_writes_a_version(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    source = blocks_source({"type": "text", "text": "New words"})
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source=source)
    )
    assert response.status_code == 302
    design.refresh_from_db()
    assert "New words" in design.compiled_html
    assert DesignVersion.objects.for_workspace(workspace).filter(design=design).count() == 2


def test_bad_merge_tag_is_shown_next_to_the_field_and_nothing_changes(
    logged_in_client, user, workspace
):
    design = make_design(workspace, user, source_kind="html", source="<p>Hi</p>")
    before = (design.source, design.compiled_html, design.updated_at)
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]),
        design_form(design, source="<p>Hi</p>\n<p>{{ contact.first_name </p>"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="source-error"' in page
    assert "Line 2, column 4" in page
    design.refresh_from_db()
    assert (design.source, design.compiled_html, design.updated_at) == before


def test_subject_with_line_break_is_refused_next_to_subject(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, subject="Hi\r\nBcc: x@y.z")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["subject"]


def test_draft_preview_is_sandboxed_and_saves_nothing(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:preview_draft"),
        design_form(
            design,
            source_kind="html",
            source="<p>Draft {{ contact.first_name }}</p><script>x()</script>",
        ),
    )
    assert response["Content-Security-Policy"] == SANDBOX_CSP
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"Draft Alex" in response.content
    assert b"<script" not in response.content
    design.refresh_from_db()
    assert design.source_kind == "blocks"


def test_draft_preview_shows_errors_inside_the_frame(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    response = logged_in_client.post(
        reverse("designs:preview_draft"),
        design_form(design, source_kind="text", source="{{ nope }}"),
    )
    assert response.status_code == 200
    assert "unknown merge tag “nope”" in response.content.decode()


def test_edit_page_frames_the_preview_in_a_sandbox(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    page = logged_in_client.get(reverse("designs:edit", args=[design.pk])).content.decode()
    assert '<iframe name="preview-frame" id="preview-frame" sandbox=""' in page
    assert "Hi Alex" in page  # the plain-text version, rendered with sample data


def test_duplicate_rename_trash(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    logged_in_client.post(reverse("designs:duplicate", args=[design.pk]))
    copy = Design.objects.for_workspace(workspace).exclude(pk=design.pk).get()
    assert copy.name == "Copy of Spring news"
    assert copy.compiled_html == design.compiled_html
    logged_in_client.post(reverse("designs:rename", args=[copy.pk]), {"name": "Summer news"})
    copy.refresh_from_db()
    assert copy.name == "Summer news"
    logged_in_client.post(reverse("designs:trash", args=[copy.pk]))
    assert list(Design.objects.for_workspace(workspace)) == [design]
    assert Design.trashed.for_workspace(workspace).get().pk == copy.pk
    page = logged_in_client.get(reverse("designs:list")).content.decode()
    assert reverse("designs:edit", args=[copy.pk]) not in page
    assert logged_in_client.get(reverse("designs:edit", args=[copy.pk])).status_code == 404


def test_rename_to_blank_is_refused(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    logged_in_client.post(reverse("designs:rename", args=[design.pk]), {"name": "  "})
    design.refresh_from_db()
    assert design.name == "Spring news"


def test_version_restore(logged_in_client, user, workspace):
    design = make_design(workspace, user, source_kind="text", source="First")
    logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source="Second")
    )
    first = DesignVersion.objects.for_workspace(workspace).get(source="First")
    page = logged_in_client.get(reverse("designs:versions", args=[design.pk])).content.decode()
    assert "Restore this version" in page
    logged_in_client.post(reverse("designs:version_restore", args=[design.pk, first.pk]))
    design.refresh_from_db()
    assert design.source == "First"
    assert design.compiled_text.startswith("First")


def test_save_as_template_and_start_from_it(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    logged_in_client.post(
        reverse("designs:save_template", args=[design.pk]), {"name": "House style"}
    )
    template = Template.objects.for_workspace(workspace).get()
    assert "House style" in logged_in_client.get(reverse("designs:new")).content.decode()
    logged_in_client.post(reverse("designs:new"), {"start": f"template:{template.pk}"})
    assert Design.objects.for_workspace(workspace).filter(source=design.source).count() == 2
    logged_in_client.post(reverse("designs:template_trash", args=[template.pk]))
    assert not Template.objects.for_workspace(workspace).exists()


def test_blocks_editor_posts_json(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    document = json.loads(design.source)
    document["blocks"].insert(0, {"type": "button", "text": "Buy", "href": "https://shop.example"})
    logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, source=json.dumps(document))
    )
    design.refresh_from_db()
    assert 'href="https://shop.example"' in design.compiled_html


def test_eu_workspace_designs_stay_in_the_eu_database(client, user, eu_workspace):
    design = make_design(eu_workspace, user)
    assert design._state.db == "eu"
    assert (
        not Design.all_rows.using("default").filter(pk=design.pk, workspace=eu_workspace).exists()
    )
    client.force_login(user)
    session = client.session
    session["workspace_id"] = eu_workspace.pk
    session.save()
    assert client.get(reverse("designs:edit", args=[design.pk])).status_code == 200


@pytest.mark.policy("P01", "P02")
@pytest.mark.parametrize("name", sorted(ROUTES_FOR_TESTS))
def test_another_workspaces_design_urls_answer_404(logged_in_client, name):
    from tests.isolation.routes import ROUTES

    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Theirs")
    entry = ROUTES[name]
    kwargs = entry.build(theirs, stranger)
    before = {
        d.pk: (d.name, d.source, d.published_at, d.trashed_at)
        for d in Design.all_rows.using(theirs.database).filter(workspace_id=theirs.pk)
    }
    for method in entry.methods:
        response = getattr(logged_in_client, method)(reverse(name, kwargs=kwargs), {"name": "x"})
        assert response.status_code == 404, (name, method)
    after = {
        d.pk: (d.name, d.source, d.published_at, d.trashed_at)
        for d in Design.all_rows.using(theirs.database).filter(workspace_id=theirs.pk)
    }
    assert before == after
    assert Template.all_rows.using(theirs.database).filter(trashed_at__isnull=False).count() == 0


@pytest.mark.policy("P37")
@pytest.mark.usefixtures("unlimited_plan")  # IP collection is not in the Free plan
def test_collecting_ip_addresses_is_off_unless_the_author_turns_it_on(
    logged_in_client, user, workspace
):
    logged_in_client.post(reverse("designs:new"), {"start": "blank:html"})
    design = Design.objects.for_workspace(workspace).get()
    assert design.collect_ip_addresses is False
    response = logged_in_client.get(reverse("designs:edit", args=[design.pk]))
    assert response.context["form"]["collect_ip_addresses"].value() is False
    assert 'name="collect_ip_addresses"' in response.content.decode()
    logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), design_form(design, collect_ip_addresses="on")
    )
    design.refresh_from_db()
    assert design.collect_ip_addresses is True
    copy = make_design(workspace, user)
    assert copy.collect_ip_addresses is False


def test_nav_item_and_dashboard_cards(logged_in_client, user, workspace):
    make_design(workspace, user)
    page = logged_in_client.get(reverse("web:dashboard")).content.decode()
    assert f'href="{reverse("designs:list")}"' in page
    assert "Email designs" in page and "Published emails" in page


def test_demo_step_is_idempotent(user, workspace):
    from mailsoftly.designs.demo import seed_designs

    seed_designs(workspace=workspace, user=user)
    seed_designs(workspace=workspace, user=user)
    assert Design.objects.for_workspace(workspace).filter(name="Spring newsletter").count() == 1
    assert Template.objects.for_workspace(workspace).filter(name="House style").count() == 1
