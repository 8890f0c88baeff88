"""Member removal (P30): disabled at once, restorable for 30 days, then purged."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.core import clock
from mailsoftly.teams.errors import PermissionRefused, TeamError
from mailsoftly.teams.models import Membership, Role
from mailsoftly.teams.services import member_purge_expired, member_remove, member_restore
from mailsoftly.teams.tasks import member_purge_expired_task
from tests.clients import signed_in
from tests.teams.helpers import add_member


@pytest.mark.policy("P30")
def test_removed_member_loses_access_at_once(client, user, workspace):
    member, membership = add_member(workspace)
    signed_in(client, member, workspace)
    assert client.get(reverse("web:dashboard")).context["current_workspace"] == workspace
    member_remove(workspace=workspace, actor=user, membership=membership)
    # The same session, on its very next request, no longer reaches the workspace.
    response = client.get(reverse("web:dashboard"))
    assert response.context["current_workspace"] is None
    membership.refresh_from_db()
    assert membership.disabled_at is not None and membership.trashed_at is not None
    assert membership.trashed_by_id == user.pk
    assert Membership.objects.due_for_purge().count() == 0


@pytest.mark.policy("P30")
def test_primary_admin_restores_on_day_29(user, workspace):
    _member, membership = add_member(workspace, Role.ADMIN)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        member_remove(workspace=workspace, actor=user, membership=membership)
    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert member_purge_expired() == 0
        membership.refresh_from_db()
        member_restore(workspace=workspace, actor=user, membership=membership)
    membership.refresh_from_db()
    assert membership.disabled_at is None and membership.trashed_at is None
    assert membership.role == Role.ADMIN
    assert AuditEvent.objects.filter(action="member.restored", actor=user).exists()


@pytest.mark.policy("P30")
def test_membership_is_purged_after_day_30_and_cannot_be_restored(user, workspace):
    member, membership = add_member(workspace)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        member_remove(workspace=workspace, actor=user, membership=membership)
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        membership.refresh_from_db()
        with pytest.raises(TeamError):
            member_restore(workspace=workspace, actor=user, membership=membership)
        assert member_purge_expired_task.delay().get() == 1
        assert member_purge_expired() == 0  # running it again is harmless
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert member.__class__.objects.filter(pk=member.pk).exists()  # the account stays
    assert AuditEvent.objects.filter(action="member.purged").count() == 1


@pytest.mark.policy("P30")
def test_only_the_primary_admin_restores(user, workspace):
    admin, _ = add_member(workspace, Role.ADMIN)
    _, membership = add_member(workspace)
    member_remove(workspace=workspace, actor=admin, membership=membership)
    membership.refresh_from_db()
    with pytest.raises(PermissionRefused):
        member_restore(workspace=workspace, actor=admin, membership=membership)
    assert Membership.objects.get(pk=membership.pk).disabled_at is not None
    assert AuditEvent.objects.filter(action="permission.refused", actor=admin).exists()


def test_purge_is_scheduled_daily(settings):
    entries = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "teams.member_purge_expired"
    ]
    assert entries and entries[0]["schedule"] <= 24 * 3600


def test_removing_twice_is_a_clear_error(user, workspace):
    _, membership = add_member(workspace)
    member_remove(workspace=workspace, actor=user, membership=membership)
    membership.refresh_from_db()
    with pytest.raises(TeamError):
        member_remove(workspace=workspace, actor=user, membership=membership)
