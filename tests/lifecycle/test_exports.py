"""Workspace exports (policy P25): background task, formats, signed expiring links."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import ExportDownload, ExportJob, ExportStatus
from mailsoftly.teams.services import workspace_create
from tests.contacts.factories import ContactFactory
from tests.factories import UserFactory

# Exports in every format: the workspace is on a plan with all of them (the Free plan has
# CSV only; that gate is proven in tests/billing/test_enforcement.py).
pytestmark = pytest.mark.usefixtures("unlimited_plan")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(workspace, **kwargs):
        with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
            job = services.export_request(workspace=workspace, **kwargs)
        job.refresh_from_db()
        return job

    return run


def _read(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


@pytest.mark.policy("P25", "P27")
def test_json_export_has_live_rows_and_nothing_from_the_trash(workspace, user, run_on_commit):
    ContactFactory(workspace=workspace, email="live@example.com")
    gone = ContactFactory(workspace=workspace, email="trashed@example.com")
    services.trash_move(obj_or_queryset=gone, actor=user)
    job = run_on_commit(workspace, actor=user, format="json")
    assert job.status == ExportStatus.DONE and job.progress == 100
    data = json.loads(_read(job))
    assert [c["email"] for c in data["contacts.contact"]] == ["live@example.com"]
    assert "workspace_id" not in data["contacts.contact"][0]


@pytest.mark.policy("P25")
def test_csv_export_neutralises_formulas(workspace, user, run_on_commit):
    ContactFactory(workspace=workspace, email="a@example.com", first_name="=HYPERLINK(1)")
    job = run_on_commit(workspace, actor=user, format="csv")
    with zipfile.ZipFile(io.BytesIO(_read(job))) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("contacts.contact.csv").decode())))
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"


@pytest.mark.policy("P25")
def test_xlsx_export_has_a_sheet_per_model(workspace, user, run_on_commit):
    from openpyxl import load_workbook

    ContactFactory(workspace=workspace, email="x@example.com")
    job = run_on_commit(workspace, actor=user, format="xlsx")
    book = load_workbook(io.BytesIO(_read(job)), read_only=True)
    sheet = next(s for s in book.worksheets if s.title.endswith("-contact"))
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert "email" in values[0] and any("x@example.com" in row for row in values[1:])


@pytest.mark.policy("P25", "P40")
def test_backup_zip_of_an_eu_workspace_is_stored_in_the_eu(
    eu_workspace, user, run_on_commit, _regional_media
):
    ContactFactory(workspace=eu_workspace, email="eu@example.com")
    job = run_on_commit(eu_workspace, actor=user, format="zip")
    assert job.file.name.startswith("eu/") and job.file.path.startswith(str(_regional_media["eu"]))
    with zipfile.ZipFile(io.BytesIO(_read(job))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        lines = archive.read("contacts.contact.jsonl").decode().splitlines()
    assert manifest["workspace"]["region"] == "eu"
    assert manifest["models"]["contacts.contact"]["rows"] == 1
    assert json.loads(lines[0])["email"] == "eu@example.com"


def test_secrets_are_never_exported():
    from mailsoftly.core.crypto import EncryptedTextField
    from mailsoftly.lifecycle import registry
    from mailsoftly.lifecycle.services.exports import export_fields

    for model in registry.trashable_models():
        assert not any(isinstance(f, EncryptedTextField) for f in export_fields(model)), model


def test_running_a_finished_export_again_does_nothing(workspace, user, run_on_commit):
    job = run_on_commit(workspace, actor=user, format="json")
    name = job.file.name
    again = services.export_run(export_id=job.pk, region="us")
    assert again.file.name == name


def test_unknown_format_is_a_message_next_to_the_field(logged_in_client):
    response = logged_in_client.post(reverse("lifecycle:exports"), {"format": "pdf"})
    assert response.status_code == 400
    assert "Choose one of the offered formats." in response.content.decode()
    assert 'aria-describedby="export-format-error"' in response.content.decode()


@pytest.mark.policy("P25")
def test_exports_page_starts_an_export_and_offers_a_signed_download(
    logged_in_client, workspace, user, django_capture_on_commit_callbacks
):
    ContactFactory(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(reverse("lifecycle:exports"), {"format": "json"}, follow=True)
    job = ExportJob.objects.for_workspace(workspace).get()
    # The link is signed with a timestamp: page and expectation are made in the same second.
    with time_machine.travel(timezone.now(), tick=False):
        page = logged_in_client.get(reverse("lifecycle:exports")).content.decode()
        token = services.export_link_token(job=job)
    url = reverse("lifecycle:export_download", args=[job.pk, token])
    assert url in page
    response = logged_in_client.get(url)
    assert response.status_code == 200
    assert b"contacts.contact" in b"".join(response.streaming_content)
    assert ExportDownload.objects.for_workspace(workspace).get().downloaded_by == user


def test_a_pending_export_polls_its_progress(logged_in_client, workspace, user):
    job = services.export_request(workspace=workspace, actor=user, format="json")
    page = logged_in_client.get(reverse("lifecycle:exports")).content.decode()
    assert reverse("lifecycle:export_status", args=[job.pk]) in page
    assert 'role="progressbar"' in page


@pytest.mark.policy("P25")
def test_download_links_expire_and_cannot_be_forged(
    logged_in_client, workspace, user, run_on_commit
):
    job = run_on_commit(workspace, actor=user, format="json")
    token = services.export_link_token(job=job)
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert (
        logged_in_client.get(
            reverse("lifecycle:export_download", args=[job.pk, forged])
        ).status_code
        == 404
    )
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = logged_in_client.get(reverse("lifecycle:export_download", args=[job.pk, token]))
    assert expired.status_code == 404
    assert not ExportDownload.objects.for_workspace(workspace).exists()


@pytest.mark.policy("P01")
def test_a_link_to_another_workspaces_export_is_404(
    logged_in_client, run_on_commit, unlimited_plan
):
    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Theirs")
    unlimited_plan(theirs)
    job = run_on_commit(theirs, actor=stranger, format="json")
    token = services.export_link_token(job=job)
    response = logged_in_client.get(reverse("lifecycle:export_download", args=[job.pk, token]))
    assert response.status_code == 404
