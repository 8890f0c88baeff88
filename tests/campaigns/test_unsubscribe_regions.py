"""Unsubscribe links in mail sent before a region move keep working after it."""

from __future__ import annotations

import pytest
from django.test import Client

from mailsoftly.campaigns import unsubscribe
from mailsoftly.campaigns.compose import unsubscribe_token
from mailsoftly.campaigns.models import Delivery
from mailsoftly.contacts.models import Contact, ContactStatus, Suppression
from mailsoftly.residency import engine, services
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.fixture(autouse=True)
def _regional_media(settings, tmp_path):
    settings.MAILSOFTLY_REGION_MEDIA_ROOTS = {"us": tmp_path / "us", "eu": tmp_path / "eu"}


@pytest.fixture
def sent(workspace, django_capture_on_commit_callbacks):
    """A campaign sent from the US: the unsubscribe link in the mail names ``us``."""
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.sending.models import CapturedMessage

    contact_list, contacts = make_list(workspace, people(2))
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.campaign_send(campaign=campaign)
    message = CapturedMessage.objects.for_workspace(workspace).get(rcpt_to=contacts[0].email)
    url = str(message.message()["List-Unsubscribe"]).split(",")[0].strip("<> ")
    return contacts, "/" + url.split("://", 1)[1].split("/", 1)[1]


def _one_click(path: str):
    return Client(enforce_csrf_checks=True).post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )


def _assert_unsubscribed_in_eu(workspace, contacts):
    workspace.refresh_from_db()
    assert workspace.region == "eu"
    contact = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert contact.status == ContactStatus.UNSUBSCRIBED
    assert Suppression.objects.for_workspace(workspace).filter(email=contact.email).exists()
    assert Contact.objects.for_workspace(workspace).get(pk=contacts[1].pk).status == "active"


@pytest.mark.policy("P19")
def test_a_link_sent_from_the_us_unsubscribes_after_the_move_to_the_eu(workspace, sent):
    contacts, path = sent
    assert "/u/" in path
    move = services.region_move_request(workspace=workspace, target="eu")
    services.region_move_run(move_id=move.pk)
    # The US copy is purged: the delivery lives only in the EU now, under its old id.
    assert (
        not Delivery.objects.dangerously_all_workspaces("us").filter(workspace=workspace).exists()
    )

    assert Client().get(path).status_code == 200  # the confirmation page, not a 404
    response = _one_click(path)
    assert response.status_code == 200
    _assert_unsubscribed_in_eu(workspace, contacts)


@pytest.mark.policy("P19")
def test_a_link_works_between_the_switch_and_the_purge(workspace, sent, monkeypatch):
    contacts, path = sent

    def crash(**kwargs):
        raise OSError("disk went away")

    real = engine.delete_workspace
    monkeypatch.setattr(engine, "delete_workspace", crash)
    move = services.region_move_request(workspace=workspace, target="eu")
    with pytest.raises(OSError, match="disk went away"):
        services.region_move_run(move_id=move.pk)
    # Switched but not purged: a stale copy of the delivery is still in the US database.
    assert Delivery.objects.dangerously_all_workspaces("us").filter(workspace=workspace).exists()

    token = path.strip("/").split("/")[-1]
    found, _ = unsubscribe._workspace_for(token)
    assert (found.pk, found.region) == (workspace.pk, "eu")  # followed the index, not the token
    assert Client().get(path).status_code == 200
    # Until the move finishes the workspace is read-only (residency): asked to retry, not a 404.
    assert _one_click(path).status_code == 423

    monkeypatch.setattr(engine, "delete_workspace", real)
    services.region_move_run(move_id=move.pk)
    assert _one_click(path).status_code == 200
    _assert_unsubscribed_in_eu(workspace, contacts)


def test_a_token_for_a_delivery_that_exists_nowhere_is_refused(workspace, sent):
    contacts, _ = sent
    token = unsubscribe_token(region="eu", delivery_id=987654321)
    assert _one_click(f"/u/{token}/").status_code == 404
    contact = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert contact.status == ContactStatus.ACTIVE


def test_a_token_naming_an_unconfigured_region_still_finds_the_delivery(workspace, sent):
    # E.g. the operator retired the sending region after moving everyone out of it.
    contacts, _ = sent
    delivery = Delivery.objects.for_workspace(workspace).order_by("pk").first()
    token = unsubscribe_token(region="zz", delivery_id=delivery.pk)
    assert _one_click(f"/u/{token}/").status_code == 200
    unsubscribed = Contact.objects.for_workspace(workspace).filter(
        status=ContactStatus.UNSUBSCRIBED
    )
    assert list(unsubscribed.values_list("pk", flat=True)) == [delivery.contact_id]
    assert {c.pk for c in contacts} >= {delivery.contact_id}
