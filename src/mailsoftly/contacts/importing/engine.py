"""Applying an import file to the address book, batch by batch.

Each batch is one transaction on the workspace's region database that writes the contacts
(through :func:`~mailsoftly.contacts.bulk.contacts_upsert_many`: COPY into a staging table
and set-based merges on PostgreSQL, batched inserts elsewhere), their list subscriptions,
tags and consent records, the batch's row errors, *and* advances ``ContactImport.rows_done``
by compare-and-swap. So after a crash the job row says exactly which rows went in; a re-run
replays the file from the top only to rebuild the in-file duplicate index and writes
nothing for rows at or before ``rows_done``. Two runs of the same job cannot both apply a
batch: the second one's compare-and-swap matches nothing.

The file is read and checked one batch ahead by a thread (:func:`read_ahead`, no database
access there) while the current batch is written, and each batch commits without waiting
for its WAL flush (``BatchWriter._commit_asynchronously`` says why that is safe here).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mailsoftly.contacts.bulk import ContactRow, contacts_upsert_many
from mailsoftly.contacts.emails import InvalidEmail, email_hash, email_normalize
from mailsoftly.contacts.fieldvalues import MAX_TEXT, field_value_coerce
from mailsoftly.contacts.importing.files import Row, Sniffed, rows
from mailsoftly.contacts.models import (
    ConsentSource,
    Contact,
    ContactImport,
    ContactStatus,
    CustomField,
    FieldType,
    ImportMode,
    ImportRowError,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from mailsoftly.core import clock

log = logging.getLogger(__name__)

BATCH_ROWS = 10_000
LOOKUP_CHUNK = 2000
MAX_NAME = 150
MAX_TAG = 100

# Kept for readers of the old name: a prepared row is a ContactRow.
Prepared = ContactRow


class ImportConflict(RuntimeError):
    """Another run of the same import already applied this batch."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0


def _quick_value(field_type: str, raw: str):
    """The common cases of field_value_coerce without its generality (hot path). ``raw``
    is stripped and not empty. None means "not obviously valid: ask field_value_coerce",
    which also words the error."""
    if field_type == FieldType.TEXT and len(raw) <= MAX_TEXT:
        return raw
    if field_type == FieldType.NUMBER and raw.isdigit() and len(raw) < 16:
        return int(raw)
    if field_type == FieldType.DATE and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return datetime.date.fromisoformat(raw).isoformat()
        except ValueError:
            return None
    return None


