"""Legal hold (policy P28): exempt from purge, hidden from the user, read only via its export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from mailsoftly.accounts.models import User
from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import services, tasks
from mailsoftly.lifecycle.models import LegalHoldAccess
from tests.contacts.factories import ContactFactory
from tests.factories import UserFactory

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _hold(staff, **kwargs):
    return services.legal_hold_place(
        actor=staff, reason="Tax audit 2026", reference="CASE-42", **kwargs
    )


@pytest.mark.policy("P28")
def test_held_workspace_survives_the_purge_and_resumes_after_release(
    workspace, user, staff, at_start
):
    contact = ContactFactory(workspace=workspace, email="kept@example.com")
    services.trash_move(obj_or_queryset=contact, actor=user)
    hold = _hold(staff, scope="workspace", workspace=workspace)
    at_start.shift(timedelta(days=45))
    tasks.purge_trash_task.delay()
    assert Contact.all_rows.for_workspace(workspace).get() == contact

    services.legal_hold_release(hold=hold, actor=staff)
    tasks.purge_trash_task.delay()
    assert not Contact.all_rows.for_workspace(workspace).exists()


@pytest.mark.policy("P28")
def test_held_object_is_hidden_from_the_user_and_cannot_be_restored(
    logged_in_client, workspace, user, staff
):
    held = ContactFactory(workspace=workspace, email="held@example.com")
    ContactFactory(workspace=workspace, email="free@example.com")
    services.trash_move(obj_or_queryset=Contact.objects.for_workspace(workspace), actor=user)
    _hold(
        staff,
        scope="object",
        workspace=workspace,
        object_type="contacts.contact",
        object_id=held.pk,
    )
    page = logged_in_client.get(reverse("lifecycle:trash")).content.decode()
    assert "free@example.com" in page and "held@example.com" not in page
    response = logged_in_client.post(
        reverse("lifecycle:trash_restore", args=["contacts.contact", held.pk])
    )
    assert response.status_code == 404
    with pytest.raises(services.TrashError, match="legal hold"):
        services.trash_restore(obj_or_queryset=held, actor=user)


@pytest.mark.policy("P28")
def test_held_object_survives_purge_while_others_go(workspace, user, staff, at_start):
    held = ContactFactory(workspace=workspace)
    other = ContactFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=Contact.objects.for_workspace(workspace), actor=user)
    _hold(
        staff,
        scope="object",
        workspace=workspace,
        object_type="contacts.contact",
        object_id=held.pk,
    )
    at_start.shift(timedelta(days=31))
    tasks.purge_trash_task.delay()
    remaining = list(Contact.all_rows.for_workspace(workspace))
    assert remaining == [held] and other not in remaining


@pytest.mark.policy("P28", "P29")
def test_held_account_is_not_purged(user, workspace, staff, at_start):
    ContactFactory(workspace=workspace)
    services.account_deletion_request(user=user, password=PASSWORD)
    _hold(staff, scope="account", user=user)
    at_start.shift(timedelta(days=40))
    tasks.purge_accounts_task.delay()
    tasks.purge_trash_task.delay()
    assert User.objects.filter(pk=user.pk).exists()
    assert Contact.all_rows.for_workspace(workspace).exists()


@pytest.mark.policy("P28")
def test_held_data_is_read_only_through_the_export_and_every_access_is_logged(
    client, workspace, user, staff
):
    from mailsoftly.audit.models import AuditEvent

    contact = ContactFactory(workspace=workspace, email="evidence@example.com")
    services.trash_move(obj_or_queryset=contact, actor=user)
    hold = _hold(staff, scope="workspace", workspace=workspace)
    client.force_login(staff)
    for _ in range(2):
        response = client.get(reverse("lifecycle:legal_hold_export", args=[hold.pk]))
        assert response.status_code == 200
    data = json.loads(response.content)
    emails = [row["fields"]["email"] for row in data["data"]["rows"]["contacts.contact"]]
    assert emails == ["evidence@example.com"]
    assert LegalHoldAccess.objects.filter(hold=hold, actor=staff).count() == 2
    assert AuditEvent.objects.filter(action="legal_hold.exported").count() == 2


@pytest.mark.policy("P36")
def test_the_readers_ip_is_kept_only_in_the_audit_entry_and_forgotten_with_it(
    client, workspace, staff, at_start
):
    """The access row has no IP column; the audit entry's IP follows the audit retention."""
    from mailsoftly.audit import services as audit_services
    from mailsoftly.audit.models import AuditEvent

    hold = _hold(staff, scope="workspace", workspace=workspace)
    client.force_login(staff)
    client.get(reverse("lifecycle:legal_hold_export", args=[hold.pk]), REMOTE_ADDR="203.0.113.9")
    assert "ip" not in {field.name for field in LegalHoldAccess._meta.get_fields()}
    entry = AuditEvent.objects.get(action="legal_hold.exported")
    assert entry.ip == "203.0.113.9"
    at_start.shift(audit_services.ip_retention() + timedelta(days=1))
    audit_services.audit_anonymise_expired()
    entry.refresh_from_db()
    assert entry.ip is None


def test_non_staff_cannot_export_a_hold(logged_in_client, workspace, staff):
    hold = _hold(staff, scope="workspace", workspace=workspace)
    response = logged_in_client.get(reverse("lifecycle:legal_hold_export", args=[hold.pk]))
    assert response.status_code == 404
    assert not LegalHoldAccess.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scope": "workspace"}, "Choose the workspace"),
        ({"scope": "account"}, "Choose the account"),
        ({"scope": "bogus"}, "Choose what to hold"),
        (
            {"scope": "object", "object_type": "contacts.contact", "object_id": "x"},
            "Choose the workspace",
        ),
    ],
)
def test_bad_hold_requests_are_refused_clearly(staff, kwargs, message):
    with pytest.raises(services.LegalHoldError, match=message):
        _hold(staff, **kwargs)


def test_hold_on_missing_object_is_refused(staff, workspace):
    with pytest.raises(services.LegalHoldError, match="does not exist"):
        _hold(
            staff,
            scope="object",
            workspace=workspace,
            object_type="contacts.contact",
            object_id="abc",
        )


def test_staff_place_a_hold_in_the_admin_with_reason_and_reference(client, staff, workspace):
    client.force_login(staff)
    response = client.post(
        reverse("admin:lifecycle_legalhold_add"),
        {"scope": "workspace", "workspace": workspace.pk, "reason": "", "reference": "R-1"},
    )
    assert (
        response.status_code == 200
        and "needs a reason and a reference" in response.content.decode()
    )
    response = client.post(
        reverse("admin:lifecycle_legalhold_add"),
        {"scope": "workspace", "workspace": workspace.pk, "reason": "Court", "reference": "R-1"},
    )
    assert response.status_code == 302
    from mailsoftly.lifecycle.models import LegalHold

    hold = LegalHold.objects.get()
    assert hold.placed_by == staff and hold.is_active
