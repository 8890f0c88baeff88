"""Round trip (P25): export a workspace as a backup ZIP, import it, compare the data."""

from __future__ import annotations

import zipfile

import pytest
from django.core.management import CommandError, call_command

from mailsoftly.contacts.models import Contact, ContactList, Subscription
from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import ExportJob
from mailsoftly.teams.models import Workspace
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory


def _snapshot(workspace) -> dict:
    return {
        "contacts": sorted(
            Contact.objects.for_workspace(workspace).values_list("email", "first_name")
        ),
        "lists": sorted(
            ContactList.objects.for_workspace(workspace).values_list("name", flat=True)
        ),
        "subscriptions": sorted(
            Subscription.objects.for_workspace(workspace).values_list(
                "contact__email", "contact_list__name", "status"
            )
        ),
    }


@pytest.fixture
def backup_zip(workspace, user, tmp_path):
    weekly = ContactListFactory(workspace=workspace, name="Weekly")
    monthly = ContactListFactory(workspace=workspace, name="Monthly")
    for i in range(3):
        contact = ContactFactory(workspace=workspace, email=f"p{i}@example.com")
        SubscriptionFactory(contact=contact, contact_list=weekly if i else monthly)
    trashed = ContactFactory(workspace=workspace, email="gone@example.com")
    services.trash_move(obj_or_queryset=trashed, actor=user)
    job = ExportJob.objects.for_workspace(workspace).create(workspace=workspace, format="zip")
    job = services.export_run(export_id=job.pk, region=workspace.region)
    path = tmp_path / "backup.zip"
    with job.file.open("rb") as source:
        path.write_bytes(source.read())
    return path


@pytest.mark.policy("P25", "P40")
def test_export_then_import_into_an_eu_workspace_gives_the_same_data(workspace, user, backup_zip):
    imported = services.workspace_import(archive=backup_zip, owner=user, region="eu")
    assert imported.region == "eu" and imported.name == "Acme"
    assert _snapshot(imported) == _snapshot(workspace)
    assert "gone@example.com" not in [e for e, _n in _snapshot(imported)["contacts"]]
    # New rows, new ids, in the EU database only.
    assert not Contact.all_rows.using("default").filter(workspace_id=imported.pk).exists()
    old_keys = set(ContactList.objects.for_workspace(workspace).values_list("form_key", flat=True))
    new_keys = set(ContactList.objects.for_workspace(imported).values_list("form_key", flat=True))
    assert not old_keys & new_keys


def test_import_command_and_bad_archives(user, backup_zip, tmp_path, capsys):
    call_command("workspace_import", str(backup_zip), owner=user.username, name="Copy")
    assert "imported workspace" in capsys.readouterr().out
    assert Workspace.objects.filter(name="Copy").exists()

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not a Mailsoftly workspace backup"):
        call_command("workspace_import", str(junk), owner=user.username)
    with pytest.raises(CommandError, match="no account"):
        call_command("workspace_import", str(backup_zip), owner="nobody")


def test_a_broken_archive_leaves_no_workspace_behind(user, backup_zip, tmp_path):
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(backup_zip) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "contacts.subscription.jsonl":
                data = data.replace(b'"contact_id": ', b'"contact_id": 999999', 1)
            target.writestr(item, data)
    before = Workspace.objects.count()
    with pytest.raises(services.WorkspaceImportError, match="missing row"):
        services.workspace_import(archive=broken, owner=user, name="Broken")
    assert Workspace.objects.count() == before
