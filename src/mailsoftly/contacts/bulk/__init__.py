"""Writing many contacts at once: the import's batches and the API's bulk upsert.

:func:`contacts_upsert_many` adds (and, with ``update=True``, updates) up to a few tens of
thousands of already validated contacts in one transaction on the workspace's region
database, with their list subscription, tags, consent records and timeline entries.

Two implementations give the same result:

* PostgreSQL (:mod:`.postgres`): the rows are COPYed into a temporary staging table and
  merged by a handful of set-based statements (``INSERT ... SELECT ... ON CONFLICT``), so the
  database does the per-row work without a round trip per row or per table.
* Any other database, SQLite in practice (:mod:`.portable`): a lookup of the existing
  addresses, then ``executemany`` inserts and ``bulk_update``.

Rules shared by both (tests in ``tests/contacts/test_bulk.py`` run on both databases):

* An address on the workspace's suppression list (unsubscribed, bounced, complained,
  manual, erased) is never created again; it comes back in ``UpsertResult.suppressed``.
  An existing contact on the list may have its name and fields updated, but it is never
  put (back) on a list.
* Only active contacts are subscribed; an existing subscription, even an unsubscribed one,
  is left as it is, so a bulk write never re-subscribes someone who opted out.
* Updates merge: a ``None`` name keeps the stored one, ``fields`` are merged key by key.
* New contacts get a consent record (source, text, location, the row's opt-in time and IP).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from mailsoftly.contacts.models import ConsentSource, Tag
from mailsoftly.core import clock


@dataclass(slots=True)
class ContactRow:
    """One validated contact to write. ``number`` is the file row or the API item index."""

    number: int
    email: str
    key: str  # email_key: the case-folded address that uniqueness compares
    first_name: str | None = None  # None: keep the stored value (new contacts get "")
    last_name: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    optin_time: datetime.datetime | None = None
    optin_ip: str | None = None


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0  # existing and unchanged (or existing in add-only mode)
    # New addresses that are on the suppression list: not written.
    suppressed: list[ContactRow] = field(default_factory=list)
    # (contact id, row) of the created and updated contacts, when ``want_ids``.
    created_ids: list[tuple[int, ContactRow]] = field(default_factory=list)
    updated_ids: list[tuple[int, ContactRow]] = field(default_factory=list)


@dataclass
class UpsertOptions:
    update: bool
    contact_list_id: int | None
    source: str
    consent_text: str
    location: str
    details_key: str  # the consent record's details: {details_key: row.number}
    timeline: bool
    want_ids: bool
    now: datetime.datetime
    tag_ids: dict[str, int]
    conflicts_raise: bool = False


def tag_ids_resolve(*, workspace, names: set[str], cache: dict[str, int]) -> dict[str, int]:
    """Ids of the workspace's live tags called ``names``, creating the missing ones."""
    wanted = names - cache.keys()
    if wanted:
        tags = Tag.objects.for_workspace(workspace)
        for chunk in _chunks(sorted(wanted), 1000):
            cache.update(tags.filter(name__in=chunk).values_list("name", "id"))
        missing = wanted - cache.keys()
        if missing:
            tags.bulk_create(
                [Tag(workspace_id=workspace.pk, name=name) for name in sorted(missing)],
                ignore_conflicts=True,
            )
            for chunk in _chunks(sorted(missing), 1000):
                cache.update(tags.filter(name__in=chunk).values_list("name", "id"))
    return cache


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def contacts_upsert_many(
    *,
    workspace,
    rows: Sequence[ContactRow],
    update: bool = False,
    contact_list_id: int | None = None,
    source: str = ConsentSource.IMPORT,
    consent_text: str = "",
    location: str = "",
    details_key: str = "row",
    check_limit: bool = True,
    timeline: bool = False,
    want_ids: bool = False,
    webhooks: bool = False,
    tag_cache: dict[str, int] | None = None,
    conflicts_raise: bool = False,
) -> UpsertResult:
    """Add ``rows`` to the workspace (and update the existing ones when ``update``).

    All or nothing: one transaction (a savepoint inside the caller's). ``rows`` must have
    distinct ``key`` values (ValueError otherwise). With ``check_limit`` the plan's contact
    limit is checked for the new addresses before anything is written
    (:class:`~mailsoftly.billing.errors.LimitExceeded`); the import checks its whole file
    up front instead. ``timeline`` writes a "created"/"updated" entry per contact,
    ``webhooks`` emits ``contact.created`` / ``contact.updated`` per contact (both for
    API-sized batches; an import reports once with ``import.finished``). With
    ``conflicts_raise`` an address that a concurrent writer adds between the lookup and the
    insert fails the call with ``IntegrityError`` instead of being skipped (a cheaper insert
    on PostgreSQL, for callers that retry the batch). See the module docstring for the
    rules.
    """
    rows = list(rows)
    if len({r.key for r in rows}) != len(rows):
        raise ValueError("contacts_upsert_many needs distinct addresses")
    result = UpsertResult()
    if not rows:
        return result
    options = UpsertOptions(
        update=update,
        contact_list_id=contact_list_id,
        source=source,
        consent_text=consent_text,
        location=location[:500],
        details_key=details_key,
        timeline=timeline,
        want_ids=want_ids or webhooks,
        now=clock.now(),
        tag_ids=tag_cache if tag_cache is not None else {},
        conflicts_raise=conflicts_raise,
    )
    names = {name for r in rows for name in r.tags}
    if names:
        tag_ids_resolve(workspace=workspace, names=names, cache=options.tag_ids)
    db = workspace.database
    if connections[db].vendor == "postgresql":
        from mailsoftly.contacts.bulk import postgres as backend
    else:
        from mailsoftly.contacts.bulk import portable as backend
    with transaction.atomic(using=db):
        backend.upsert(
            workspace=workspace,
            rows=rows,
            options=options,
            result=result,
            check_limit=_limit_checker(workspace) if check_limit else None,
        )
        if webhooks:
            contacts_emit_many(workspace=workspace, result=result, source=source)
    return result


def _limit_checker(workspace):
    from mailsoftly.billing.services import limit_check

    def check(new: int) -> None:
        if new:
            limit_check(workspace=workspace, resource="contacts", amount=new)

    return check


def contacts_emit_many(*, workspace, result: UpsertResult, source: str) -> None:
    """``contact.created`` / ``contact.updated`` per contact, when an endpoint wants them."""
    from mailsoftly.contacts.webhooks import contact_payload_row, webhook_events_wanted

    wanted = webhook_events_wanted(workspace=workspace)
    if not wanted:
        return
    from mailsoftly.webhooks.services import webhook_emit

    for event, pairs in (
        ("contact.created", result.created_ids),
        ("contact.updated", result.updated_ids),
    ):
        if event not in wanted:
            continue
        for pk, row in pairs:
            webhook_emit(
                workspace=workspace,
                event=event,
                data={"contact": contact_payload_row(pk, row), "source": source},
            )
