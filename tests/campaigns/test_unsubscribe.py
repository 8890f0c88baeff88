"""RFC 8058 one-click unsubscribe, driven as a mailbox provider does it."""

from __future__ import annotations

import pytest
from django.test import Client

from mailsoftly.campaigns.compose import unsubscribe_token
from mailsoftly.contacts.models import Contact, ContactStatus, Suppression
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.fixture
def sent(workspace, django_capture_on_commit_callbacks):
    from mailsoftly.campaigns import services
    from mailsoftly.sending.models import CapturedMessage

    contact_list, contacts = make_list(workspace, people(2))
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send(campaign=campaign)
    message = CapturedMessage.objects.for_workspace(workspace).get(rcpt_to=contacts[0].email)
    return contacts, message.message()


def _path(message) -> str:
    url = str(message["List-Unsubscribe"]).split(",")[0].strip("<> ")
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.policy("P19")
def test_one_click_post_without_cookies_or_csrf_unsubscribes(workspace, sent):
    contacts, message = sent
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _path(message),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200  # never a redirect
    contact = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert contact.status == ContactStatus.UNSUBSCRIBED
    assert Suppression.objects.for_workspace(workspace).filter(email=contact.email).exists()
    other = Contact.objects.for_workspace(workspace).get(pk=contacts[1].pk)
    assert other.status == ContactStatus.ACTIVE


def test_get_shows_a_button_and_changes_nothing(workspace, sent, client):
    contacts, message = sent
    response = client.get(_path(message))
    assert response.status_code == 200
    assert b'<form method="post"' in response.content
    contact = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert contact.status == ContactStatus.ACTIVE


def test_forged_token_is_refused_without_change(workspace, sent, client):
    token = unsubscribe_token(region="us", delivery_id=1)[:-3] + "xyz"
    response = client.post(f"/u/{token}/")
    assert response.status_code == 404
    assert (
        not Contact.objects.for_workspace(workspace).exclude(status=ContactStatus.ACTIVE).exists()
    )
