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
@pytest.mark.parametrize("slug", ["nope", "x" * 70, "1", "%00"])
def test_unknown_slugs_are_404(client, db, slug):
    assert client.get(f"/e/{slug}/").status_code == 404


@pytest.mark.policy("P01")
def test_eu_published_design_is_found_in_the_eu_database(client, user, eu_workspace):
    from mailsoftly.designs.services import design_publish

    design = design_publish(design=make_design(eu_workspace, user), user=user)
    assert design._state.db == "eu"
    response = client.get(reverse("designs:public", kwargs={"slug": design.public_slug}))
    assert response.status_code == 200