def _parse_time(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


class RowPreparer:
    """Turns a raw row into a :class:`Prepared` or a reason it is refused."""

    def __init__(self, *, mapping: dict[int, str], custom_fields: dict[str, CustomField]):
        self.email_col = next(i for i, t in mapping.items() if t == "email")
        self.first_col = next((i for i, t in mapping.items() if t == "first_name"), None)
        self.last_col = next((i for i, t in mapping.items() if t == "last_name"), None)
        self.tags_col = next((i for i, t in mapping.items() if t == "tags"), None)
        self.time_col = next((i for i, t in mapping.items() if t == "optin_time"), None)
        self.ip_col = next((i for i, t in mapping.items() if t == "optin_ip"), None)
        self.custom = [
            (i, custom_fields[t[6:]])
            for i, t in mapping.items()
            if t.startswith("field:") and t[6:] in custom_fields
        ]
        # prepare() reads an unmapped column as the always-empty column ``width``.
        self.width = max(mapping) + 1
        self.padding = [""] * (self.width + 1)
        for name in ("first_col", "last_col", "tags_col", "time_col", "ip_col"):
            if getattr(self, name) is None:
                setattr(self, name, self.width)

    @staticmethod
    def _cell(cells: list[str], index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def prepare(self, row: Row) -> ContactRow | str:
        if row.error:
            return row.error
        # Exactly ``width`` + 1 cells: the mapped columns, padded, then the empty sentinel
        # column that stands for an unmapped one, so prepare() can index directly.
        cells = row.cells[: self.width]
        cells += self.padding[len(cells) :]
        try:
            email, key = email_normalize(cells[self.email_col])  # strips the cell itself
        except InvalidEmail as exc:
            return str(exc)
        prepared = ContactRow(row.number, email, key)
        first = cells[self.first_col].strip()
        last = cells[self.last_col].strip()
        if len(first) > MAX_NAME or len(last) > MAX_NAME:
            return _("A name is longer than %(n)d characters.") % {"n": MAX_NAME}
        # An empty cell keeps the stored name when updating.
        prepared.first_name, prepared.last_name = first or None, last or None
        for index, custom in self.custom:
            raw = cells[index].strip()
            if not raw:
                continue
            try:
                value = _quick_value(custom.field_type, raw)
                if value is None:
                    value = field_value_coerce(
                        field_type=custom.field_type, raw=raw, choices=custom.choices
                    )
            except ValueError as exc:
                return f"{custom.label}: {exc}"
            if value is not None:
                prepared.fields[custom.key] = value
        tags = cells[self.tags_col].strip()
        if tags:
            names = [t.strip().strip('"') for t in tags.split(",")]
            if len(tags) > MAX_TAG and any(len(t) > MAX_TAG for t in names):
                return _("A tag is longer than %(n)d characters.") % {"n": MAX_TAG}
            prepared.tags = [t for t in names if t]
        when = cells[self.time_col].strip()
        if when:
            try:
                prepared.optin_time = _parse_time(when)
            except ValueError:
                return _("“%(v)s” is not a date and time.") % {"v": when[:40]}
        ip = cells[self.ip_col].strip()
        if ip:
            try:
                prepared.optin_ip = str(ipaddress.ip_address(ip))
            except ValueError:
                return _("“%(v)s” is not an IP address.") % {"v": ip[:45]}
        return prepared


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchWriter:
    def __init__(self, job: ContactImport):
        self.job = job
        self.workspace = job.workspace
        self.db = self.workspace.database
        self.tag_ids: dict[str, int] = {}
        self.location = f"import:{job.pk}:{job.file_name}"[:500]

    # -- helpers
    def _commit_asynchronously(self) -> None:
        """On PostgreSQL, let this batch's commit return before its WAL reaches the disk.

        Safe for an import batch, and only for it: ``SET LOCAL`` ends with the transaction,
        and the commit is still atomic and ordered. A database crash can lose at most the
        last few hundred milliseconds of committed batches, and each batch advances
        ``rows_done`` in the same transaction, so the lost batches are lost together with
        their progress marker: the job row then says exactly which rows went in, and a
        re-run applies the rest once. Nothing outside the database (no mail, no webhook) is
        triggered by a batch before the import finishes. Inside an outer transaction
        (tests) the setting lasts until that transaction ends.
        """
        connection = transaction.get_connection(self.db)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")

    def _existing_ids(self, keys: list[str]) -> list[int]:
        found: list[int] = []
        qs = Contact.objects.for_workspace(self.workspace)
        for chunk in _chunks(keys, LOOKUP_CHUNK):
            found.extend(qs.filter(email_key__in=chunk).values_list("id", flat=True))
        return found

    def _suppress(self, prepared: list[ContactRow], reason: str) -> None:
        Suppression.objects.for_workspace(self.workspace).bulk_create(
            [
                Suppression(
                    workspace_id=self.workspace.pk,
                    email_hash=email_hash(p.key),
                    email=p.email,
                    reason=reason,
                )
                for p in prepared
            ],
            ignore_conflicts=True,
        )

    # -- modes
    def _add_or_update(
        self,
        prepared: list[ContactRow],
        counts: Counts,
        errors: list[tuple[int, str, str]],
        *,
        update: bool,
    ) -> None:
        job = self.job
        result = contacts_upsert_many(
            workspace=self.workspace,
            rows=prepared,
            update=update,
            contact_list_id=job.contact_list_id,
            source=ConsentSource.IMPORT,
            consent_text=job.consent_text,
            location=self.location,
            # The plan limit was checked for the whole file before the first batch.
            check_limit=False,
            tag_cache=self.tag_ids,
            # A concurrent writer's address rolls the batch back; import_apply retries it.
            conflicts_raise=True,
        )
        counts.created += result.created
        counts.updated += result.updated
        counts.skipped += result.skipped
        for row in result.suppressed:
            errors.append(
                (row.number, row.email, _("The address is on the suppression list: not added."))
            )

    def _unsubscribe(self, prepared: list[ContactRow], counts: Counts, *, blocklist: bool) -> None:
        now = clock.now()
        ids = self._existing_ids([p.key for p in prepared])
        contacts = Contact.objects.for_workspace(self.workspace)
        subscriptions = Subscription.objects.for_workspace(self.workspace).filter(
            contact_id__in=ids
        )
        if blocklist:
            for chunk in _chunks(ids, LOOKUP_CHUNK):
                contacts.filter(pk__in=chunk).update(
                    status=ContactStatus.BLOCKLISTED, updated_at=now
                )
            self._suppress(prepared, SuppressionReason.MANUAL)
        elif self.job.contact_list_id:
            subscriptions.filter(contact_list_id=self.job.contact_list_id).exclude(
                status=SubscriptionStatus.UNSUBSCRIBED
            ).update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
        else:
            subscriptions.exclude(status=SubscriptionStatus.UNSUBSCRIBED).update(
                status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now
            )
            for chunk in _chunks(ids, LOOKUP_CHUNK):
                contacts.filter(pk__in=chunk, status=ContactStatus.ACTIVE).update(
                    status=ContactStatus.UNSUBSCRIBED, updated_at=now
                )
            self._suppress(prepared, SuppressionReason.UNSUBSCRIBED)
        counts.updated += len(ids)
        counts.skipped += len(prepared) - len(ids)

    def write(self, prepared: list[ContactRow], errors: list[tuple[int, str, str]], last_row: int):
        """Apply one batch and advance the job, all or nothing."""
        job = self.job
        counts = Counts()
        errors = list(errors)
        with transaction.atomic(using=self.db):
            self._commit_asynchronously()
            moved = (
                ContactImport.all_rows.using(self.db)
                .filter(pk=job.pk, rows_done=job.rows_done)
                .update(rows_done=last_row)
            )
            if moved != 1:
                raise ImportConflict(f"import {job.pk} advanced elsewhere")
            if prepared:
                if job.mode in (ImportMode.ADD, ImportMode.UPSERT):
                    self._add_or_update(
                        prepared, counts, errors, update=job.mode == ImportMode.UPSERT
                    )
                else:
                    self._unsubscribe(prepared, counts, blocklist=job.mode == ImportMode.BLOCKLIST)
            counts.errors = len(errors)
            ImportRowError.objects.for_workspace(self.workspace).bulk_create(
                [
                    ImportRowError(
                        workspace_id=self.workspace.pk,
                        contact_import_id=job.pk,
                        row_number=number,
                        email=email[:320],
                        reason=reason[:500],
                    )
                    for number, email, reason in errors
                ]
            )
            ContactImport.all_rows.using(self.db).filter(pk=job.pk).update(
                created_count=F("created_count") + counts.created,
                updated_count=F("updated_count") + counts.updated,
                skipped_count=F("skipped_count") + counts.skipped,
                error_count=F("error_count") + counts.errors,
                updated_at=clock.now(),
            )
        job.rows_done = last_row


def import_apply(
    *, contact_import: ContactImport, path: Path, batch_rows: int = BATCH_ROWS
) -> None:
    """Stream the file and apply it batch by batch (see the module docstring)."""
    job = contact_import
    workspace = job.workspace
    sniffed = Sniffed(job.file_format, job.encoding, job.delimiter)
    mapping = {int(k): v for k, v in job.mapping.items() if v}
    custom_fields = {f.key: f for f in CustomField.objects.for_workspace(workspace)}
    preparer = RowPreparer(mapping=mapping, custom_fields=custom_fields)
    writer = BatchWriter(job)

    def flush(batch: list[ContactRow], errors: list[tuple[int, str, str]], last: int) -> None:
        try:
            writer.write(batch, errors, last)
        except IntegrityError:
            # Someone added one of these addresses between our lookup and insert: the batch
            # rolled back whole; once more sees the new contact as existing.
            writer.write(batch, errors, last)

    batches = _batches(
        path=path,
        sniffed=sniffed,
        preparer=preparer,
        resume_after=job.rows_done,
        batch_rows=batch_rows,
    )
    # Reading and checking the next batch (pure Python, no database) overlaps with writing
    # this one (time spent waiting on the database, which releases the GIL).
    for batch, errors, last in read_ahead(batches):
        flush(batch, errors, last)


Batch = tuple[list[ContactRow], list[tuple[int, str, str]], int]


def _batches(
    *, path: Path, sniffed: Sniffed, preparer: RowPreparer, resume_after: int, batch_rows: int
) -> Iterator[Batch]:
    """The file's rows after ``resume_after`` as (valid rows, row errors, last row number)."""
    seen: dict[int, int] = {}  # hash(email_key) -> first row number, for in-file duplicates
    batch: list[ContactRow] = []
    errors: list[tuple[int, str, str]] = []
    header_done = False
    last_row = resume_after
    for row in rows(path, sniffed):
        if not header_done:
            if row.error or "".join(row.cells).strip():
                header_done = True
            continue
        if not row.error and not "".join(row.cells).strip():
            continue  # blank line: no data to lose
        result = preparer.prepare(row)
        replay = row.number <= resume_after
        if isinstance(result, ContactRow):
            digest = hash(result.key)
            first = seen.get(digest)
            if first is None:
                seen[digest] = row.number
            elif not replay:
                result = _("Duplicate of row %(n)d.") % {"n": first}
        if replay:
            continue
        if isinstance(result, ContactRow):
            batch.append(result)
        else:
            raw_email = preparer._cell(row.cells, preparer.email_col)
            errors.append((row.number, raw_email, result))
        last_row = row.number
        if len(batch) + len(errors) >= batch_rows:
            yield batch, errors, last_row
            batch, errors = [], []
    if batch or errors:
        yield batch, errors, last_row


_DONE = object()


def read_ahead(items: Iterator[Batch]) -> Iterator[Batch]:
    """``items``, produced one step ahead by a thread (which must not use the database).

    The thread runs with the caller's language (row errors are translated there). An
    exception in it is raised here; when the consumer stops early (a batch failed), the
    thread is told to stop and joined, so no file handle outlives the import.
    """
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    language = translation.get_language()

    def produce() -> None:
        try:
            with translation.override(language):
                for item in items:
                    while not stop.is_set():
                        try:
                            handoff.put((item, None), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put((_DONE, exc))
            return
        handoff.put((_DONE, None))

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get_nowait()  # unblock a pending put
            thread.join(timeout=0.1)
        items_close = getattr(items, "close", None)
        if items_close is not None and not thread.is_alive():
            items_close()
