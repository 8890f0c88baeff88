"""Transactional mail: one design to one address through the campaign path, into a real
SMTP server (aiosmtpd), exactly once per idempotency key."""

from __future__ import annotations

import dkim as dkimpy
import pytest
from django.core.exceptions import ValidationError

from mailsoftly.campaigns import selectors, transactional
from mailsoftly.campaigns.models import Campaign, CampaignKind, Delivery, DeliveryStatus
from mailsoftly.campaigns.tasks import transactional_send_task
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import ContactStatus, SuppressionReason
from mailsoftly.sending import services as sending_services
from tests.campaigns.helpers import make_design


@pytest.fixture
def relay(workspace, smtp_server):
    return smtp_server.relay_for(workspace, max_connections=2)


@pytest.fixture
def receipt(workspace):
    design = make_design(workspace, subject="Your order {{ contact.order }}")
    design.from_name, design.from_email = "Shop", "orders@shop.example"
    design.save()
    return design


def _send(capture, **kwargs):
    with capture(execute=True, using=kwargs["workspace"].database):
        return transactional.transactional_send(**kwargs)


def test_transactional_message_is_merged_signed_and_has_no_unsubscribe_headers(
    workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    key = sending_services.dkim_key_generate(
        workspace=workspace, domain="shop.example", selector="t1"
    )
    delivery, created = _send(
        django_capture_on_commit_callbacks,
        workspace=workspace,
        design=receipt,
        to_email="Ann@Example.org",
        data={"first_name": "Ann", "order": "A-17"},
        idempotency_key="order-A-17",
    )
    assert created
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["Ann@example.org"]
    message = received.message
    assert message["Subject"] == "Your order A-17"
    assert "Hello Ann," in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    stream = Campaign.objects.for_workspace(workspace).get(pk=delivery.campaign_id)
    assert stream.kind == CampaignKind.TRANSACTIONAL
    assert message["Message-ID"] == f"<us.{stream.pk}.{delivery.pk}@shop.example>"
    assert message["X-Mailsoftly-Delivery"] == f"us.{delivery.pk}"
    assert dkimpy.verify(received.data, dnsfunc=lambda name, timeout=5: key.dns_value.encode())
    assert (stream.total_count, stream.sent_count) == (1, 1)
    # The stream is not one of the workspace's campaigns.
    assert stream not in selectors.campaign_list(workspace=workspace)


def test_same_idempotency_key_sends_once(
    workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    kwargs = dict(
        workspace=workspace,
        design=receipt,
        to_email="bo@example.org",
        data={"order": "B-1"},
        idempotency_key="welcome-bo",
    )
    first, created_first = _send(django_capture_on_commit_callbacks, **kwargs)
    second, created_second = _send(django_capture_on_commit_callbacks, **kwargs)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    # The task delivered twice (a broker redelivery) finds nothing left to claim.
    assert transactional_send_task(workspace_id=workspace.pk, delivery_id=first.pk) == 0
    assert len(smtp_server.messages) == 1
    assert (
        Delivery.objects.for_workspace(workspace).filter(idempotency_key="welcome-bo").count() == 1
    )


def test_reusing_a_key_for_another_address_is_a_conflict(
    workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    _send(
        django_capture_on_commit_callbacks,
        workspace=workspace,
        design=receipt,
        to_email="cy@example.org",
        idempotency_key="k1",
    )
    with pytest.raises(transactional.TransactionalConflict):
        transactional.transactional_send(
            workspace=workspace, design=receipt, to_email="dee@example.org", idempotency_key="k1"
        )
    assert [m.rcpt_tos for m in smtp_server.messages] == [["cy@example.org"]]


def test_unsubscribed_contact_still_gets_transactional_mail_but_suppressed_does_not(
    workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    contact = contact_services.contact_create(workspace=workspace, email="eve@example.org")
    type(contact).objects.for_workspace(workspace).filter(pk=contact.pk).update(
        status=ContactStatus.UNSUBSCRIBED
    )
    sent, _ = _send(
        django_capture_on_commit_callbacks,
        workspace=workspace,
        design=receipt,
        to_email="eve@example.org",
    )
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.SENT and sent.contact_id == contact.pk

    contact_services.suppression_add(
        workspace=workspace, email="eve@example.org", reason=SuppressionReason.BOUNCED
    )
    skipped, _ = _send(
        django_capture_on_commit_callbacks,
        workspace=workspace,
        design=receipt,
        to_email="eve@example.org",
    )
    assert (skipped.status, skipped.reason) == (DeliveryStatus.SKIPPED, "suppressed")
    assert len(smtp_server.messages) == 1


def test_address_suppressed_while_queued_is_not_mailed(
    workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    delivery, _ = transactional.transactional_send(
        workspace=workspace, design=receipt, to_email="fay@example.org"
    )  # on_commit not run: the task has not started yet
    contact_services.suppression_add(
        workspace=workspace, email="fay@example.org", reason=SuppressionReason.COMPLAINED
    )
    transactional_send_task(workspace_id=workspace.pk, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SKIPPED
    assert smtp_server.messages == []


def test_bad_address_and_bad_merge_data_write_nothing(workspace, receipt):
    with pytest.raises(ValidationError) as bad_address:
        transactional.transactional_send(workspace=workspace, design=receipt, to_email="nope")
    assert "to" in bad_address.value.message_dict
    with pytest.raises(ValidationError) as bad_data:
        transactional.transactional_send(
            workspace=workspace, design=receipt, to_email="g@example.org", data=["x"]
        )
    assert "data" in bad_data.value.message_dict
    assert not Delivery.objects.for_workspace(workspace).exists()
