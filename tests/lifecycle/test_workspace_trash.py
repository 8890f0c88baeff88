"""A whole workspace in the trash: restorable 30 days, then purged with its content (P26)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import services, tasks
from mailsoftly.lifecycle.models import ExportJob
from mailsoftly.teams import selectors as team_selectors
from mailsoftly.teams.models import Membership, Workspace
from tests.contacts.factories import ContactFactory
from tests.lifecycle.factories import ExportJobFactory

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.policy("P26")
def test_trashed_workspace_disappears_for_its_members_at_once(user, workspace):
    assert services.workspace_trash(workspace=workspace, actor=user) is True
    assert services.workspace_trash(workspace=workspace, actor=user) is False
    assert workspace not in [m.workspace for m in team_selectors.membership_list(user=user)]


@pytest.mark.policy("P26")
def test_trashed_workspace_restores_on_day_29(user, workspace, at_start):
    ContactFactory(workspace=workspace)
    services.workspace_trash(workspace=workspace, actor=user)
    at_start.shift(timedelta(days=29))
    tasks.purge_workspaces_task.delay()
    services.workspace_restore(workspace=workspace, actor=user)
    assert workspace.trashed_at is None
    assert Contact.objects.for_workspace(workspace).count() == 1


@pytest.mark.policy("P26", "P40")
def test_trashed_eu_workspace_is_purged_with_its_content_after_day_30(
    user, eu_workspace, at_start, django_capture_on_commit_callbacks
):
    job = ExportJobFactory(workspace=eu_workspace, content=b"x")
    ContactFactory(workspace=eu_workspace)
    services.workspace_trash(workspace=eu_workspace, actor=user)
    at_start.shift(timedelta(days=31))
    with pytest.raises(services.TrashError, match="more than 30 days"):
        services.workspace_restore(workspace=eu_workspace, actor=user)
    with django_capture_on_commit_callbacks(execute=True, using="eu"):
        tasks.purge_workspaces_task.delay()
    assert not Workspace.objects.filter(pk=eu_workspace.pk).exists()
    assert not Membership.objects.filter(workspace_id=eu_workspace.pk).exists()
    assert not Contact.all_rows.using("eu").filter(workspace_id=eu_workspace.pk).exists()
    assert not ExportJob.all_rows.using("eu").filter(workspace_id=eu_workspace.pk).exists()
    assert not job.file.storage.exists(job.file.name)


@pytest.mark.policy("P28")
def test_held_trashed_workspace_is_not_purged(user, workspace, at_start):
    from tests.factories import UserFactory

    ContactFactory(workspace=workspace)
    services.workspace_trash(workspace=workspace, actor=user)
    services.legal_hold_place(
        actor=UserFactory(is_staff=True),
        scope="workspace",
        workspace=workspace,
        reason="Litigation",
        reference="L-1",
    )
    at_start.shift(timedelta(days=60))
    tasks.purge_workspaces_task.delay()
    assert Workspace.objects.filter(pk=workspace.pk).exists()
    assert Contact.all_rows.for_workspace(workspace).count() == 1


def test_restoring_a_live_workspace_is_a_clear_message(user, workspace):
    with pytest.raises(services.TrashError, match="not in the trash"):
        services.workspace_restore(workspace=workspace, actor=user)


@pytest.mark.policy("P28")
def test_a_held_child_keeps_its_parent_from_being_purged(user, workspace, at_start):
    from mailsoftly.lifecycle.models import ExportDownload
    from tests.factories import UserFactory
    from tests.lifecycle.factories import ExportDownloadFactory

    job = ExportJobFactory(workspace=workspace)
    download = ExportDownloadFactory(export=job)
    services.trash_move(obj_or_queryset=job, actor=user)
    services.legal_hold_place(
        actor=UserFactory(is_staff=True),
        scope="object",
        workspace=workspace,
        object_type="lifecycle.exportdownload",
        object_id=download.pk,
        reason="Evidence",
        reference="E-1",
    )
    at_start.shift(timedelta(days=31))
    tasks.purge_trash_task.delay()
    assert ExportDownload.all_rows.for_workspace(workspace).get() == download
    assert ExportJob.all_rows.for_workspace(workspace).get() == job
