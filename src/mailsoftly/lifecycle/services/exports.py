"""Workspace exports (policy P25) and the signed, expiring links that download them.

:func:`export_request` records an :class:`~mailsoftly.lifecycle.models.ExportJob` and
enqueues :func:`export_run` after commit. The run walks every trashable model, live
rows only (nothing in the trash is exported, P27), streams them into a temporary file
(memory stays flat however many rows there are), and stores the result in the
workspace's own region storage (P40). Formats:

* ``csv``: a ZIP with one CSV per model (cells that a spreadsheet would run as a
  formula are neutralised);
* ``json``: one JSON document ``{"model": [rows…]}``;
* ``xlsx``: one sheet per model (openpyxl's write-only mode);
* ``eml`` / ``mbox``: every sent email as an ``.eml`` file, or each campaign as an mbox
  (see :mod:`mailsoftly.lifecycle.services.messages`);
* ``zip``: a backup: ``manifest.json`` plus one JSON Lines file per model.

Which formats a workspace may use is its plan's decision (``limit_check``).

Secrets (encrypted fields such as SMTP passwords and DKIM keys) are never exported.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterator

from django.core import signing
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils.translation import gettext as _

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.services import limit_check
from mailsoftly.core import clock
from mailsoftly.core.crypto import EncryptedTextField
from mailsoftly.core.spreadsheets import cell_neutralise
from mailsoftly.lifecycle import audit, registry
from mailsoftly.lifecycle.models import ExportDownload, ExportFormat, ExportJob, ExportStatus
from mailsoftly.lifecycle.services import messages

logger = logging.getLogger(__name__)

LINK_MAX_AGE = 7 * 24 * 3600  # a download link works for 7 days
_SIGNING_SALT = "mailsoftly.lifecycle.export-download"
_SKIPPED = {"workspace", "trashed_at", "trashed_by"}


class ExportError(Exception):
    """A refused export request; the message is for the user."""


def export_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in _SKIPPED and not isinstance(f, EncryptedTextField)
    ]


def _rows(model, workspace, fields) -> Iterator[tuple]:
    queryset = (
        model.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list(*[f.attname for f in fields])
    )
    yield from queryset.iterator(chunk_size=2000)


def cell_safe(value) -> object:
    """A cell a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder)
    return cell_neutralise(value)


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def export_request(*, workspace, actor, format: str, request=None) -> ExportJob:
    """Record an export and run it in the background once this transaction commits."""
    try:
        chosen = ExportFormat(format)
    except ValueError:
        raise ExportError(_("Choose one of the offered formats.")) from None
    try:
        limit_check(workspace=workspace, resource="export_format", value=chosen.value)
    except LimitExceeded as exc:
        raise ExportError(exc.message) from None  # shown on the exports page; nothing written
    with transaction.atomic(using=workspace.database):
        job = ExportJob.objects.for_workspace(workspace).create(
            workspace=workspace, requested_by=actor, format=chosen
        )
        audit.record(
            action="export.requested",
            actor=actor,
            request=request,
            workspace=workspace,
            target=("lifecycle.exportjob", job.pk),
            after={"format": chosen.value},
        )
        from mailsoftly.lifecycle.tasks import export_run_task

        transaction.on_commit(
            lambda: export_run_task.delay(export_id=job.pk, region=workspace.region),
            using=workspace.database,
        )
    return job


def _progress(job: ExportJob, done: int, total: int) -> None:
    percent = min(99, int(done * 100 / max(total, 1)))
    ExportJob.objects.using(job._state.db).filter(pk=job.pk).update(progress=percent)


