"""Backups (policy P31): consistent, verified, rotated after 30 days."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from mailsoftly.lifecycle.services import backups
from tests.contacts.factories import ContactFactory
from tests.lifecycle.factories import ExportJobFactory

pytestmark = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="the PostgreSQL path needs pg_dump"
)


def _emails(path, workspace_id) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT email FROM contacts_contact WHERE workspace_id = ?", [workspace_id]
        ).fetchall()
    return [row[0] for row in rows]


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


def test_backup_and_restore_commands(transactional_db, tmp_path, capsys):
    call_command("backup", target=tmp_path)
    (created,) = tmp_path.glob("mailsoftly-*")
    call_command("restore", str(created))
    assert "run again with --yes" in capsys.readouterr().out
