"""Backups (policy P31): consistent, verified, rotated after 30 days."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle.services import backups
from tests.contacts.factories import ContactFactory
from tests.lifecycle.factories import ExportJobFactory

sqlite_only = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="reads the SQLite backup files"
)
postgres_only = pytest.mark.skipif(
    connections["default"].vendor != "postgresql", reason="the pg_dump / pg_restore path"
)


def _emails(path, workspace_id) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT email FROM contacts_contact WHERE workspace_id = ?", [workspace_id]
        ).fetchall()
    return [row[0] for row in rows]


@sqlite_only
@pytest.mark.policy("P31", "P40")
def test_backup_writes_each_region_to_its_own_file_and_restores(
    transactional_db, workspace, eu_workspace, tmp_path, _regional_media
):
    ContactFactory(workspace=workspace, email="us@example.com")
    ContactFactory(workspace=eu_workspace, email="eu@example.com")
    ExportJobFactory(workspace=eu_workspace, content=b"eu file")
    created = backups.backup_create(target_dir=tmp_path / "backups")
    assert _emails(created / "default.sqlite3", workspace.pk) == ["us@example.com"]
    assert _emails(created / "default.sqlite3", eu_workspace.pk) == []
    assert _emails(created / "eu.sqlite3", eu_workspace.pk) == ["eu@example.com"]

    restored = {"default": tmp_path / "r-default.sqlite3", "eu": tmp_path / "r-eu.sqlite3"}
    media = {"us": tmp_path / "r-media-us", "eu": tmp_path / "r-media-eu"}
    backups.backup_restore(source=created, sqlite_paths=restored, media_roots=media)
    assert _emails(restored["eu"], eu_workspace.pk) == ["eu@example.com"]
    assert [p.read_bytes() for p in media["eu"].rglob("*.csv")] == [b"eu file"]
    assert not media["us"].exists()


@sqlite_only
def test_a_damaged_backup_is_refused_before_anything_is_touched(transactional_db, tmp_path):
    created = backups.backup_create(target_dir=tmp_path)
    (created / "eu.sqlite3").write_bytes(b"garbage")
    target = tmp_path / "untouched.sqlite3"
    with pytest.raises(backups.BackupError, match=r"eu\.sqlite3 is missing or damaged"):
        backups.backup_restore(source=created, sqlite_paths={"default": target, "eu": target})
    assert not target.exists()


@pytest.mark.policy("P31")
def test_rotation_keeps_at_most_30_days(tmp_path):
    start = timezone.datetime(2026, 3, 1, 3, 0, tzinfo=timezone.UTC)
    for day in (0, 10, 29):
        when = start + timedelta(days=day)
        directory = tmp_path / f"mailsoftly-{when:%Y%m%dT%H%M%SZ}"
        directory.mkdir()
        (directory / "manifest.json").write_text(json.dumps({"created_at": when.isoformat()}))
    (tmp_path / "mailsoftly-unreadable").mkdir()  # no manifest: never deleted by guesswork
    removed = backups.backup_rotate(target_dir=tmp_path, now=start + timedelta(days=31))
    assert [p.name for p in removed] == ["mailsoftly-20260301T030000Z"]
    assert len(list(tmp_path.glob("mailsoftly-*"))) == 3


@sqlite_only
def test_backup_and_restore_commands(transactional_db, tmp_path, capsys):
    call_command("backup", target=tmp_path)
    (created,) = tmp_path.glob("mailsoftly-*")
    call_command("restore", str(created))
    assert "run again with --yes" in capsys.readouterr().out


def _dump_text(path) -> str:
    """The SQL a custom-format dump holds, as pg_restore prints it."""
    result = subprocess.run(
        [shutil.which("pg_restore"), "--data-only", "--file=-", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


@postgres_only
def test_postgres_backup_keeps_each_region_in_its_own_dump_and_restores(
    transactional_db, workspace, eu_workspace, tmp_path, _regional_media
):
    """P31/P40 on PostgreSQL (the policy report reads the embedded run, where this skips)."""
    ContactFactory(workspace=workspace, email="us-pg@example.com")
    eu_contact = ContactFactory(workspace=eu_workspace, email="eu-pg@example.com")
    created = backups.backup_create(target_dir=tmp_path / "backups")
    assert sorted(p.name for p in created.glob("*.pgdump")) == ["default.pgdump", "eu.pgdump"]
    us_dump, eu_dump = _dump_text(created / "default.pgdump"), _dump_text(created / "eu.pgdump")
    assert "us-pg@example.com" in us_dump
    assert "eu-pg@example.com" not in us_dump
    assert "eu-pg@example.com" in eu_dump

    Contact.all_rows.for_workspace(eu_workspace).filter(pk=eu_contact.pk).delete()
    backups.backup_restore(
        source=created, media_roots={"us": tmp_path / "m-us", "eu": tmp_path / "m-eu"}
    )
    for alias in ("default", "eu"):
        connections[alias].close()  # pg_restore --clean recreated the tables under us
    assert Contact.all_rows.for_workspace(eu_workspace).filter(email="eu-pg@example.com").exists()


@postgres_only
def test_a_damaged_postgres_dump_is_refused_before_anything_is_touched(
    transactional_db, workspace, tmp_path
):
    ContactFactory(workspace=workspace, email="kept@example.com")
    created = backups.backup_create(target_dir=tmp_path)
    (created / "default.pgdump").write_bytes(b"garbage")
    Contact.all_rows.for_workspace(workspace).filter(email="kept@example.com").delete()
    with pytest.raises(backups.BackupError, match=r"default\.pgdump is missing or damaged"):
        backups.backup_restore(source=created)
    assert not Contact.all_rows.for_workspace(workspace).filter(email="kept@example.com").exists()