def _write_csv_zip(job, workspace, models_, target) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, model in enumerate(models_):
            fields = export_fields(model)
            with archive.open(f"{registry.model_key(model)}.csv", "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow([f.attname for f in fields])
                for row in _rows(model, workspace, fields):
                    writer.writerow([cell_safe(v) for v in row])
                text.flush()
                text.detach()
            _progress(job, index + 1, len(models_))


def _write_json(job, workspace, models_, target) -> None:
    text = io.TextIOWrapper(target, encoding="utf-8")
    text.write("{")
    for index, model in enumerate(models_):
        fields = export_fields(model)
        names = [f.attname for f in fields]
        text.write(("," if index else "") + json.dumps(registry.model_key(model)) + ":[")
        for position, row in enumerate(_rows(model, workspace, fields)):
            text.write(
                ("," if position else "")
                + json.dumps(dict(zip(names, row, strict=True)), cls=DjangoJSONEncoder)
            )
        text.write("]")
        _progress(job, index + 1, len(models_))
    text.write("}")
    text.flush()
    text.detach()


def _write_xlsx(job, workspace, models_, target) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for index, model in enumerate(models_):
        fields = export_fields(model)
        # Sheet titles are at most 31 characters and must be unique.
        sheet = book.create_sheet(title=f"{index + 1}-{model._meta.model_name}"[:31])
        sheet.append([f.attname for f in fields])
        for row in _rows(model, workspace, fields):
            sheet.append([_xlsx_cell(v) for v in row])
        _progress(job, index + 1, len(models_))
    book.save(target)


def _xlsx_cell(value):
    value = cell_safe(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values are UTC
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def _write_backup_zip(job, workspace, models_, target) -> None:
    manifest = {
        "format": "mailsoftly-workspace-backup",
        "version": 1,
        "workspace": {"id": workspace.pk, "name": workspace.name, "region": workspace.region},
        "created_at": clock.now().isoformat(),
        "models": {},
    }
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, model in enumerate(models_):
            fields = export_fields(model)
            names = [f.attname for f in fields]
            count = 0
            with archive.open(f"{registry.model_key(model)}.jsonl", "w", force_zip64=True) as raw:
                for row in _rows(model, workspace, fields):
                    line = json.dumps(dict(zip(names, row, strict=True)), cls=DjangoJSONEncoder)
                    raw.write(line.encode() + b"\n")
                    count += 1
            manifest["models"][registry.model_key(model)] = {"fields": names, "rows": count}
            _progress(job, index + 1, len(models_))
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))


def _write_eml_zip(job, workspace, models_, target) -> None:
    messages.write_eml_zip(job, workspace, _progress, target)


def _write_mbox_zip(job, workspace, models_, target) -> None:
    messages.write_mbox_zip(job, workspace, _progress, target)


_WRITERS = {
    ExportFormat.CSV: (_write_csv_zip, "zip"),
    ExportFormat.EML: (_write_eml_zip, "eml.zip"),
    ExportFormat.MBOX: (_write_mbox_zip, "mbox.zip"),
    ExportFormat.JSON: (_write_json, "json"),
    ExportFormat.XLSX: (_write_xlsx, "xlsx"),
    ExportFormat.ZIP: (_write_backup_zip, "zip"),
}


def export_run(*, export_id: int, region: str) -> ExportJob | None:
    """Build the export file. Running it again after it finished does nothing; after a
    crash it starts over (the temporary file of the failed run is simply discarded)."""
    from mailsoftly.core.regions import database_for

    database = database_for(region)
    job = ExportJob.objects.using(database).filter(pk=export_id).first()
    if job is None or job.status == ExportStatus.DONE:
        return job
    workspace = audit.workspace_by_id(job.workspace_id)
    if workspace is None or workspace.region != region:
        return None
    ExportJob.objects.using(database).filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, progress=0, error=""
    )
    writer, extension = _WRITERS[ExportFormat(job.format)]
    models_ = registry.trashable_models()
    try:
        with tempfile.TemporaryFile() as target:
            writer(job, workspace, models_, target)
            target.seek(0)
            stamp = clock.now().strftime("%Y%m%d-%H%M%S")
            job.refresh_from_db()
            job.file.save(
                f"workspace-{workspace.pk}-{stamp}.{extension}",
                File(target, name="export"),
                save=False,
            )
    except OSError as exc:
        logger.exception("export %s failed", export_id)
        ExportJob.objects.using(database).filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:500]
        )
        return job
    job.status = ExportStatus.DONE
    job.progress = 100
    job.finished_at = clock.now()
    job.save(update_fields=["file", "status", "progress", "finished_at"])
    return job


def export_link_token(*, job: ExportJob) -> str:
    """A signed token naming this export of this workspace; checked with its age."""
    return signing.TimestampSigner(salt=_SIGNING_SALT).sign(f"{job.workspace_id}.{job.pk}")


def export_link_check(*, job: ExportJob, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=_SIGNING_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return value == f"{job.workspace_id}.{job.pk}"


def export_download_record(*, job: ExportJob, actor, request=None) -> ExportDownload:
    """Log one download (regional row + audit entry)."""
    download = ExportDownload.objects.using(job._state.db).create(
        workspace_id=job.workspace_id, export=job, downloaded_by=actor
    )
    audit.record(
        action="export.downloaded",
        actor=actor,
        request=request,
        workspace=audit.workspace_by_id(job.workspace_id),
        target=("lifecycle.exportjob", job.pk),
    )
    return download
