"""Applying an import file to the address book, batch by batch.

Each batch is one transaction on the workspace's region database that writes the contacts,
their list subscriptions, tags and consent records, the batch's row errors, *and* advances
``ContactImport.rows_done`` by compare-and-swap. So after a crash the job row says exactly
which rows went in; a re-run replays the file from the top only to rebuild the in-file
duplicate index and writes nothing for rows at or before ``rows_done``. Two runs of the
same job cannot both apply a batch: the second one's compare-and-swap matches nothing.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mailsoftly.contacts.emails import InvalidEmail, email_hash, email_normalize
from mailsoftly.contacts.fieldvalues import MAX_TEXT, field_value_coerce
from mailsoftly.contacts.importing import fastwrite
from mailsoftly.contacts.importing.files import Row, Sniffed, rows
from mailsoftly.contacts.models import (
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactImport,
    ContactStatus,
    ContactTag,
    CustomField,
    FieldType,
    ImportMode,
    ImportRowError,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
    Tag,
)
from mailsoftly.core import clock

log = logging.getLogger(__name__)

CONTACT_FIELDS = (
    "id",
    "workspace",
    "email",
    "email_key",
    "email_hash",
    "first_name",
    "last_name",
    "status",
    "fields",
    "source",
    "created_at",
    "updated_at",
)
SUBSCRIPTION_FIELDS = (
    "workspace",
    "contact",
    "contact_list",
    "status",
    "subscribed_at",
    "confirmed_at",
    "created_at",
    "updated_at",
)
CONSENT_FIELDS = (
    "workspace",
    "contact",
    "contact_list",
    "source",
    "given_at",
    "consent_text",
    "location",
    "ip_address",
    "details",
    "created_at",
    "updated_at",
)
TAG_FIELDS = ("workspace", "contact", "tag", "created_at", "updated_at")

BATCH_ROWS = 5000
LOOKUP_CHUNK = 2000
MAX_NAME = 150
MAX_TAG = 100


class ImportConflict(RuntimeError):
    """Another run of the same import already applied this batch."""


@dataclass(slots=True)
class Prepared:
    number: int
    email: str
    key: str
    first_name: str = ""
    last_name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    optin_time: datetime.datetime | None = None
    optin_ip: str | None = None


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

    @staticmethod
    def _cell(cells: list[str], index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def prepare(self, row: Row) -> Prepared | str:
        cells = row.cells
        if row.error:
            return row.error
        raw_email = self._cell(cells, self.email_col)
        try:
            email, key = email_normalize(raw_email)
        except InvalidEmail as exc:
            return str(exc)
        prepared = Prepared(row.number, email, key)
        first = self._cell(cells, self.first_col)
        last = self._cell(cells, self.last_col)
        if len(first) > MAX_NAME or len(last) > MAX_NAME:
            return _("A name is longer than %(n)d characters.") % {"n": MAX_NAME}
        prepared.first_name, prepared.last_name = first, last
        for index, custom in self.custom:
            raw = self._cell(cells, index)
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
        tags = self._cell(cells, self.tags_col)
        if tags:
            names = [t.strip().strip('"') for t in tags.split(",")]
            if any(len(t) > MAX_TAG for t in names):
                return _("A tag is longer than %(n)d characters.") % {"n": MAX_TAG}
            prepared.tags = [t for t in names if t]
        when = self._cell(cells, self.time_col)
        if when:
            try:
                prepared.optin_time = _parse_time(when)
            except ValueError:
                return _("“%(v)s” is not a date and time.") % {"v": when[:40]}
        ip = self._cell(cells, self.ip_col)
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

    # -- helpers
    def _existing(self, keys: list[str], *, with_data: bool) -> dict[str, tuple]:
        found: dict[str, tuple] = {}
        columns = ("email_key", "id", "first_name", "last_name", "fields", "status")
        qs = Contact.objects.for_workspace(self.workspace)
        for chunk in _chunks(keys, LOOKUP_CHUNK):
            if with_data:
                for row in qs.filter(email_key__in=chunk).values_list(*columns):
                    found[row[0]] = row
            else:
                for key, pk in qs.filter(email_key__in=chunk).values_list("email_key", "id"):
                    found[key] = (key, pk)
        return found

    def _tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            tag = Tag.objects.for_workspace(self.workspace).filter(name=name).first()
            if tag is None:
                tag = Tag.objects.for_workspace(self.workspace).create(
                    workspace=self.workspace, name=name
                )
            self.tag_ids[name] = tag.pk
        return self.tag_ids[name]

    def _suppress(self, prepared: list[Prepared], reason: str) -> None:
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
    def _add_or_update(self, prepared: list[Prepared], counts: Counts, *, update: bool) -> None:
        ws_id = self.workspace.pk
        db = self.db
        connection = connections[db]
        now = clock.now()
        stamp = fastwrite.adapt_time(connection, now)
        job = self.job
        existing = self._existing([p.key for p in prepared], with_data=update)
        new = [p for p in prepared if p.key not in existing]
        new_ids = fastwrite.allocate_ids(using=db, model=Contact, count=len(new))
        fastwrite.insert_rows(
            using=db,
            model=Contact,
            fields=CONTACT_FIELDS,
            rows=[
                (
                    pk,
                    ws_id,
                    p.email,
                    p.key,
                    email_hash(p.key),
                    p.first_name,
                    p.last_name,
                    ContactStatus.ACTIVE,
                    fastwrite.adapt_json(connection, p.fields),
                    "import",
                    stamp,
                    stamp,
                )
                for pk, p in zip(new_ids, new, strict=True)
            ],
        )
        counts.created += len(new)
        changed: list[Contact] = []
        old_ids: list[int] = []
        for p in prepared:
            row = existing.get(p.key)
            if row is None:
                continue
            old_ids.append(row[1])
            if not update:
                counts.skipped += 1
                continue
            _key, pk, first, last, fields, _status = row
            merged = {**(fields or {}), **p.fields}
            new_first = p.first_name or first
            new_last = p.last_name or last
            if (new_first, new_last, merged) == (first, last, fields):
                counts.skipped += 1
                continue
            changed.append(
                Contact(
                    pk=pk, first_name=new_first, last_name=new_last, fields=merged, updated_at=now
                )
            )
        if changed:
            Contact.objects.for_workspace(self.workspace).bulk_update(
                changed, ["first_name", "last_name", "fields", "updated_at"], batch_size=500
            )
            counts.updated += len(changed)
        if job.contact_list_id:
            # New contacts cannot have a subscription yet: COPY. Existing ones may, and an
            # existing subscription (even an unsubscribed one) is left as it is: an import
            # never re-subscribes someone who opted out.
            fastwrite.insert_rows(
                using=db,
                model=Subscription,
                fields=SUBSCRIPTION_FIELDS,
                rows=[
                    (ws_id, pk, job.contact_list_id, SubscriptionStatus.SUBSCRIBED) + (stamp,) * 4
                    for pk in new_ids
                ],
            )
            Subscription.objects.for_workspace(self.workspace).bulk_create(
                [
                    Subscription(
                        workspace_id=ws_id,
                        contact_id=pk,
                        contact_list_id=job.contact_list_id,
                        status=SubscriptionStatus.SUBSCRIBED,
                        subscribed_at=now,
                        confirmed_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                    for pk in old_ids
                ],
                ignore_conflicts=True,
            )
        location = f"import:{job.pk}:{job.file_name}"[:500]
        fastwrite.insert_rows(
            using=db,
            model=ConsentRecord,
            fields=CONSENT_FIELDS,
            rows=[
                (
                    ws_id,
                    pk,
                    job.contact_list_id,
                    ConsentSource.IMPORT,
                    fastwrite.adapt_time(connection, p.optin_time) if p.optin_time else stamp,
                    job.consent_text,
                    location,
                    p.optin_ip,
                    f'{{"row": {p.number}}}',
                    stamp,
                    stamp,
                )
                for pk, p in zip(new_ids, new, strict=True)
            ],
        )
        fastwrite.insert_rows(
            using=db,
            model=ContactTag,
            fields=TAG_FIELDS,
            rows=[
                (ws_id, pk, self._tag_id(name), stamp, stamp)
                for pk, p in zip(new_ids, new, strict=True)
                if p.tags
                for name in dict.fromkeys(p.tags)
            ],
        )
        old_links = [
            ContactTag(
                workspace_id=ws_id,
                contact_id=existing[p.key][1],
                tag_id=self._tag_id(name),
                created_at=now,
                updated_at=now,
            )
            for p in prepared
            if p.tags and p.key in existing
            for name in dict.fromkeys(p.tags)
        ]
        if old_links:
            ContactTag.objects.for_workspace(self.workspace).bulk_create(
                old_links, ignore_conflicts=True
            )

    def _unsubscribe(self, prepared: list[Prepared], counts: Counts, *, blocklist: bool) -> None:
        now = clock.now()
        existing = self._existing([p.key for p in prepared], with_data=False)
        ids = [row[1] for row in existing.values()]
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

    def write(self, prepared: list[Prepared], errors: list[tuple[int, str, str]], last_row: int):
        """Apply one batch and advance the job, all or nothing."""
        job = self.job
        counts = Counts(errors=len(errors))
        with transaction.atomic(using=self.db):
            moved = (
                ContactImport.all_rows.using(self.db)
                .filter(pk=job.pk, rows_done=job.rows_done)
                .update(rows_done=last_row)
            )
            if moved != 1:
                raise ImportConflict(f"import {job.pk} advanced elsewhere")
            if prepared:
                if job.mode in (ImportMode.ADD, ImportMode.UPSERT):
                    self._add_or_update(prepared, counts, update=job.mode == ImportMode.UPSERT)
                else:
                    self._unsubscribe(prepared, counts, blocklist=job.mode == ImportMode.BLOCKLIST)
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
    resume_after = job.rows_done
    seen: dict[int, int] = {}  # hash(email_key) -> first row number, for in-file duplicates
    batch: list[Prepared] = []
    errors: list[tuple[int, str, str]] = []
    header_done = False
    last_row = resume_after

    def flush(last: int) -> None:
        nonlocal batch, errors
        try:
            writer.write(batch, errors, last)
        except IntegrityError:
            # Someone added one of these addresses between our lookup and insert: the batch
            # rolled back whole; once more sees the new contact as existing.
            writer.write(batch, errors, last)
        batch, errors = [], []

    for row in rows(path, sniffed):
        if not header_done:
            if any(c.strip() for c in row.cells) or row.error:
                header_done = True
            continue
        if not row.error and not any(c.strip() for c in row.cells):
            continue  # blank line: no data to lose
        result = preparer.prepare(row)
        replay = row.number <= resume_after
        if isinstance(result, Prepared):
            digest = hash(result.key)
            first = seen.get(digest)
            if first is None:
                seen[digest] = row.number
            elif not replay:
                result = _("Duplicate of row %(n)d.") % {"n": first}
        if replay:
            continue
        if isinstance(result, Prepared):
            batch.append(result)
        else:
            raw_email = preparer._cell(row.cells, preparer.email_col)
            errors.append((row.number, raw_email, result))
        last_row = row.number
        if len(batch) + len(errors) >= batch_rows:
            flush(last_row)
    if batch or errors:
        flush(last_row)
