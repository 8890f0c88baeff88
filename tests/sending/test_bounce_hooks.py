"""Inbound bounces over HTTP (/hooks/bounces/<source>/): token, body checks, and the
queued task applying real DSNs and SES notifications to a campaign really sent."""

from __future__ import annotations

import base64
import json

import pytest

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Delivery, DeliveryStatus
from mailsoftly.contacts.models import Contact, ContactStatus, Suppression
from mailsoftly.sending import services as sending_services
from mailsoftly.sending import tasks as sending_tasks
from mailsoftly.sending.models import BounceHook
from tests.campaigns.helpers import make_campaign, make_list
from tests.sending.test_bounces import dsn


@pytest.fixture
def sent(workspace, smtp_server, django_capture_on_commit_callbacks):
    smtp_server.relay_for(workspace)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann"), ("bo@example.org", "Bo")])
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    return {m.rcpt_tos[0]: m.data for m in smtp_server.messages}


@pytest.fixture
def token(workspace):
    return sending_services.bounce_hook_create(workspace=workspace, name="SES")[1]


def _post(client, source, body, token, content_type="message/rfc822", **extra):
    return client.post(
        f"/hooks/bounces/{source}/",
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"} if token else {},
        **extra,
    )


def _status(workspace, email):
    return Delivery.objects.for_workspace(workspace).get(email=email).status


def _sns(message: dict, message_id="6f1e-aa-1") -> bytes:
    return json.dumps(
        {"Type": "Notification", "MessageId": message_id, "Message": json.dumps(message)}
    ).encode()


def _ses_bounce(original: bytes, recipient="ann@example.org") -> dict:
    message_id = next(
        line.split(b":", 1)[1].strip().decode()
        for line in original.split(b"\r\n")
        if line.lower().startswith(b"message-id:")
    )
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
        },
        "mail": {"commonHeaders": {"messageId": message_id}},
    }


def test_raw_dsn_posted_with_the_token_bounces_the_delivery(client, workspace, sent, token):
    response = _post(client, "dsn", dsn(original=sent["ann@example.org"]), token)
    assert response.status_code == 202, response.content
    assert _status(workspace, "ann@example.org") == DeliveryStatus.BOUNCED
    assert _status(workspace, "bo@example.org") == DeliveryStatus.SENT
    contact = Contact.objects.for_workspace(workspace).get(email="ann@example.org")
    assert contact.status == ContactStatus.BOUNCED
    assert BounceHook.objects.for_workspace(workspace).get().last_used_at is not None


def test_ses_notification_through_sns_with_basic_auth_is_applied_once(
    client, workspace, sent, token
):
    body = _sns(_ses_bounce(sent["bo@example.org"], recipient="bo@example.org"))
    basic = base64.b64encode(f"sns:{token}".encode()).decode()
    for _attempt in range(2):  # SNS retries deliver the same MessageId again
        response = client.post(
            "/hooks/bounces/ses/",
            body,
            content_type="text/plain",
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 202, response.content
    assert _status(workspace, "bo@example.org") == DeliveryStatus.BOUNCED
    assert Suppression.objects.for_workspace(workspace).count() == 1


def test_sns_subscription_confirmation_is_followed_only_to_amazon(client, token, monkeypatch):
    visited = []
    monkeypatch.setattr(
        sending_tasks.sns_subscription_confirm_task, "delay", lambda url: visited.append(url)
    )
    good = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    body = json.dumps({"Type": "SubscriptionConfirmation", "SubscribeURL": good}).encode()
    assert _post(client, "ses", body, token, "text/plain").status_code == 202
    evil = json.dumps(
        {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://amazonaws.com.evil.example/"}
    ).encode()
    assert _post(client, "ses", evil, token, "text/plain").status_code == 400
    assert visited == [good]


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("dsn", b""),
        ("dsn", b"   \r\n"),
        ("dsn", b"no headers here at all\r\n"),
        ("ses", b"{not json"),
        ("ses", b"\xff\xfe\x00"),
        ("ses", b"[1, 2]"),
        ("ses", b'{"Type": "Notification", "MessageId": "x"}'),
        ("ses", b'{"Type": "Notification", "Message": "{}"}'),
        ("ses", b'{"Type": "Whatever"}'),
        ("ses", b"[" * 100000),
    ],
)
def test_bad_bodies_are_400_problems_and_change_nothing(
    client, workspace, sent, token, source, body
):
    response = _post(client, source, body, token)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(Delivery.objects.for_workspace(workspace).values_list("status", flat=True)) == {
        DeliveryStatus.SENT
    }


@pytest.mark.parametrize("bad", ["", "bh_us_wrong", "bh_zz_x", "nonsense", "Basic"])
def test_missing_or_wrong_token_is_401(client, workspace, sent, bad):
    response = _post(client, "dsn", dsn(original=sent["ann@example.org"]), bad)
    assert response.status_code == 401
    assert _status(workspace, "ann@example.org") == DeliveryStatus.SENT


def test_trashed_hook_token_no_longer_works(client, workspace, sent, token):
    hook = BounceHook.objects.for_workspace(workspace).get()
    sending_services.bounce_hook_trash(hook=hook)
    assert _post(client, "dsn", dsn(original=sent["ann@example.org"]), token).status_code == 401


def test_get_changes_nothing_and_unknown_source_is_404(client, token):
    assert client.get(f"/hooks/bounces/dsn/?token={token}").status_code == 405
    assert _post(client, "smtp", b"x: y\r\n\r\n", token).status_code == 404


@pytest.mark.policy("P02")
def test_a_hook_acts_only_on_its_own_workspace(client, workspace, sent):
    from mailsoftly.teams.services import workspace_create
    from tests.factories import UserFactory

    other = workspace_create(owner=UserFactory(), name="Other")
    their_token = sending_services.bounce_hook_create(workspace=other, name="Theirs")[1]
    response = _post(client, "dsn", dsn(original=sent["ann@example.org"]), their_token)
    assert response.status_code == 202  # accepted, then left unmatched by the task
    assert _status(workspace, "ann@example.org") == DeliveryStatus.SENT
    assert not Suppression.objects.for_workspace(workspace).exists()


def test_settings_page_creates_a_hook_and_shows_its_token_once(logged_in_client, workspace):
    response = logged_in_client.post("/settings/sending/bounce-hooks/new/", {"name": "SES"})
    assert response.status_code == 200
    hook = BounceHook.objects.for_workspace(workspace).get()
    token = response.context["new_hook_token"]
    assert token.startswith("bh_us_") and token.encode() in response.content
    assert hook.token_hash != token and token not in hook.token_hash
    assert token.encode() not in logged_in_client.get("/settings/sending/").content
