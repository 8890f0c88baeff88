"""Personal data (policy P24): "download my data" and the register of requests."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mailsoftly.lifecycle import services, tasks
from mailsoftly.lifecycle.models import DataRequest
from tests.contacts.factories import ContactFactory
from tests.factories import UserFactory

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


def _bundle(client) -> tuple[dict, str]:
    response = client.post(reverse("lifecycle:my_data"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("data.json")), archive.read("index.html").decode()


@pytest.mark.policy("P24")
def test_download_my_data_has_profile_memberships_and_audit_but_no_secrets(
    logged_in_client, user, workspace
):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    assert "download" in logged_in_client.get(reverse("lifecycle:my_data")).content.decode().lower()
    data, html = _bundle(logged_in_client)
    assert data["account"]["email"] == user.email
    assert "password" not in data["account"]
    memberships = data["records"]["teams.membership"]
    assert [m["workspace_id"] for m in memberships] == [workspace.pk]
    assert "mfa.authenticator" in data["records"]
    assert "data" not in data["records"]["mfa.authenticator"][0]
    assert secret not in json.dumps(data) and user.password not in json.dumps(data)
    assert any(e["action"] == "workspace.created" for e in data["records"]["audit.auditevent"])
    assert user.email in html and "<main>" in html
    assert len(data["sessions"]) == 1


@pytest.mark.policy("P24", "P40")
def test_download_my_data_has_the_audit_entries_kept_in_each_region(
    logged_in_client, user, eu_workspace
):
    """What the user did to an EU workspace's content is logged in the EU; it is theirs too."""
    contact = ContactFactory(workspace=eu_workspace, email="eva@example.eu")
    services.trash_move(obj_or_queryset=contact, actor=user)
    data, _html = _bundle(logged_in_client)
    regional = data["records"]["audit.regionalauditevent"]
    assert [(e["region"], e["action"]) for e in regional] == [("eu", "trash.move")]
    assert "regions_not_included" not in data


@pytest.mark.policy("P24", "P28")
def test_a_legal_hold_on_the_account_is_not_shown_to_its_owner(logged_in_client, user):
    services.legal_hold_place(
        actor=UserFactory(is_staff=True),
        scope="account",
        user=user,
        reason="Investigation",
        reference="SECRET-REF",
    )
    data, html = _bundle(logged_in_client)
    assert "SECRET-REF" not in json.dumps(data) and "SECRET-REF" not in html


def test_download_my_data_is_audit_logged(logged_in_client, user):
    from mailsoftly.audit.models import AuditEvent

    _bundle(logged_in_client)
    assert AuditEvent.objects.filter(action="personal_data.downloaded", actor=user).exists()


@pytest.mark.policy("P24")
def test_requests_have_a_due_date_and_staff_are_reminded_once_before_it(
    db, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    with time_machine.travel(START, tick=False) as traveller:
        entry = services.data_request_record(
            kind="access", requester_email="ann@example.com", actor=staff
        )
        assert entry.due_at == START + timedelta(days=30)
        traveller.shift(timedelta(days=24))
        assert tasks.data_requests_remind_task.delay().get() == 0
        traveller.shift(timedelta(days=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.data_requests_remind_task.delay().get() == 1
        assert tasks.data_requests_remind_task.delay().get() == 0
    (message,) = mail.outbox
    assert message.to == [staff.email] and "ann@example.com" in message.body


def test_closed_requests_are_not_reminded(db):
    staff = UserFactory(is_staff=True)
    with time_machine.travel(START, tick=False) as traveller:
        entry = services.data_request_record(kind="deletion", requester_email="b@example.com")
        services.data_request_close(entry=entry, actor=staff, outcome="Deleted")
        traveller.shift(timedelta(days=29))
        assert services.data_request_remind_due() == 0
    entry.refresh_from_db()
    assert entry.closed_by == staff and entry.outcome == "Deleted"


def test_staff_record_a_request_in_the_admin(client, db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:lifecycle_datarequest_add"),
        {"kind": "correction", "requester_email": "c@example.com", "details": "Typo in name"},
    )
    assert response.status_code == 302
    entry = DataRequest.objects.get()
    assert entry.recorded_by == staff and entry.due_at > entry.received_at


@pytest.mark.policy("P24")
def test_download_my_data_includes_the_consent_ledger(logged_in_client, user):
    from mailsoftly.accounts.models import ConsentPurpose, ConsentSource
    from mailsoftly.accounts.services import consent_record

    consent_record(
        purpose=ConsentPurpose.THIRD_PARTY_SHARING,
        granted=True,
        source=ConsentSource.MY_ACCOUNT,
        ip_address="203.0.113.9",
        user=user,
    )
    data, _html = _bundle(logged_in_client)
    ledger = data["records"]["accounts.consentrecord"]
    assert [(r["purpose"], r["granted"], r["ip_address"]) for r in ledger] == [
        ("third_party_sharing", True, "203.0.113.9")
    ]
