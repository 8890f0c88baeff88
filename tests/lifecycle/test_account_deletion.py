"""Account deletion (policy P29): disabled at once, restorable 30 days, then purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mailsoftly.accounts.models import User
from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import hooks, services, tasks
from mailsoftly.lifecycle.models import AccountDeletion, ExportJob
from mailsoftly.teams.models import Membership, Role, Workspace
from mailsoftly.teams.services import workspace_create
from tests.contacts.factories import ContactFactory
from tests.factories import UserFactory
from tests.lifecycle.factories import ExportJobFactory

PASSWORD = "correct horse battery staple"
START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def recorded_hooks():
    calls: list[tuple[str, int]] = []

    def disabled(*, user):
        calls.append(("disabled", user.pk))

    def restored(*, user):
        calls.append(("restored", user.pk))

    hooks.on_account_disabled(disabled)
    hooks.on_account_restored(restored)
    yield calls
    hooks._HOOKS["account_disabled"].remove(disabled)
    hooks._HOOKS["account_restored"].remove(restored)


def _delete(client, password=PASSWORD, **extra):
    return client.post(
        reverse("lifecycle:account_delete"),
        {"password": password, "confirm": "on", **extra},
        follow=True,
    )


@pytest.mark.policy("P29")
def test_deleting_the_account_disables_it_at_once_and_mails_the_deadline(
    logged_in_client,
    user,
    workspace,
    at_start,
    recorded_hooks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(logged_in_client)
    assert "Your account is disabled" in response.content.decode()
    assert "March 31, 2026" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active is False
    deletion = AccountDeletion.objects.get(user=user)
    assert deletion.purge_after == START + timedelta(days=30)
    # Sessions ended: no stored session of the user is left, the client is signed out.
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    assert logged_in_client.get(reverse("lifecycle:trash")).status_code == 302
    # API keys and sends are stopped through the hooks other apps register.
    assert recorded_hooks == [("disabled", user.pk)]
    (message,) = mail.outbox
    assert message.to == [user.email] and "March 31, 2026" in message.body


@pytest.mark.policy("P29")
def test_other_sessions_of_the_user_end_too(client, user, workspace):
    other = client.__class__()
    other.force_login(user)
    client.force_login(user)
    services.account_deletion_request(user=user, password=PASSWORD)
    assert services.sessions_end(user_id=user.pk) == 2
    assert services.sessions_end(user_id=user.pk) == 0
    assert other.get(reverse("lifecycle:trash")).status_code == 302


def test_wrong_password_is_refused_next_to_the_field(logged_in_client, user):
    response = _delete(logged_in_client, password="nope")
    page = response.content.decode()
    assert "The password is not correct." in page and 'id="id_password-error"' in page
    user.refresh_from_db()
    assert user.is_active and not AccountDeletion.objects.exists()


def test_the_confirmation_box_is_required(logged_in_client, user):
    response = logged_in_client.post(
        reverse("lifecycle:account_delete"), {"password": PASSWORD}, follow=True
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    user.refresh_from_db()
    assert user.is_active


def test_two_factor_code_is_required_when_enabled(logged_in_client, user):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    assert Authenticator.objects.filter(user=user).exists()
    page = _delete(logged_in_client, otp_code="000000").content.decode()
    assert "Enter the current code from your authenticator app." in page
    user.refresh_from_db()
    assert user.is_active


def test_only_primary_admin_of_a_shared_workspace_must_transfer_first(logged_in_client, user):
    shared = workspace_create(owner=user, name="Shared team")
    Membership.objects.create(user=UserFactory(), workspace=shared, role=Role.MEMBER)
    page = _delete(logged_in_client).content.decode()
    assert "only Primary Admin of Shared team" in page
    user.refresh_from_db()
    assert user.is_active


def test_a_second_request_is_a_clear_message(user, workspace):
    services.account_deletion_request(user=user, password=PASSWORD)
    user.is_active = True  # as if re-enabled by hand without a restore
    with pytest.raises(services.AccountDeletionError, match="already scheduled"):
        services.account_deletion_request(user=user, password=PASSWORD)


@pytest.mark.policy("P29")
def test_staff_restore_on_day_29_gives_the_account_back(
    client, user, workspace, at_start, recorded_hooks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deletion = services.account_deletion_request(user=user, password=PASSWORD)
    at_start.shift(timedelta(days=29))
    tasks.purge_accounts_task.delay()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:lifecycle_accountdeletion_changelist"),
            {"action": "restore_accounts", "_selected_action": [deletion.pk]},
            follow=True,
        )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active
    deletion.refresh_from_db()
    assert deletion.restored_by == staff and deletion.restored_at == START + timedelta(days=29)
    assert ("restored", user.pk) in recorded_hooks


def test_restore_after_30_days_is_refused(user, workspace, at_start):
    deletion = services.account_deletion_request(user=user, password=PASSWORD)
    at_start.shift(timedelta(days=30, seconds=1))
    with pytest.raises(services.AccountDeletionError, match="30 days have passed"):
        services.account_deletion_restore(deletion=deletion, actor=None)


@pytest.mark.policy("P29", "P40")
def test_purge_after_30_days_deletes_account_personal_workspaces_and_their_content(
    user, workspace, eu_workspace, at_start
):
    ContactFactory(workspace=workspace)
    ExportJobFactory(workspace=eu_workspace)
    # A team with another member survives; only the user's membership goes.
    other = UserFactory()
    shared = workspace_create(owner=other, name="Shared")
    Membership.objects.create(user=user, workspace=shared, role=Role.MEMBER)
    shared_contact = ContactFactory(workspace=shared)

    deletion = services.account_deletion_request(user=user, password=PASSWORD)
    at_start.shift(timedelta(days=29))
    tasks.purge_accounts_task.delay()
    assert User.objects.filter(pk=user.pk).exists()

    at_start.shift(timedelta(days=2))
    tasks.purge_accounts_task.delay()
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Workspace.objects.filter(pk__in=[workspace.pk, eu_workspace.pk]).exists()
    assert not Contact.all_rows.using("default").filter(workspace_id=workspace.pk).exists()
    assert not ExportJob.all_rows.using("eu").filter(workspace_id=eu_workspace.pk).exists()
    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert list(Contact.objects.for_workspace(shared)) == [shared_contact]
    deletion.refresh_from_db()
    assert deletion.purged_at is not None and deletion.username == user.username

    # Idempotent: running again finds nothing to do.
    assert services.account_deletion_purge_due() == 0
