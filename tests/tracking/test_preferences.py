import pytest
from django.urls import reverse

from mailsoftly.campaigns.compose import unsubscribe_token
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import Contact, ContactStatus, Subscription, SubscriptionStatus
from mailsoftly.tracking.models import CampaignStats
from mailsoftly.tracking.recorder import drain


def _url(delivery):
    return reverse(
        "tracking:preferences", args=[unsubscribe_token(region="us", delivery_id=delivery.pk)]
    )


def _statuses(workspace, contact_id):
    return dict(
        Subscription.objects.for_workspace(workspace)
        .filter(contact_id=contact_id)
        .values_list("contact_list__name", "status")
    )


@pytest.fixture
def second_list(sent_campaign, deliveries):
    workspace = sent_campaign.workspace
    extra = contact_services.contact_list_create(workspace=workspace, name="Offers")
    contact = Contact.objects.for_workspace(workspace).get(pk=deliveries[0].contact_id)
    contact.workspace = workspace
    contact_services.contact_subscribe(contact=contact, contact_list=extra)
    return extra


def test_recipient_sees_their_lists_without_signing_in(client, deliveries, second_list):
    page = client.get(_url(deliveries[0])).content.decode()
    assert "Newsletter" in page and "Offers" in page
    assert "person1@example.org" in page


def test_leaving_one_list_keeps_the_others_and_counts_an_unsubscribe(
    client, sent_campaign, deliveries, second_list, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True, using=sent_campaign.workspace.database):
        response = client.post(
            _url(deliveries[0]),
            {"lists": [second_list.pk], "first_name": "Ann", "last_name": "Lee"},
        )
    assert "saved" in response.content.decode()
    workspace = sent_campaign.workspace
    assert _statuses(workspace, deliveries[0].contact_id) == {
        "Newsletter": SubscriptionStatus.UNSUBSCRIBED,
        "Offers": SubscriptionStatus.SUBSCRIBED,
    }
    contact = Contact.objects.for_workspace(workspace).get(pk=deliveries[0].contact_id)
    assert (contact.first_name, contact.last_name) == ("Ann", "Lee")
    drain(claim_idle_ms=0)
    assert CampaignStats.objects.for_workspace(workspace).get().unsubscribes == 1


def test_unsubscribe_from_everything(client, sent_campaign, deliveries, second_list):
    client.post(_url(deliveries[0]), {"unsubscribe_all": "1"})
    workspace = sent_campaign.workspace
    assert set(_statuses(workspace, deliveries[0].contact_id).values()) == {
        SubscriptionStatus.UNSUBSCRIBED
    }
    assert (
        Contact.objects.for_workspace(workspace).get(pk=deliveries[0].contact_id).status
        == ContactStatus.UNSUBSCRIBED
    )


def test_header_injection_in_the_name_is_refused_and_nothing_changes(
    client, sent_campaign, deliveries, second_list
):
    response = client.post(
        _url(deliveries[0]), {"lists": [second_list.pk], "first_name": "Ann\r\nBcc: x@evil.example"}
    )
    assert response.status_code == 200
    assert "Line breaks are not allowed here." in response.content.decode()
    assert "Newsletter" in _statuses(sent_campaign.workspace, deliveries[0].contact_id)
    assert set(_statuses(sent_campaign.workspace, deliveries[0].contact_id).values()) == {
        SubscriptionStatus.SUBSCRIBED
    }


@pytest.mark.parametrize("token", ["garbage", "us.1:forged", ""])
def test_a_bad_token_is_a_clear_page(client, token):
    response = client.get(f"/p/{token or 'x'}/")
    assert response.status_code == 404
    assert "incomplete or has been changed" in response.content.decode()
