"""Platform newsletters only to consenting accounts (P19); /metrics behind a token."""

import pytest
from django.core import mail
from django.test import Client

from mailsoftly.accounts.models import ConsentSource
from mailsoftly.accounts.services import marketing_consent_set
from mailsoftly.ops.newsletter import newsletter_send
from tests.factories import UserFactory


@pytest.mark.policy("P19")
def test_newsletter_goes_only_to_current_consent_with_working_unsubscribe(db):
    yes = UserFactory()
    no = UserFactory()
    withdrawn = UserFactory()
    marketing_consent_set(user=yes, granted=True, source=ConsentSource.MY_ACCOUNT)
    marketing_consent_set(user=withdrawn, granted=True, source=ConsentSource.MY_ACCOUNT)
    marketing_consent_set(user=withdrawn, granted=False, source=ConsentSource.MY_ACCOUNT)

    assert newsletter_send(subject="News", text="Hello") == 1
    assert [m.to for m in mail.outbox] == [[yes.email]]
    assert no.email not in str([m.to for m in mail.outbox])
    message = mail.outbox[0]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body

    # One-click: a mail client POSTs without a CSRF token; consent is withdrawn at once.
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post("/" + path)
    assert response.status_code == 200
    yes.refresh_from_db()
    assert not yes.marketing_opt_in
    mail.outbox.clear()
    assert newsletter_send(subject="News", text="Hello") == 0


def test_metrics_need_the_bearer_token(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    body = response.content.decode()
    for name in (
        "mailsoftly_signed_in_requests_5m",
        "mailsoftly_send_rate",
        "mailsoftly_queue_depth",
        "mailsoftly_event_ingest_lag_seconds",
        "mailsoftly_bounce_rate",
        "mailsoftly_complaint_rate",
        "mailsoftly_task_failures_total",
    ):
        assert f"# TYPE {name}" in body


def test_metrics_without_a_configured_token_are_always_401(client, db, settings):
    settings.METRICS_TOKEN = None
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_task_failures_are_counted(client, db, settings):
    from mailsoftly.ops.metrics import task_failure_count, task_failures

    before = task_failures()
    task_failure_count()
    assert task_failures() == before + 1


def test_staff_newsletter_page_sends_only_to_consenting_accounts(
    staff_client, django_capture_on_commit_callbacks
):
    yes = UserFactory()
    UserFactory()
    marketing_consent_set(user=yes, granted=True, source=ConsentSource.MY_ACCOUNT)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/support/newsletter/", {"subject": "November news", "text": "Hi"}
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[yes.email]]


def test_newsletter_page_is_404_for_non_staff(logged_in_client):
    assert logged_in_client.get("/support/newsletter/").status_code == 404
