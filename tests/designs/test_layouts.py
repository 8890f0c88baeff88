import pytest
from django.urls import reverse

from mailsoftly.designs.compiler import CompileError, source_compile
from mailsoftly.designs.models import Design, Template
from mailsoftly.designs.rendering import design_render
from mailsoftly.designs.services import design_update, template_create_from_design
from mailsoftly.teams.services import workspace_create
from tests.designs.factories import make_design
from tests.factories import UserFactory

LAYOUT = (
    '<table width="600"><tr><td style="background:#123456">ACME HEADER '
    "{{ contact.first_name }}</td></tr><tr><td><!-- content --></td></tr>"
    '<tr><td><a href="{{ unsubscribe_url }}">Leave</a></td></tr></table>'
)


def _layout(workspace, user) -> Template:
    source = make_design(workspace, user, name="Frame", source_kind="html", source=LAYOUT)
    return template_create_from_design(design=source, user=user, name="Frame", is_layout=True)


def test_a_layout_wraps_markdown_html_and_text_bodies(user, workspace):
    layout = _layout(workspace, user)
    for kind, body in [
        ("markdown", "**Body** here"),
        ("html", "<p>Body here</p>"),
        ("text", "Body here"),
    ]:
        design = make_design(workspace, user, source_kind=kind, source=body, layout=layout)
        email = design_render(design=design, contact_context={"contact": {"first_name": "Ada"}})
        assert "ACME HEADER Ada" in email.html
        header, _sep, rest = email.html.partition("ACME HEADER")
        assert "Body" in rest and "Body" not in header
        assert email.html.count("Leave") == 1  # the layout's own unsubscribe link is kept


def test_layout_needs_the_marker_once():
    with pytest.raises(CompileError) as error:
        source_compile(source_kind="html", source="<p>x</p>", layout="<div>no marker</div>")
    assert error.value.field == "layout"
    assert "<!-- content -->" in error.value.message


def test_blocks_and_mjml_refuse_a_layout(user, workspace):
    layout = _layout(workspace, user)
    design = make_design(workspace, user)
    with pytest.raises(CompileError) as error:
        design_update(design=design, user=user, layout=layout)
    assert error.value.field == "layout"


def test_only_html_designs_with_the_marker_become_layouts(user, workspace):
    design = make_design(workspace, user, source_kind="html", source="<p>no marker</p>")
    with pytest.raises(CompileError):
        template_create_from_design(design=design, user=user, name="x", is_layout=True)
    assert not Template.objects.for_workspace(workspace).exists()


def test_choosing_a_layout_in_the_editor(logged_in_client, user, workspace):
    layout = _layout(workspace, user)
    design = make_design(workspace, user, name="Body", source_kind="markdown", source="Hello")
    data = {
        "name": "Body",
        "subject": "s",
        "source_kind": "markdown",
        "source": "Hello",
        "layout": layout.pk,
    }
    response = logged_in_client.post(reverse("designs:edit", args=[design.pk]), data)
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.layout == layout and "ACME HEADER" in design.compiled_html


@pytest.mark.policy("P02")
def test_another_workspaces_layout_cannot_be_chosen(logged_in_client, user, workspace):
    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Theirs")
    foreign = _layout(theirs, stranger)
    design = make_design(workspace, user, name="Body", source_kind="markdown", source="Hello")
    data = {"name": "Body", "subject": "s", "source_kind": "markdown", "source": "Hello"}
    response = logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), {**data, "layout": foreign.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["layout"]
    assert Design.objects.for_workspace(workspace).get(pk=design.pk).layout is None
