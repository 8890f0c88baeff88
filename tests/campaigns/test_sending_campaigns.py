"""Campaigns sent end to end into a real SMTP server (aiosmtpd), through the real store,
engine, composer and SMTP pool."""

from __future__ import annotations

import datetime as dt

import dkim as dkimpy
import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailsoftly.campaigns.store import DeliveryStore
from mailsoftly.campaigns.tasks import campaign_send_task, campaign_sweep_task
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import Contact, ContactStatus, Suppression
from mailsoftly.sending import services as sending_services
from mailsoftly.sending.models import CapturedMessage
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.fixture
def relay(workspace, smtp_server):
    """The workspace sends through the test SMTP server."""
    return smtp_server.relay_for(workspace, max_connections=3)


def _send(campaign, capture):
    with capture(execute=True, using=campaign.workspace.database):
        services.campaign_send(campaign=campaign)
    return Campaign.objects.for_workspace(campaign.workspace).get(pk=campaign.pk)


def test_campaign_sends_merged_signed_mime_with_rfc8058_headers(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks
):
    key = sending_services.dkim_key_generate(
        workspace=workspace, domain="shop.example", selector="s1"
    )
    contact_list, _contacts = make_list(
        workspace, [("ann@example.org", "Ann"), ("bo@example.org", "Bo")]
    )
    campaign = _send(make_campaign(workspace, contact_list), django_capture_on_commit_callbacks)

    assert campaign.status == CampaignStatus.SENT
    assert (campaign.total_count, campaign.sent_count) == (2, 2)
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp_server.messages}
    assert set(by_rcpt) == {"ann@example.org", "bo@example.org"}
    ann = by_rcpt["ann@example.org"].message
    assert ann["Subject"] == "News for Ann"
    assert "Hello Ann," in ann.get_body(("plain",)).get_content()
    assert "Hello Ann," in ann.get_body(("html",)).get_content()
    assert "Hello Bo," in by_rcpt["bo@example.org"].message.get_body(("plain",)).get_content()
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ann["List-Unsubscribe"].startswith("<http")
    assert ann["List-Id"] and ann["Feedback-ID"] and ann["Date"]
    delivery = Delivery.objects.for_workspace(workspace).get(email="ann@example.org")
    assert ann["Message-ID"] == f"<us.{campaign.pk}.{delivery.pk}@shop.example>"
    assert ann["Message-ID"] != by_rcpt["bo@example.org"].message["Message-ID"]
    record = key.dns_value.encode()
    for received in smtp_server.messages:
        assert dkimpy.verify(received.data, dnsfunc=lambda name, timeout=5: record)


def test_running_the_send_task_again_sends_nobody_twice(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks
):
    contact_list, _ = make_list(workspace, people(12))
    campaign = _send(make_campaign(workspace, contact_list), django_capture_on_commit_callbacks)
    # A duplicate task (redelivered by the broker, or a second worker) finds nothing to do,
    # even with the campaign forced back to "sending".
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING
    )
    campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    received = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert len(received) == 12
    assert len(set(received)) == 12


def _start_without_sending(campaign, capture):
    """Put the campaign in "sending" with its audience frozen, but send nothing yet."""
    from mailsoftly.campaigns import audience

    with capture(execute=False, using=campaign.workspace.database):
        services.campaign_send(campaign=campaign)
    audience.freeze(campaign=campaign)
    Campaign.objects.for_workspace(campaign.workspace).filter(pk=campaign.pk).update(
        audience_complete=True
    )
    campaign.refresh_from_db()
    return campaign


def test_two_workers_claim_disjoint_batches(workspace, django_capture_on_commit_callbacks):
    contact_list, _ = make_list(workspace, people(10))
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    first = DeliveryStore(campaign=campaign).claim(6)
    second = DeliveryStore(campaign=campaign).claim(6)
    assert len(first) == 6 and len(second) == 4
    assert not set(first) & set(second)
    assert DeliveryStore(campaign=campaign).claim(6) == []


