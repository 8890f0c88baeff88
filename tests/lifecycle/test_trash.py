"""The trash in one place: move, restore, purge (policy P26, P27)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.utils import timezone

from mailsoftly.contacts.models import Contact, ContactList, Subscription
from mailsoftly.core.regions import RegionNotSet
from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.lifecycle import registry, services, tasks
from mailsoftly.lifecycle.models import ExportDownload, ExportJob
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory
from tests.lifecycle.factories import ExportDownloadFactory, ExportJobFactory

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_concrete_workspace_owned_model_is_trashable():
    expected = {
        m._meta.label_lower
        for m in _all_subclasses(WorkspaceOwned)
        if not m._meta.abstract and not m._meta.proxy
    }
    found = {registry.model_key(m) for m in registry.trashable_models()}
    assert expected == found
    assert {"lifecycle.exportjob", "contacts.contact"} <= found


def test_children_are_found_from_cascading_foreign_keys():
    children = {(r.model, r.field) for r in registry.children_of(ExportJob)}
    assert (ExportDownload, "export") in children
    assert (Subscription, "contact_list") in {
        (r.model, r.field) for r in registry.children_of(ContactList)
    }
    assert registry.model_for_key("no.such") is None


@pytest.mark.policy("P26", "P27")
def test_trashed_rows_disappear_from_default_managers_at_once(workspace, user):
    job = ExportJobFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    services.trash_move(obj_or_queryset=contact, actor=user)
    assert not ExportJob.objects.for_workspace(workspace).exists()
    assert not Contact.objects.for_workspace(workspace).exists()
    assert list(Contact.trashed.for_workspace(workspace)) == [contact]
    trashed = ExportJob.all_rows.for_workspace(workspace).get()
    assert trashed.trashed_by_id == user.pk and trashed.is_trashed


@pytest.mark.policy("P27")
def test_every_trashable_model_hides_trashed_rows_in_default_manager_and_admin(rf, user):
    """Walks every model: the default manager and the admin list both filter the trash."""
    staff = type(user).objects.create(username="staffer", is_staff=True, is_superuser=True)
    request = rf.get("/admin/")
    request.user = staff
    for model in registry.trashable_models():
        assert model._default_manager is model.objects, model
        sql = str(model.objects.dangerously_all_workspaces("us").query)
        assert "trashed_at" in sql and "IS NULL" in sql, model
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:
            admin_sql = str(model_admin.get_queryset(request).using("default").query)
            assert "IS NULL" in admin_sql, f"admin of {model} shows trashed rows"


@pytest.mark.policy("P27")
def test_trashing_a_list_hides_its_subscriptions_and_restore_brings_them_back(workspace, user):
    contact = ContactFactory(workspace=workspace)
    newsletter = ContactListFactory(workspace=workspace)
    SubscriptionFactory(contact=contact, contact_list=newsletter)
    services.trash_move(obj_or_queryset=newsletter, actor=user)
    assert not Subscription.objects.for_workspace(workspace).exists()
    assert Contact.objects.for_workspace(workspace).get() == contact

    restored = services.trash_restore(obj_or_queryset=newsletter, actor=user)
    assert restored == 1
    assert Subscription.objects.for_workspace(workspace).get().contact_list == newsletter


def test_child_trashed_before_its_parent_stays_in_trash_when_parent_is_restored(
    workspace, user, at_start
):
    job = ExportJobFactory(workspace=workspace)
    early = ExportDownloadFactory(export=job)
    ExportDownloadFactory(export=job)
    services.trash_move(obj_or_queryset=early, actor=user)
    at_start.shift(timedelta(hours=1))
    services.trash_move(obj_or_queryset=job, actor=user)
    services.trash_restore(obj_or_queryset=job, actor=user)
    live = ExportDownload.objects.for_workspace(workspace)
    assert live.count() == 1 and early not in live


def test_restoring_a_child_whose_parent_is_in_the_trash_is_refused(workspace, user):
    job = ExportJobFactory(workspace=workspace)
    download = ExportDownloadFactory(export=job)
    services.trash_move(obj_or_queryset=job, actor=user)
    with pytest.raises(services.TrashError, match="Restore the export"):
        services.trash_restore(obj_or_queryset=download, actor=user)
    assert not ExportDownload.objects.for_workspace(workspace).exists()


@pytest.mark.policy("P26")
def test_restore_on_day_29_works(workspace, user, at_start):
    job = ExportJobFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    at_start.shift(timedelta(days=29))
    tasks.purge_trash_task.delay()
    services.trash_restore(obj_or_queryset=job, actor=user)
    assert ExportJob.objects.for_workspace(workspace).get() == job


@pytest.mark.policy("P26")
def test_restore_after_30_days_is_refused_with_a_clear_message(workspace, user, at_start):
    job = ExportJobFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    at_start.shift(timedelta(days=30, seconds=1))
    with pytest.raises(services.TrashError, match="more than 30 days"):
        services.trash_restore(obj_or_queryset=job, actor=user)
    assert not ExportJob.objects.for_workspace(workspace).exists()


@pytest.mark.policy("P26")
def test_purge_after_day_30_removes_rows_children_and_files(
    workspace, user, at_start, _regional_media, django_capture_on_commit_callbacks
):
    job = ExportJobFactory(workspace=workspace, content=b"email\nann@example.com\n")
    ExportDownloadFactory(export=job)
    keeper = ExportJobFactory(workspace=workspace)
    path = job.file.path
    assert path.startswith(str(_regional_media["us"]))
    services.trash_move(obj_or_queryset=job, actor=user)

    at_start.shift(timedelta(days=29))
    tasks.purge_trash_task.delay()
    assert ExportJob.all_rows.for_workspace(workspace).count() == 2

    at_start.shift(timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True, using="default"):
        tasks.purge_trash_task.delay()
    assert list(ExportJob.all_rows.for_workspace(workspace)) == [keeper]
    assert not ExportDownload.all_rows.for_workspace(workspace).exists()
    assert not job.file.storage.exists(job.file.name)


@pytest.mark.policy("P26")
def test_purge_deletes_in_batches_and_reenqueues_itself(workspace, user, at_start, monkeypatch):
    jobs = [ExportJobFactory(workspace=workspace) for _ in range(5)]
    services.trash_move(obj_or_queryset=ExportJob.objects.for_workspace(workspace), actor=user)
    assert len(jobs) == 5
    runs = []
    real = services.trash_purge_due

    def counting(**kwargs):
        result = real(**kwargs)
        runs.append((kwargs["region"], result.deleted.get("lifecycle.exportjob", 0)))
        return result

    monkeypatch.setattr(services, "trash_purge_due", counting)
    at_start.shift(timedelta(days=31))
    tasks.purge_trash_task.delay(region="us", batch_size=2)
    assert [count for _region, count in runs] == [2, 2, 1]
    assert not ExportJob.all_rows.for_workspace(workspace).exists()


def test_purge_twice_is_harmless(workspace, user, at_start):
    job = ExportJobFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    at_start.shift(timedelta(days=31))
    first = services.trash_purge_due(region="us")
    second = services.trash_purge_due(region="us")
    assert first.deleted == {"lifecycle.exportjob": 1} and second.deleted == {}


def test_restore_into_a_name_now_taken_is_a_clear_message_and_changes_nothing(workspace, user):
    old = ContactFactory(workspace=workspace, email="ann@example.com")
    services.trash_move(obj_or_queryset=old, actor=user)
    ContactFactory(workspace=workspace, email="ann@example.com")
    with pytest.raises(services.TrashError, match="same name"):
        services.trash_restore(obj_or_queryset=old, actor=user)
    assert Contact.trashed.for_workspace(workspace).get() == old


def test_double_trash_is_a_no_op_and_double_restore_a_clear_message(workspace, user):
    job = ExportJobFactory(workspace=workspace)
    assert services.trash_move(obj_or_queryset=job, actor=user) == 1
    assert services.trash_move(obj_or_queryset=job, actor=user) == 0
    services.trash_restore(obj_or_queryset=job, actor=user)
    with pytest.raises(services.TrashError, match="no longer in the trash"):
        services.trash_restore(obj_or_queryset=job, actor=user)


def test_restore_after_purge_is_a_clear_message(workspace, user, at_start):
    job = ExportJobFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    at_start.shift(timedelta(days=31))
    services.trash_purge_due(region="us")
    with pytest.raises(services.TrashError, match="no longer in the trash"):
        services.trash_restore(obj_or_queryset=job, actor=user)


def test_trash_move_of_a_queryset_without_region_is_refused(user):
    with pytest.raises(RegionNotSet):
        services.trash_move(obj_or_queryset=ExportJob.objects.all(), actor=user)


def test_trash_and_restore_are_audit_logged(workspace, user):
    from mailsoftly.audit.models import RegionalAuditEvent

    job = ExportJobFactory(workspace=workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    services.trash_restore(obj_or_queryset=job, actor=user)
    actions = list(
        RegionalAuditEvent.objects.for_workspace(workspace)
        .filter(target_type="lifecycle.exportjob", target_id=str(job.pk))
        .values_list("action", flat=True)
    )
    assert sorted(actions) == ["trash.move", "trash.restore"]


def test_bulk_trash_of_a_queryset_is_one_audit_row_per_workspace(workspace, user):
    from mailsoftly.audit.models import RegionalAuditEvent

    for _ in range(3):
        ExportJobFactory(workspace=workspace)
    moved = services.trash_move(
        obj_or_queryset=ExportJob.objects.for_workspace(workspace), actor=user
    )
    assert moved == 3
    event = RegionalAuditEvent.objects.for_workspace(workspace).get(action="trash.move")
    assert event.workspace_id == workspace.pk and len(event.after["ids"]) == 3


@pytest.mark.policy("P26")
def test_staff_restore_an_item_on_request(workspace, user, capsys):
    from django.core.management import CommandError, call_command

    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    contact = ContactFactory(workspace=workspace, email="asked@example.com")
    services.trash_move(obj_or_queryset=contact, actor=user)
    args = {"workspace": workspace.pk, "model": "contacts.contact", "staff": staff.username}
    call_command("trash_restore", id=str(contact.pk), **args)
    assert "restored contacts.contact" in capsys.readouterr().out
    assert Contact.objects.for_workspace(workspace).get() == contact
    with pytest.raises(CommandError, match="not in this workspace's trash"):
        call_command("trash_restore", id=str(contact.pk), **args)
    with pytest.raises(CommandError, match="no staff account"):
        call_command("trash_restore", id="1", **{**args, "staff": user.username})
