"""The region router and regional file storage (policy P40)."""

from __future__ import annotations

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile

from mailsoftly.accounts.models import User
from mailsoftly.core.regions import (
    RegionalStorage,
    RegionalUploadTo,
    RegionNotSet,
    RegionRouter,
    database_for,
    region_scope,
)
from mailsoftly.lifecycle.models import ExportJob
from mailsoftly.teams.models import Workspace

pytestmark = pytest.mark.policy("P40")


def test_regional_models_migrate_in_every_region_and_directory_models_only_in_default():
    router = RegionRouter()
    assert router.allow_migrate("default", "lifecycle", "exportjob")
    assert router.allow_migrate("eu", "lifecycle", "exportjob")
    assert router.allow_migrate("default", "teams", "workspace")
    assert not router.allow_migrate("eu", "teams", "workspace")
    assert not router.allow_migrate("eu", "accounts", "user")


def test_router_reads_the_region_from_a_workspace_hint_and_refuses_without_one():
    router = RegionRouter()
    assert router.db_for_read(ExportJob, instance=Workspace(region="eu")) == "eu"
    assert router.db_for_read(ExportJob, instance=Workspace(region="us")) == "default"
    with pytest.raises(RegionNotSet):
        router.db_for_read(ExportJob, instance=User(username="x"))
    with pytest.raises(RegionNotSet):
        router.db_for_write(ExportJob)
    with region_scope("eu"):
        assert router.db_for_write(ExportJob) == "eu"
    assert router.db_for_read(User) == "default"


def test_unknown_region_names_are_refused():
    with pytest.raises(ValueError):
        database_for("mars")
    with pytest.raises(ValueError), region_scope("mars"):
        pass


def test_regional_storage_keeps_each_region_under_its_own_root(settings, tmp_path):
    settings.MAILSOFTLY_REGION_MEDIA_ROOTS = {"us": tmp_path / "us", "eu": tmp_path / "eu"}
    storage = RegionalStorage()
    name = storage.save("eu/exports/1/a.csv", ContentFile(b"x"))
    assert name == "eu/exports/1/a.csv"
    assert (tmp_path / "eu" / "exports" / "1" / "a.csv").read_bytes() == b"x"
    assert storage.exists(name) and not storage.exists("us/exports/1/a.csv")
    again = storage.save("eu/exports/1/a.csv", ContentFile(b"y"))
    assert again.startswith("eu/exports/1/a_") and again != name
    storage.delete(name)
    assert not storage.exists(name)


@pytest.mark.parametrize("name", ["a.csv", "xx/a.csv", "eu/", "eu/../us/a.csv", "/etc/passwd"])
def test_regional_storage_refuses_names_outside_a_region(settings, tmp_path, name):
    settings.MAILSOFTLY_REGION_MEDIA_ROOTS = {"us": tmp_path / "us", "eu": tmp_path / "eu"}
    with pytest.raises(SuspiciousFileOperation):
        RegionalStorage().save(name, ContentFile(b"x"))


def test_upload_paths_start_with_the_workspace_region():
    job = ExportJob(workspace=Workspace(pk=7, region="eu"), format="csv")
    job.workspace_id = 7
    assert RegionalUploadTo("exports")(job, "data.csv") == "eu/exports/7/data.csv"