def test_a_store_claims_above_its_last_claim_then_comes_back_for_rows_below(
    workspace, django_capture_on_commit_callbacks
):
    from mailsoftly.sending.messengers import Outcome, Result

    contact_list, _ = make_list(workspace, people(10))
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    store = DeliveryStore(campaign=campaign)
    first = store.claim(4)
    # The first row is handed back for a retry that is due at once (not_before now).
    store.record([Result(first[0], Outcome.RETRY, 451, "try later")])
    Delivery.objects.for_workspace(workspace).filter(pk=first[0]).update(not_before=None)
    second = store.claim(4)
    assert min(second) > max(first)  # above the last claim first, not the retry
    third = store.claim(4)
    assert len(third) == 2 and min(third) > max(second)
    # Nothing left above: the retry below is found.
    assert store.claim(4) == [first[0]]
    assert store.claim(4) == []


def test_dead_worker_rows_are_reclaimed_after_the_lease_and_sent_once(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks, time_machine
):
    from mailsoftly.sending.messengers import Outcome, Result

    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False)
    contact_list, _ = make_list(workspace, people(6))
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    dead = DeliveryStore(campaign=campaign)
    claimed = dead.next_batch(4)
    # The dead worker got 250 for the first two and recorded them, then was SIGKILLed.
    dead.record([Result(r.key, Outcome.SENT, 250) for r in claimed[:2]])

    # Before the lease runs out nobody else may touch its rows.
    campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    assert len(smtp_server.messages) == 2  # only the two never-claimed rows
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 10, tzinfo=dt.UTC), tick=False)
    assert campaign_sweep_task() == 1
    received = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    unrecorded = sorted(r.email for r in claimed[2:])
    never_claimed = sorted(
        Delivery.objects.for_workspace(workspace)
        .exclude(pk__in=[r.key for r in claimed])
        .values_list("email", flat=True)
    )
    assert received == sorted(unrecorded + never_claimed)
    # The dead worker's late write cannot overwrite the new owner's outcome.
    dead.record([Result(r.key, Outcome.FAILED, 554, "late") for r in claimed[2:]])
    statuses = set(Delivery.objects.for_workspace(workspace).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.sent_count == 6


@pytest.mark.policy("P27")
def test_trashed_and_unsubscribed_contacts_are_not_emailed(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks
):
    contact_list, contacts = make_list(workspace, people(6))
    trashed, unsubscribed, suppressed, late, bounced, fine = contacts
    contact_services.contact_trash(contact=trashed)
    contact_services.contact_unsubscribe_all(contact=unsubscribed)
    contact_services.suppression_add(workspace=workspace, email=suppressed.email, reason="manual")
    Contact.objects.for_workspace(workspace).filter(pk=bounced.pk).update(
        status=ContactStatus.BOUNCED
    )
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    # Late unsubscribe: after the audience was frozen, before the message went out.
    contact_services.contact_unsubscribe_all(contact=late)
    campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)

    assert [m.rcpt_tos for m in smtp_server.messages] == [[fine.email]]
    rows = dict(Delivery.objects.for_workspace(workspace).values_list("email", "reason"))
    assert trashed.email not in rows  # trash is never part of an audience
    assert unsubscribed.email not in rows  # left the list
    assert rows[suppressed.email] == "suppressed"
    assert rows[bounced.email] == "bounced"
    assert rows[late.email] == "unsubscribed"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.sent_count, campaign.skipped_count, campaign.total_count) == (1, 3, 4)


def test_permanent_5xx_marks_the_contact_bounced_and_suppressed(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks
):
    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address.startswith("person1@"):
            return "550 5.1.1 mailbox unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = handle_RCPT
    contact_list, contacts = make_list(workspace, people(3))
    campaign = _send(make_campaign(workspace, contact_list), django_capture_on_commit_callbacks)
    assert (campaign.sent_count, campaign.bounced_count) == (2, 1)
    bounced = Contact.objects.for_workspace(workspace).get(pk=contacts[0].pk)
    assert bounced.status == ContactStatus.BOUNCED
    assert Suppression.objects.for_workspace(workspace).filter(email=bounced.email).exists()


