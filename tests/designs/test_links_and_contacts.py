import pytest
from django.urls import reverse

from mailsoftly.designs.links import design_links
from mailsoftly.teams.services import workspace_create
from tests.contacts.factories import ContactFactory
from tests.designs.factories import blocks_source, make_design
from tests.factories import UserFactory


def _verdicts(html: str) -> dict[str, str]:
    return {
        link.url: link.problem or link.warning or "ok"
        for link in design_links(source_kind="html", source=html)
    }


def test_link_checker_flags_unsafe_and_malformed_links():
    verdicts = _verdicts(
        '<a href="https://example.com/a">fine</a>'
        '<a href="javascript:alert(1)">evil</a>'
        '<a href="http://example.com">plain</a>'
        '<a href="www.example.com">no scheme</a>'
        '<a href="https://exa mple.com">space</a>'
        '<a href="https://">no host</a>'
        '<a href="mailto:hi@example.com">mail</a>'
        '<a href="{{ web_version_url }}">web</a>'
        '<img src="data:image/png;base64,AAAA" alt="inline">'
    )
    assert verdicts["https://example.com/a"] == "ok"
    assert "unsafe javascript" in verdicts["javascript:alert(1)"]
    assert "not encrypted" in verdicts["http://example.com"]
    assert "must start with https://" in verdicts["www.example.com"]
    assert "spaces" in verdicts["https://exa mple.com"]
    assert "host" in verdicts["https://"]
    assert verdicts["mailto:hi@example.com"] == "ok"
    assert verdicts["{{ web_version_url }}"] == "ok"
    assert "unsafe data" in verdicts["data:image/png;base64,AAAA"]


def test_links_page_lists_block_links(logged_in_client, user, workspace):
    design = make_design(
        workspace,
        user,
        source=blocks_source({"type": "button", "text": "Shop", "href": "http://shop.example"}),
    )
    page = logged_in_client.get(reverse("designs:links", args=[design.pk])).content.decode()
    assert "http://shop.example" in page and "not encrypted" in page
    assert "unsubscribe_url" not in page  # our own footer links are not the author's problem


def test_preview_as_a_contact_uses_their_fields(logged_in_client, user, workspace):
    ContactFactory(workspace=workspace, email="grace@example.com", first_name="Grace")
    design = make_design(
        workspace, user, source_kind="text", source="Hi {{ contact.first_name }} {{ contact.city }}"
    )
    response = logged_in_client.get(
        reverse("designs:preview", args=[design.pk]), {"contact": "grace@example.com"}
    )
    assert b"Hi Grace" in response.content


@pytest.mark.policy("P02")
def test_preview_cannot_reach_another_workspaces_contact(logged_in_client, user, workspace):
    theirs = workspace_create(owner=UserFactory(), name="Theirs")
    ContactFactory(workspace=theirs, email="secret@example.com", first_name="Secret")
    design = make_design(workspace, user, source_kind="text", source="Hi {{ contact.first_name }}")
    response = logged_in_client.get(
        reverse("designs:preview", args=[design.pk]), {"contact": "secret@example.com"}
    )
    assert b"Secret" not in response.content
    assert "No contact in this workspace matches" in response.content.decode()
