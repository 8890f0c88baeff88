"""Consistent backups with 30-day rotation (policy P31).

A backup is a directory ``mailsoftly-<UTC stamp>/`` holding one file per database
(SQLite through its online backup API, PostgreSQL through ``pg_dump --format=custom``),
a ``media.tar.gz`` of every region's files and a ``manifest.json`` with SHA-256 sums.
:func:`backup_rotate` deletes backups older than :data:`KEEP`, so purged data is gone
from backups within about a month. :func:`backup_restore` verifies the sums before it
touches anything.

Each region's database is written to its own file, so an operator can keep EU backups
on EU storage (``--target`` per run).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections

from mailsoftly.core import clock
from mailsoftly.core.regions import region_media_roots

KEEP = timedelta(days=30)
PREFIX = "mailsoftly-"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(config: dict) -> dict:
    env = dict(os.environ)  # the child needs PATH etc.; we add only libpq's variables
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if config.get(key):
            env[var] = str(config[key])
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return env


def _dump_database(alias: str, out_dir: Path) -> Path:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        target = out_dir / f"{alias}.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent snapshot while others keep writing.
            connection.connection.backup(destination)
        finally:
            destination.close()
        return target
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed; install the PostgreSQL client tools")
        target = out_dir / f"{alias}.pgdump"
        config = connection.settings_dict
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [pg_dump, "--format=custom", f"--file={target}", config["NAME"]],
            env=_pg_env(config),
            check=True,
            capture_output=True,
        )
        return target
    raise BackupError(f"cannot back up a {connection.vendor} database")


def _archive_media(out_dir: Path) -> Path:
    target = out_dir / "media.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for region, root in region_media_roots().items():
            if Path(root).exists():
                archive.add(root, arcname=region)
    return target


def backup_create(*, target_dir: Path, now: datetime | None = None) -> Path:
    """Write one backup under ``target_dir`` and return its directory."""
    now = now or clock.now()
    out_dir = Path(target_dir) / f"{PREFIX}{now.strftime(STAMP)}"
    if out_dir.exists():
        raise BackupError(f"{out_dir} already exists")
    out_dir.mkdir(parents=True)
    files = [_dump_database(alias, out_dir) for alias in settings.DATABASES]
    files.append(_archive_media(out_dir))
    manifest = {
        "format": "mailsoftly-backup",
        "version": 1,
        "created_at": now.isoformat(),
        "databases": {alias: connections[alias].vendor for alias in settings.DATABASES},
        "files": {path.name: _sha256(path) for path in files},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out_dir


def _created_at(directory: Path) -> datetime | None:
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
        return datetime.fromisoformat(manifest["created_at"])
    except (OSError, ValueError, KeyError):
        return None


def backup_rotate(*, target_dir: Path, now: datetime | None = None) -> list[Path]:
    """Delete backups older than 30 days; returns what was deleted."""
    cutoff = (now or clock.now()) - KEEP
    removed = []
    for directory in sorted(Path(target_dir).glob(f"{PREFIX}*")):
        created = _created_at(directory)
        if directory.is_dir() and created is not None and created < cutoff:
            shutil.rmtree(directory)
            removed.append(directory)
    return removed


def backup_verify(*, source: Path) -> dict:
    """The manifest, after checking every file's SHA-256; raises on any mismatch."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} has no readable manifest.json") from exc
    for name, expected in manifest.get("files", {}).items():
        path = source / name
        if not path.exists() or _sha256(path) != expected:
            raise BackupError(f"{name} is missing or damaged (checksum mismatch)")
    return manifest


def backup_restore(
    *, source: Path, sqlite_paths: dict[str, Path] | None = None, media_roots=None
) -> None:
    """Restore a verified backup over the configured databases and media roots.

    Stop web and workers first. ``sqlite_paths`` / ``media_roots`` redirect the restore
    (used by tests and for restoring into a scratch copy).
    """
    source = Path(source)
    manifest = backup_verify(source=source)
    for alias in manifest["databases"]:
        if alias not in settings.DATABASES:
            raise BackupError(f"this installation has no database {alias!r}")
    for alias, vendor in manifest["databases"].items():
        if vendor == "sqlite":
            target = (sqlite_paths or {}).get(alias) or Path(settings.DATABASES[alias]["NAME"])
            connections[alias].close()
            src = sqlite3.connect(source / f"{alias}.sqlite3")
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
        elif vendor == "postgresql":
            pg_restore = shutil.which("pg_restore")
            if pg_restore is None:
                raise BackupError("pg_restore is not installed")
            config = settings.DATABASES[alias]
            subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [
                    pg_restore,
                    "--clean",
                    "--if-exists",
                    f"--dbname={config['NAME']}",
                    str(source / f"{alias}.pgdump"),
                ],
                env=_pg_env(config),
                check=True,
                capture_output=True,
            )
    roots = media_roots or region_media_roots()
    with tarfile.open(source / "media.tar.gz", "r:gz") as archive:
        for member in archive.getmembers():
            region, _, rest = member.name.partition("/")
            if region not in roots or not rest:
                continue
            member.name = rest
            # The "data" filter refuses absolute paths, links out of the tree and devices.
            archive.extract(member, path=roots[region], filter="data")
