import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse

from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ListVisibility,
    Subscription,
    SubscriptionStatus,
)
from mailsoftly.contacts.subscriptions import consent_text_hash
from mailsoftly.core import clock
from tests.contacts.factories import ContactListFactory

CONSENT = "Acme may email me its monthly cheese news. Unsubscribe any time."


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _post(client, contact_list, **extra):
    data = {
        "email": "visitor@example.org",
        "first_name": "Vi",
        "agree": "on",
        "consent_hash": consent_text_hash(contact_list.consent_text),
        **extra,
    }
    with TestCase.captureOnCommitCallbacks(using=contact_list.workspace.database, execute=True):
        return client.post(
            reverse("contacts:subscribe", args=[contact_list.form_key]),
            data,
            REMOTE_ADDR="198.51.100.9",
        )


@pytest.mark.policy("P39", "P20")
def test_form_shows_and_records_the_creators_consent_text(client, workspace):
    contact_list = ContactListFactory(
        workspace=workspace, consent_text=CONSENT, double_opt_in=False
    )
    page = client.get(reverse("contacts:subscribe", args=[contact_list.form_key]))
    assert CONSENT.encode() in page.content
    response = _post(client, contact_list)
    assert response.status_code == 200
    contact = Contact.objects.for_workspace(workspace).get()
    consent = ConsentRecord.objects.for_workspace(workspace).get(contact=contact)
    assert consent.consent_text == CONSENT
    assert consent.source == "form"
    assert consent.ip_address == "198.51.100.9"
    assert consent.contact_list == contact_list
    assert str(contact_list.form_key) in consent.location
    assert Subscription.objects.for_workspace(workspace).get().status == "subscribed"


@pytest.mark.policy("P39")
def test_changed_consent_text_is_not_recorded_as_agreed(client, workspace):
    contact_list = ContactListFactory(workspace=workspace, consent_text=CONSENT)
    response = _post(client, contact_list, consent_hash=consent_text_hash("older text"))
    assert b"changed" in response.content
    assert not Contact.objects.for_workspace(workspace).exists()


@pytest.mark.policy("P03")
def test_double_opt_in_sends_the_workspaces_confirmation_and_confirms(client, workspace):
    contact_list = ContactListFactory(workspace=workspace, consent_text=CONSENT, double_opt_in=True)
    _post(client, contact_list)
    subscription = Subscription.objects.for_workspace(workspace).get()
    assert subscription.status == SubscriptionStatus.UNCONFIRMED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["visitor@example.org"]
    assert message.extra_headers["X-Mailsoftly-Workspace"] == str(workspace.pk)
    assert workspace.name in message.from_email
    link = re.search(r"https?://\S+/subscribe/confirm/(\S+)/", message.body)
    assert link
    confirm_url = reverse("contacts:subscribe_confirm", args=[link.group(1)])
    # A GET (a link scanner) confirms nothing.
    client.get(confirm_url)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNCONFIRMED
    client.post(confirm_url)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED
    consent = ConsentRecord.objects.for_workspace(workspace).get()
    assert "confirmed_at" in consent.details


def test_confirmation_link_is_signed(client, workspace):
    assert (
        client.get(reverse("contacts:subscribe_confirm", args=["forged-token"])).status_code == 404
    )


def test_confirmation_link_expires(client, workspace, time_machine):
    contact_list = ContactListFactory(workspace=workspace, consent_text=CONSENT)
    _post(client, contact_list)
    token = re.search(r"/subscribe/confirm/(\S+)/", mail.outbox[0].body).group(1)
    time_machine.move_to(clock.days_from_now(8))
    assert client.post(reverse("contacts:subscribe_confirm", args=[token])).status_code == 404


def test_honeypot_stores_nothing(client, workspace):
    contact_list = ContactListFactory(workspace=workspace, consent_text=CONSENT)
    response = _post(client, contact_list, website="http://spam.example")
    assert response.status_code == 200
    assert not Contact.objects.for_workspace(workspace).exists()
    assert mail.outbox == []


def test_rate_limit_per_ip(client, workspace):
    contact_list = ContactListFactory(
        workspace=workspace, consent_text=CONSENT, double_opt_in=False
    )
    statuses = [
        _post(client, contact_list, email=f"p{i}@example.org").status_code for i in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    assert Contact.objects.for_workspace(workspace).count() == 10


def test_private_list_refuses_subscriptions(client, workspace):
    contact_list = ContactListFactory(workspace=workspace, visibility=ListVisibility.PRIVATE)
    assert (
        client.get(reverse("contacts:subscribe", args=[contact_list.form_key])).status_code == 404
    )
    assert _post(client, contact_list).status_code == 404
    assert not Contact.objects.for_workspace(workspace).exists()


def test_suppressed_address_gets_no_confirmation_mail(client, workspace):
    from mailsoftly.contacts.services import suppression_add

    suppression_add(workspace=workspace, email="visitor@example.org", reason="complained")
    contact_list = ContactListFactory(workspace=workspace, consent_text=CONSENT)
    _post(client, contact_list)
    assert mail.outbox == []


def test_eu_list_form_works_and_stays_in_eu(client, eu_workspace):
    contact_list = ContactListFactory(
        workspace=eu_workspace, consent_text=CONSENT, double_opt_in=False
    )
    _post(client, contact_list)
    assert Contact.objects.using("eu").count() == 1
    assert Contact.objects.using("default").count() == 0
