"""Services of the import wizard: upload, configure, run, resume, and the error report."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.billing.services import limit_check, usage_get
from mailsoftly.contacts.emails import InvalidEmail, email_normalize
from mailsoftly.contacts.importing import fastwrite, files
from mailsoftly.contacts.importing.engine import ImportConflict, import_apply
from mailsoftly.contacts.importing.mapping import BUILTIN_TARGETS
from mailsoftly.contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    ContactTag,
    CustomField,
    ImportMode,
    ImportStatus,
    Subscription,
)
from mailsoftly.contacts.webhooks import import_webhook_emit
from mailsoftly.core import clock

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
ANALYZE_AFTER_ROWS = 10_000


def _path(contact_import: ContactImport) -> Path:
    return Path(default_storage.path(contact_import.file_path))


def contact_import_path(*, contact_import: ContactImport) -> Path:
    return _path(contact_import)


def contact_import_upload(*, workspace, uploaded_file, by_user=None) -> ContactImport:
    """Store an uploaded file and sniff it; ValidationError on ``file`` if unreadable."""
    if uploaded_file is None:
        raise ValidationError({"file": _("Choose a CSV or XLSX file.")})
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 1 GB.")})
    name = Path(uploaded_file.name or "upload").name[:200]
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    stored = default_storage.save(
        f"imports/{workspace.region}/{workspace.pk}/{uuid.uuid4().hex}{suffix}", uploaded_file
    )
    path = Path(default_storage.path(stored))
    try:
        sniffed = files.sniff(path, file_name=name)
        header, _sample = files.header_and_sample(path, sniffed, sample_rows=1)
    except files.ImportFileError as exc:
        default_storage.delete(stored)
        raise ValidationError({"file": str(exc)}) from None
    if not any(header):
        default_storage.delete(stored)
        raise ValidationError({"file": _("The first row must name the columns.")})
    return ContactImport.objects.for_workspace(workspace).create(
        workspace=workspace,
        file_name=name,
        file_path=stored,
        file_format=sniffed.file_format,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        created_by_id=getattr(by_user, "pk", None),
    )


class ImportStartFailed(ValidationError):
    """The uploaded file can no longer be read: the import is now "failed" with the reason
    in ``file_error`` (choosing another mapping cannot help)."""


def contact_import_preview(*, contact_import: ContactImport) -> tuple[list[str], list[list[str]]]:
    """The header and a few rows of an uploaded file (:class:`ImportStartFailed` if the file
    cannot be read any more; the job is then marked failed with the reason)."""
    sniffed = files.Sniffed(
        contact_import.file_format, contact_import.encoding, contact_import.delimiter
    )
    try:
        return files.header_and_sample(_path(contact_import), sniffed)
    except files.ImportFileError as exc:
        reason = str(exc)
    except OSError as exc:
        reason = _("The uploaded file can no longer be read (%(e)s).") % {
            "e": exc.strerror or type(exc).__name__
        }
    _start_fail(contact_import, reason)
    raise ImportStartFailed(reason)


def _start_fail(job: ContactImport, reason: str) -> None:
    """An upload that cannot be started any more: "failed", never left "uploaded"."""
    db = job.workspace.database
    with transaction.atomic(using=db):
        moved = (
            ContactImport.all_rows.using(db)
            .filter(pk=job.pk, status=ImportStatus.UPLOADED)
            .update(
                status=ImportStatus.FAILED,
                file_error=f"{reason} {_('No rows were written.')}",
                finished_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        job.refresh_from_db()
        if moved:
            import_webhook_emit(contact_import=job)


def mapping_clean(*, workspace, mapping: dict[str, str], columns: int) -> dict[str, str]:
    """Check a column mapping: known targets, each at most once, exactly one email column."""
    custom = set(CustomField.objects.for_workspace(workspace).values_list("key", flat=True))
    clean: dict[str, str] = {}
    used: set[str] = set()
    for column, target in mapping.items():
        if not target:
            continue
        try:
            index = int(column)
        except (TypeError, ValueError):
            raise ValidationError({"mapping": _("Unknown column.")}) from None
        if not 0 <= index < columns:
            raise ValidationError({"mapping": _("Unknown column.")})
        known = target in BUILTIN_TARGETS or (target.startswith("field:") and target[6:] in custom)
        if not known:
            raise ValidationError({"mapping": _("Unknown field “%(t)s”.") % {"t": target[:60]}})
        if target in used:
            raise ValidationError({"mapping": _("Two columns are mapped to the same field.")})
        used.add(target)
        clean[str(index)] = target
    if "email" not in used:
        raise ValidationError({"mapping": _("Choose the column that holds the email address.")})
    return clean


def contact_import_start(
    *,
    contact_import: ContactImport,
    mapping: dict[str, str],
    mode: str,
    contact_list: ContactList | None = None,
    consent_text: str = "",
) -> ContactImport:
    """Save the mapping and options and queue the import task (after commit)."""
    from mailsoftly.contacts.tasks import contact_import_run_task

    job = contact_import
    if job.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This import has already been started."))
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("Unknown mode.")})
    if contact_list is not None and contact_list.workspace_id != job.workspace_id:
        raise ValidationError({"contact_list": _("Unknown list.")})
    header, _sample = contact_import_preview(contact_import=job)
    job.mapping = mapping_clean(workspace=job.workspace, mapping=mapping, columns=len(header))
    if mode in (ImportMode.ADD, ImportMode.UPSERT):
        # Refused up front, before anything is written, for the whole file (plan limits).
        limit_check(
            workspace=job.workspace,
            resource="contacts",
            amount=contact_import_new_count(contact_import=job),
        )
    job.mode = mode
    job.contact_list = contact_list
    job.consent_text = consent_text
    job.status = ImportStatus.QUEUED
    with transaction.atomic(using=job.workspace.database):
        job.save()
        workspace_id, job_id = job.workspace_id, job.pk
        transaction.on_commit(
            lambda: contact_import_run_task.delay(workspace_id=workspace_id, import_id=job_id),
            using=job.workspace.database,
        )
    return job


def contact_import_new_count(*, contact_import: ContactImport) -> int:
    """How many contacts the import would add: distinct valid addresses not in the workspace.

    Reads the file once, only when the plan limits contacts and the file might pass the
    limit (a file with fewer distinct addresses than the room left needs no lookups).
    """
    job = contact_import
    workspace = job.workspace
    meter = usage_get(workspace=workspace).contacts
    if meter.limit is None or meter.used is None:
        return 0
    email_columns = [int(c) for c, target in job.mapping.items() if target == "email"]
    if not email_columns:
        return 0
    column = email_columns[0]
    sniffed = files.Sniffed(job.file_format, job.encoding, job.delimiter)
    keys: set[str] = set()
    header_done = False
    try:
        for row in files.rows(_path(job), sniffed):
            if not header_done:
                if any(c.strip() for c in row.cells) or row.error:
                    header_done = True
                continue
            if row.error or column >= len(row.cells):
                continue
            try:
                _address, key = email_normalize(row.cells[column])
            except InvalidEmail:
                continue
            keys.add(key)
    except files.ImportFileError:
        pass  # counted up to the unreadable part; the run reports the file's error itself
    if meter.used + len(keys) <= meter.limit:
        return len(keys)
    existing = 0
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        existing += Contact.objects.for_workspace(workspace).filter(email_key__in=chunk).count()
    return len(keys) - existing


def contact_import_resume(*, contact_import: ContactImport) -> None:
    """Queue a failed (or stuck) import again; it continues after ``rows_done``."""
    from mailsoftly.contacts.tasks import contact_import_run_task

    job = contact_import
    if job.status not in (ImportStatus.FAILED, ImportStatus.RUNNING, ImportStatus.QUEUED):
        raise ValidationError(_("Only an unfinished import can be resumed."))
    if not job.mapping:
        raise ValidationError(_("This import never started; upload the file again."))
    ContactImport.all_rows.using(job.workspace.database).filter(pk=job.pk).update(
        status=ImportStatus.QUEUED, file_error=""
    )
    workspace_id, job_id = job.workspace_id, job.pk
    transaction.on_commit(
        lambda: contact_import_run_task.delay(workspace_id=workspace_id, import_id=job_id),
        using=job.workspace.database,
    )


def contact_import_run(*, contact_import: ContactImport) -> None:
    """Run (or continue) an import; idempotent: a finished import is left alone."""
    job = contact_import
    db = job.workspace.database
    claimed = (
        ContactImport.all_rows.using(db)
        .filter(pk=job.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
        .update(status=ImportStatus.RUNNING, updated_at=clock.now())
    )
    if not claimed:
        return
    job.refresh_from_db()
    try:
        import_apply(contact_import=job, path=_path(job))
    except ImportConflict:
        return  # another run is applying this import
    except files.ImportFileError as exc:
        _fail(job, str(exc))
        return
    except OSError as exc:
        _fail(job, _("The uploaded file can no longer be read (%(e)s).") % {"e": exc.strerror})
        return
    except Exception:
        log.exception("contact import %s stopped", job.pk)
        _fail(job, _("The import stopped because of an internal error."))
        return
    with transaction.atomic(using=db):
        ContactImport.all_rows.using(db).filter(pk=job.pk).update(
            status=ImportStatus.DONE, finished_at=clock.now()
        )
        job.refresh_from_db()
        import_webhook_emit(contact_import=job)
    if job.created_count >= ANALYZE_AFTER_ROWS:
        # The tables segments read; consent records are only ever read per contact.
        fastwrite.analyze(using=db, models_=[Contact, Subscription, ContactTag])
    # The file holds personal data: keep it no longer than the import needs it.
    default_storage.delete(job.file_path)
    _risk_note(job)


def _risk_note(job: ContactImport) -> None:
    """Tell screening how many contacts the import added (a large first import is a risk
    signal for a new account, P16)."""
    from mailsoftly.screening.services import risk_note_import

    risk_note_import(workspace=job.workspace, rows=job.created_count)


def _fail(job: ContactImport, message: str) -> None:
    job.refresh_from_db()
    done = job.rows_done
    note = (
        _("Rows up to %(row)d went in; nothing after them was written.") % {"row": done}
        if done
        else _("No rows were written.")
    )
    with transaction.atomic(using=job.workspace.database):
        ContactImport.all_rows.using(job.workspace.database).filter(pk=job.pk).update(
            status=ImportStatus.FAILED, file_error=f"{message} {note}", finished_at=clock.now()
        )
        job.refresh_from_db()
        import_webhook_emit(contact_import=job)
    if job.created_count:
        _risk_note(job)
