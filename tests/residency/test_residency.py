"""EU data residency (issue 12, policy P40), proven by reading both databases directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from mailsoftly.contacts.models import Contact
from mailsoftly.core.regions import (
    RegionChangeRefused,
    RegionMismatch,
    RegionNotSet,
    region_move_allowed,
    region_scope,
)
from mailsoftly.lifecycle import registry, services, tasks
from mailsoftly.lifecycle.models import ExportDownload, ExportJob
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory
from tests.lifecycle.factories import ExportDownloadFactory, ExportJobFactory

pytestmark = pytest.mark.policy("P40")

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


def _count(alias: str, model, workspace_id: int) -> int:
    """Rows of ``model`` for a workspace, read with plain SQL (no router, no manager)."""
    table = connections[alias].ops.quote_name(model._meta.db_table)
    with connections[alias].cursor() as cursor:
        # Table names come from model metadata and are quoted; the value is a parameter.
        sql = f"SELECT COUNT(*) FROM {table} WHERE workspace_id = %s"  # noqa: S608
        cursor.execute(sql, [workspace_id])
        return cursor.fetchone()[0]


def _fill(workspace):
    contact = ContactFactory(workspace=workspace, email="eu-only@example.com")
    newsletter = ContactListFactory(workspace=workspace)
    SubscriptionFactory(contact=contact, contact_list=newsletter)
    job = ExportJobFactory(workspace=workspace, content=b"email\neu-only@example.com\n")
    ExportDownloadFactory(export=job)
    return job


def test_eu_workspace_content_is_only_in_the_eu_database(eu_workspace):
    _fill(eu_workspace)
    in_eu = {}
    for model in registry.trashable_models():
        assert _count("default", model, eu_workspace.pk) == 0, model
        in_eu[registry.model_key(model)] = _count("eu", model, eu_workspace.pk)
    for key in (
        "contacts.contact",
        "contacts.contactlist",
        "contacts.subscription",
        "lifecycle.exportjob",
        "lifecycle.exportdownload",
    ):
        assert in_eu[key] == 1, key


def test_no_row_of_the_us_database_mentions_the_eu_contact(eu_workspace, user):
    """Scan every column of every table on the US side for the EU contact's address,
    after a trash and restore (which write audit rows to the directory)."""
    _fill(eu_workspace)
    contact = Contact.objects.for_workspace(eu_workspace).get()
    services.trash_move(obj_or_queryset=contact, actor=user)
    services.trash_restore(obj_or_queryset=contact, actor=user)
    connection = connections["default"]
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                quoted_table = connection.ops.quote_name(table)
                quoted_column = connection.ops.quote_name(column.name)
                # Identifiers come from introspection and are quoted; no user text.
                sql = (
                    f"SELECT COUNT(*) FROM {quoted_table} "  # noqa: S608
                    f"WHERE CAST({quoted_column} AS TEXT) LIKE %s"
                )
                cursor.execute(sql, ["%eu-only@example.com%"])
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    assert found == []


def test_us_workspace_content_stays_in_default(workspace):
    _fill(workspace)
    assert _count("default", Contact, workspace.pk) == 1
    assert _count("eu", Contact, workspace.pk) == 0


def test_eu_files_are_stored_under_the_eu_root_only(eu_workspace, _regional_media):
    job = _fill(eu_workspace)
    assert job.file.name.startswith("eu/exports/")
    eu_files = [p for p in _regional_media["eu"].rglob("*") if p.is_file()]
    assert [p.name for p in eu_files] == ["export.csv"]
    assert not _regional_media["us"].exists() or not any(_regional_media["us"].rglob("*.csv"))


def test_a_forced_write_of_an_eu_row_to_default_is_refused(eu_workspace):
    with pytest.raises(RegionMismatch):
        ExportJob(workspace=eu_workspace, format="csv").save(using="default")
    with pytest.raises(RegionMismatch):
        ExportJob.objects.using("default").create(workspace_id=eu_workspace.pk, format="csv")
    assert _count("default", ExportJob, eu_workspace.pk) == 0


def test_a_new_row_follows_its_workspace_even_inside_another_regions_scope(eu_workspace):
    with region_scope("us"):
        ExportJob(workspace=eu_workspace, format="csv").save()
    assert _count("eu", ExportJob, eu_workspace.pk) == 1
    assert _count("default", ExportJob, eu_workspace.pk) == 0


def test_querying_a_regional_model_without_a_region_raises(eu_workspace):
    ExportJobFactory(workspace=eu_workspace)
    with pytest.raises(RegionNotSet):
        ExportJob.objects.count()
    with pytest.raises(RegionNotSet):
        list(Contact.objects.filter(email="x@example.com"))
    with region_scope("eu"):
        assert ExportJob.objects.count() == 1


def test_dangerously_all_workspaces_reads_one_region_only(workspace, eu_workspace):
    us_job = ExportJobFactory(workspace=workspace)
    eu_job = ExportJobFactory(workspace=eu_workspace)
    assert list(ExportJob.objects.dangerously_all_workspaces("us")) == [us_job]
    assert list(ExportJob.objects.dangerously_all_workspaces("eu")) == [eu_job]


def test_purge_runs_in_both_regions(workspace, eu_workspace, user):
    with time_machine.travel(START, tick=False) as traveller:
        for ws in (workspace, eu_workspace):
            job = ExportJobFactory(workspace=ws)
            ExportDownloadFactory(export=job)
            services.trash_move(obj_or_queryset=job, actor=user)
        traveller.shift(timedelta(days=31))
        tasks.purge_trash_task.delay()
    for alias, ws in (("default", workspace), ("eu", eu_workspace)):
        assert _count(alias, ExportJob, ws.pk) == 0
        assert _count(alias, ExportDownload, ws.pk) == 0


def test_trash_and_restore_in_an_eu_workspace_stay_in_the_eu(eu_workspace, user):
    job = ExportJobFactory(workspace=eu_workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    services.trash_restore(obj_or_queryset=job, actor=user)
    assert ExportJob.objects.for_workspace(eu_workspace).get() == job
    assert _count("default", ExportJob, eu_workspace.pk) == 0


def test_a_workspace_region_cannot_be_changed_silently(eu_workspace):
    eu_workspace.region = "us"
    with pytest.raises(RegionChangeRefused):
        eu_workspace.save()
    eu_workspace.refresh_from_db()
    assert eu_workspace.region == "eu"
    # Renaming is fine; only the region is guarded.
    eu_workspace.name = "Renamed"
    eu_workspace.save()
    # A region migration (copy, verify, switch, purge) is the one path allowed to switch.
    eu_workspace.region = "us"
    with region_move_allowed():
        eu_workspace.save(update_fields=["region"])
    eu_workspace.refresh_from_db()
    assert eu_workspace.region == "us"


def test_a_worker_without_the_eu_database_refuses_eu_purges(monkeypatch, eu_workspace, user):
    from types import SimpleNamespace

    from django.conf import settings

    from mailsoftly.lifecycle.tasks import RegionUnavailable

    job = ExportJobFactory(workspace=eu_workspace)
    services.trash_move(obj_or_queryset=job, actor=user)
    # A US-only worker: its settings name no "eu" database.
    us_only = {k: v for k, v in settings.DATABASES.items() if k != "eu"}
    monkeypatch.setattr(tasks, "settings", SimpleNamespace(DATABASES=us_only))
    with pytest.raises(RegionUnavailable, match="no database for region 'eu'"):
        tasks.purge_trash_task.delay(region="eu")
