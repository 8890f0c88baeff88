import pytest
from django.test import Client
from django.urls import reverse

from mailsoftly.designs.models import Design
from mailsoftly.designs.views import SANDBOX_CSP
from tests.designs.factories import blocks_source, make_design


def _publish(client, design) -> str:
    client.post(reverse("designs:publish", args=[design.pk]))
    design.refresh_from_db()
    return reverse("designs:public", kwargs={"slug": design.public_slug})


@pytest.mark.policy("P01")
def test_a_design_is_private_until_published(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    assert not design.is_published and design.public_slug is None
    url = _publish(logged_in_client, design)
    assert design.is_published
    assert len(design.public_slug) >= 20  # 128 random bits, not an id
    anonymous = Client().get(url)
    assert anonymous.status_code == 200
    assert anonymous["Content-Security-Policy"] == SANDBOX_CSP
    assert b"Hi there" in anonymous.content  # the neutral fallback, not a person's name


@pytest.mark.policy("P01")
def test_unpublishing_removes_the_page_at_once(logged_in_client, user, workspace, client):
    design = make_design(workspace, user)
    url = _publish(logged_in_client, design)
    assert client.get(url).status_code == 200
    logged_in_client.post(reverse("designs:unpublish", args=[design.pk]))
    assert client.get(url).status_code == 404
    design.refresh_from_db()
    assert design.public_slug is None and not design.is_published


@pytest.mark.policy("P01")
def test_republishing_gives_a_new_address(logged_in_client, user, workspace, client):
    design = make_design(workspace, user)
    first = _publish(logged_in_client, design)
    logged_in_client.post(reverse("designs:unpublish", args=[design.pk]))
    second = _publish(logged_in_client, design)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


@pytest.mark.policy("P01", "P27")
def test_trashing_a_published_design_takes_it_offline(logged_in_client, user, workspace, client):
    design = make_design(workspace, user)
    url = _publish(logged_in_client, design)
    logged_in_client.post(reverse("designs:trash", args=[design.pk]))
    assert client.get(url).status_code == 404
    trashed = Design.trashed.for_workspace(workspace).get(pk=design.pk)
    assert trashed.public_slug is None


@pytest.mark.policy("P01")
def test_the_public_page_carries_no_personal_merge_data(logged_in_client, user, workspace, client):
    source = blocks_source(
        {"type": "text", "text": "Dear {{ contact.first_name }} {{ contact.email }}"},
        {"type": "button", "text": "Web", "href": "{{ web_version_url }}"},
    )
    design = make_design(workspace, user, source=source)
    url = _publish(logged_in_client, design)
    page = client.get(url).content.decode()
    assert "Alex" not in page and "@example.com" not in page
    assert "{{" not in page
    assert f'href="http://testserver{url}"' in page


@pytest.mark.policy("P01")
@pytest.mark.parametrize("slug", ["nope", "x" * 70, "1", "a.b", "%C3%A9"])
def test_unknown_slugs_are_404(client, db, slug):
    assert client.get(f"/e/{slug}/").status_code == 404


def test_a_nul_byte_slug_is_a_bad_request_not_a_server_error(client, db):
    assert client.get("/e/%00/").status_code == 400


@pytest.mark.policy("P01")
def test_eu_published_design_is_found_in_the_eu_database(client, user, eu_workspace):
    from mailsoftly.designs.services import design_publish

    design = design_publish(design=make_design(eu_workspace, user), user=user)
    assert design._state.db == "eu"
    response = client.get(reverse("designs:public", kwargs={"slug": design.public_slug}))
    assert response.status_code == 200


def _archive(workspace) -> tuple[str, str]:
    from mailsoftly.designs.selectors import archive_token

    token = archive_token(workspace=workspace)
    return (
        reverse("designs:archive", kwargs={"token": token}),
        reverse("designs:archive_feed", kwargs={"token": token}),
    )


@pytest.mark.policy("P01")
def test_archive_and_feed_list_only_published_emails(logged_in_client, user, workspace, client):
    published = make_design(
        workspace, user, name="Pub", subject="Hi {{ contact.first_name | default('reader') }}"
    )
    make_design(workspace, user, name="Private draft", subject="Secret plans")
    _publish(logged_in_client, published)
    archive_url, feed_url = _archive(workspace)
    page = client.get(archive_url).content.decode()
    assert "Hi reader" in page and "Secret plans" not in page
    feed = client.get(feed_url)
    assert feed["Content-Type"].startswith("application/rss+xml")
    body = feed.content.decode()
    assert "<title>Hi reader</title>" in body and "Secret plans" not in body
    published.refresh_from_db()
    assert published.public_slug in body

    logged_in_client.post(reverse("designs:unpublish", args=[published.pk]))
    assert "Hi reader" not in client.get(archive_url).content.decode()
    assert "Hi reader" not in client.get(feed_url).content.decode()


@pytest.mark.policy("P01", "P02")
@pytest.mark.parametrize("token", ["1-deadbeef", "abc", "", "99999999999999999999-x"])
def test_archive_tokens_cannot_be_guessed(client, workspace, token):
    assert client.get(f"/e/archive/{token}x/").status_code == 404
    assert client.get(f"/e/archive/{token}x/feed/").status_code == 404


@pytest.mark.policy("P01")
def test_one_workspaces_token_does_not_open_another_archive(client, user, workspace):
    from mailsoftly.teams.services import workspace_create

    other = workspace_create(owner=user, name="Other")
    own_url, _feed = _archive(workspace)
    forged = own_url.replace(f"/{workspace.pk}-", f"/{other.pk}-")
    assert client.get(forged).status_code == 404
