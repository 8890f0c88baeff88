"""Signed webhook delivery, retries with backoff, attempt rows, disabling (P15)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mailsoftly.core import clock
from mailsoftly.webhooks import selectors, services
from mailsoftly.webhooks.models import MessageStatus, WebhookMessage

pytestmark = pytest.mark.policy("P15")


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, workspace):
    """Deliveries are enqueued after commit; run them as the real commit would."""

    def emit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
            return _emit(**kwargs)

    def retry(**kwargs):
        with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
            return _retry(**kwargs)

    services.webhook_emit, services.webhook_message_retry = emit, retry
    yield
    services.webhook_emit, services.webhook_message_retry = _emit, _retry


_emit, _retry = services.webhook_emit, services.webhook_message_retry


def _endpoint(workspace, receiver, events=("contact.created",)):
    return services.webhook_endpoint_create(
        workspace=workspace, url=receiver.url + "/hook?x=1", events=list(events)
    )


def test_delivery_is_signed_per_standard_webhooks(workspace, receiver):
    endpoint = _endpoint(workspace, receiver)
    assert services.webhook_emit(workspace=workspace, event="contact.created", data={"id": 7}) == 1
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hook?x=1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Webhook(endpoint.secret).verify(request["body"], headers)
    assert payload["type"] == "contact.created" and payload["data"] == {"id": 7}
    message = WebhookMessage.objects.for_workspace(workspace).get()
    assert message.status == MessageStatus.DELIVERED
    attempt = selectors.webhook_attempt_list(message=message).get()
    assert attempt.success and attempt.status_code == 204


def test_a_tampered_body_does_not_verify(workspace, receiver):
    endpoint = _endpoint(workspace, receiver)
    services.webhook_emit(workspace=workspace, event="contact.created", data={"id": 7})
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request["body"].replace(b"7", b"8"), headers)


def test_unsubscribed_events_and_disabled_endpoints_get_nothing(workspace, receiver):
    endpoint = _endpoint(workspace, receiver, events=["campaign.finished"])
    assert services.webhook_emit(workspace=workspace, event="contact.created", data={}) == 0
    services._endpoint_disable(endpoint, reason="test")
    assert services.webhook_emit(workspace=workspace, event="campaign.finished", data={}) == 0
    assert receiver.requests == []


def test_failures_are_retried_with_backoff_then_endpoint_disabled_and_admins_told(
    workspace, receiver, user, django_capture_on_commit_callbacks
):
    receiver.status = 500
    receiver.body = b"boom" * 1000
    _endpoint(workspace, receiver)
    services.webhook_emit(workspace=workspace, event="contact.created", data={"id": 1})
    message = WebhookMessage.objects.for_workspace(workspace).get()
    assert message.status == MessageStatus.PENDING and message.attempt_count == 1
    first_due = message.next_attempt_at
    assert first_due - clock.now() <= timedelta(seconds=6)
    # Nothing is retried before it is due.
    assert services.webhook_retry_due(region=workspace.region) == 0
    delays = []
    moment = clock.now()
    for _ in services.RETRY_DELAYS:
        message.refresh_from_db()
        delays.append(message.next_attempt_at - moment)
        moment = message.next_attempt_at
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert services.webhook_retry_due(region=workspace.region) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert sum(delays, timedelta()) >= timedelta(hours=24)
    assert delays == sorted(delays)
    attempts = list(selectors.webhook_attempt_list(message=message))
    assert len(attempts) == len(services.RETRY_DELAYS) + 1
    assert all(a.status_code == 500 and not a.success for a in attempts)
    assert (
        attempts[0].response_excerpt.startswith("boom")
        and len(attempts[0].response_excerpt) <= 1000
    )
    message.endpoint.refresh_from_db()
    assert message.endpoint.disabled_at is not None
    assert any(user.email in m.to and "disabled" in m.subject for m in mail.outbox)


def test_manual_retry_delivers_again(workspace, receiver):
    receiver.status = 503
    _endpoint(workspace, receiver)
    services.webhook_emit(workspace=workspace, event="contact.created", data={"id": 1})
    message = WebhookMessage.objects.for_workspace(workspace).get()
    receiver.status = 200
    services.webhook_message_retry(message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert [a.status_code for a in selectors.webhook_attempt_list(message=message)] == [503, 200]


def test_a_redirect_is_not_followed(workspace, receiver, second_receiver):
    receiver.status = 302
    receiver.extra_headers = {"Location": second_receiver.url + "/steal"}
    _endpoint(workspace, receiver)
    services.webhook_emit(workspace=workspace, event="contact.created", data={})
    assert len(receiver.requests) == 1
    assert second_receiver.requests == []
    message = WebhookMessage.objects.for_workspace(workspace).get()
    assert message.status == MessageStatus.PENDING
    assert selectors.webhook_attempt_list(message=message).get().status_code == 302


def test_payload_is_json(workspace, receiver):
    _endpoint(workspace, receiver)
    services.webhook_emit(workspace=workspace, event="contact.created", data={"email": "a@b.c"})
    assert json.loads(receiver.requests[0]["body"])["data"] == {"email": "a@b.c"}