def test_campaign_pauses_itself_when_the_server_refuses_connections(
    workspace, django_capture_on_commit_callbacks
):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sending_services.smtp_server_create(
        workspace=workspace,
        name="Down",
        host="127.0.0.1",
        port=port,
        security="none",
        max_connections=2,
        is_default=True,
    )
    contact_list, _ = make_list(workspace, people(25))
    campaign = _send(make_campaign(workspace, contact_list), django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.PAUSED
    assert "connection errors in a row" in campaign.status_reason
    assert campaign.sent_count == 0
    # Nothing was lost: every row is still to be sent (queued for a retry).
    assert set(Delivery.objects.for_workspace(workspace).values_list("status", flat=True)) == {
        DeliveryStatus.QUEUED
    }


def test_scheduled_campaign_is_started_by_the_beat_sweep(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False)
    contact_list, _ = make_list(workspace, people(3))
    campaign = make_campaign(workspace, contact_list)
    services.campaign_schedule(
        campaign=campaign, at=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_sweep_task()
    assert smtp_server.messages == []
    time_machine.move_to(dt.datetime(2026, 11, 25, 12, 0, 1, tzinfo=dt.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_sweep_task()
    assert len(smtp_server.messages) == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_paused_campaign_sends_nothing_until_resumed(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks
):
    contact_list, _ = make_list(workspace, people(4))
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    services.campaign_pause(campaign=campaign)
    campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_resume(campaign=campaign)
    assert len(smtp_server.messages) == 4


def test_cancel_skips_what_was_not_sent_and_counts_add_up(
    workspace, django_capture_on_commit_callbacks
):
    contact_list, _ = make_list(workspace, people(4))
    campaign = _start_without_sending(
        make_campaign(workspace, contact_list), django_capture_on_commit_callbacks
    )
    services.campaign_cancel(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert campaign.skipped_count == campaign.total_count == 4


@pytest.mark.policy("P40")
def test_eu_campaign_data_and_captured_mail_stay_in_the_eu_database(
    eu_workspace, django_capture_on_commit_callbacks
):
    contact_list, _ = make_list(eu_workspace, people(3, "example.eu"))
    campaign = _send(make_campaign(eu_workspace, contact_list), django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT
    for model in (Campaign, Delivery, CapturedMessage):
        assert model.all_rows.using("eu").exists()
        assert not model.all_rows.using("default").exists()
    captured = CapturedMessage.objects.for_workspace(eu_workspace).first()
    assert captured.message()["Message-ID"].startswith(f"<eu.{campaign.pk}.")


def test_campaign_cannot_start_without_design_or_audience(workspace):
    from django.core.exceptions import ValidationError

    campaign = services.campaign_create(workspace=workspace, name="Empty")
    with pytest.raises(ValidationError):
        services.campaign_send(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_transient_4xx_is_retried_with_backoff_and_only_that_recipient(
    workspace, smtp_server, relay, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False)
    refused_once: set[str] = set()

    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address.startswith("person2@") and address not in refused_once:
            refused_once.add(address)
            return "451 4.7.1 greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = handle_RCPT
    contact_list, _ = make_list(workspace, people(3))
    campaign = _send(make_campaign(workspace, contact_list), django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENDING  # one recipient still to go
    waiting = Delivery.objects.for_workspace(workspace).get(email="person2@example.org")
    assert waiting.status == DeliveryStatus.QUEUED
    assert waiting.not_before == dt.datetime(2026, 11, 25, 9, 1, tzinfo=dt.UTC)
    assert "451" in waiting.reason
    assert campaign_sweep_task() == 0  # not due yet
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 1, 30, tzinfo=dt.UTC), tick=False)
    assert campaign_sweep_task() == 1
    received = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert received == ["person1@example.org", "person2@example.org", "person3@example.org"]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count) == (CampaignStatus.SENT, 3)
