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


def test_the_region_list_is_the_configured_one(settings):
    from mailsoftly.core.regions import REGION_DATABASES, Region, UnknownRegion

    assert Region.values == ["us", "eu"]
    assert dict(REGION_DATABASES) == {"us": "default", "eu": "eu"}
    settings.MAILSOFTLY_REGIONS = ["eu", "us", "ch"]
    settings.MAILSOFTLY_DIRECTORY_REGION = "eu"
    assert Region.values == ["eu", "us", "ch"]
    assert ("ch", "Switzerland") in Region.choices
    assert [region.value for region in Region] == ["eu", "us", "ch"]
    # The directory region's database is "default"; every other region's alias is its name.
    assert dict(REGION_DATABASES) == {"eu": "default", "us": "us", "ch": "ch"}
    assert database_for("ch") == "ch"
    settings.MAILSOFTLY_REGIONS = ["eu", "ch"]
    assert Region.default == "eu"
    with pytest.raises(UnknownRegion, match="'us' is not a configured region; this installation"):
        database_for("us")
    assert "us" not in REGION_DATABASES


def test_allow_migrate_follows_the_configured_regions(settings):
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    router = RegionRouter()
    assert router.allow_migrate("ch", "lifecycle", "exportjob")
    assert not router.allow_migrate("ch", "teams", "workspace")


@pytest.mark.django_db
def test_bulk_create_into_the_wrong_database_is_refused(eu_workspace, workspace):
    from mailsoftly.contacts.models import Contact
    from mailsoftly.core.regions import RegionMismatch

    rows = [
        Contact(
            workspace=eu_workspace, email=f"bulk{n}@example.com", email_key=f"bulk{n}@example.com"
        )
        for n in range(3)
    ]
    with pytest.raises(RegionMismatch, match="EU workspace must be written to the 'eu'"):
        Contact.objects.using("default").bulk_create(rows)
    # A mix of regions in one call is refused too: one of them is in the wrong place.
    mixed = [Contact(workspace=workspace, email="us@example.com"), *rows]
    with pytest.raises(RegionMismatch):
        Contact.objects.for_workspace(workspace).bulk_create(mixed)
    assert not Contact.all_rows.using("default").filter(email__startswith="bulk").exists()
    # The right database is fine.
    Contact.objects.for_workspace(eu_workspace).bulk_create(rows)
    assert Contact.objects.for_workspace(eu_workspace).count() == 3


@pytest.mark.django_db
def test_bulk_update_into_the_wrong_database_is_refused(eu_workspace):
    from mailsoftly.contacts.models import Contact
    from mailsoftly.core.regions import RegionMismatch

    contact = Contact.objects.for_workspace(eu_workspace).create(
        workspace=eu_workspace, email="keep@example.com"
    )
    contact.first_name = "Changed"
    with pytest.raises(RegionMismatch):
        Contact.objects.using("default").bulk_update([contact], ["first_name"])
    Contact.objects.for_workspace(eu_workspace).bulk_update([contact], ["first_name"])
    assert Contact.objects.for_workspace(eu_workspace).get().first_name == "Changed"


@pytest.mark.django_db
def test_bulk_create_of_a_row_without_a_workspace_is_refused():
    from mailsoftly.contacts.models import Contact
    from mailsoftly.core.regions import RegionMismatch

    with pytest.raises(RegionMismatch, match="no existing workspace"):
        Contact.objects.using("eu").bulk_create([Contact(workspace_id=987654, email="x@y.z")])


def test_a_worker_serves_only_its_configured_regions(settings):
    from mailsoftly.core.regions import RegionUnavailable, require_served

    assert require_served("eu") == "eu"
    settings.MAILSOFTLY_WORKER_REGIONS = ("eu",)
    with pytest.raises(RegionUnavailable, match="serves regions eu, not 'us'"):
        require_served("us")
    settings.MAILSOFTLY_WORKER_REGIONS = None
    with pytest.raises(RegionUnavailable, match="no database for region 'ch'"):
        require_served("ch")
    # Configured but the database missing from this process's settings.
    settings.MAILSOFTLY_REGIONS = ["us", "eu", "ch"]
    with pytest.raises(RegionUnavailable, match="no database for region 'ch'"):
        require_served("ch")
