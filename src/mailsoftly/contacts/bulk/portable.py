"""Any database (SQLite in practice): look the addresses up, then batched inserts.

New rows go in with ``executemany`` (:mod:`mailsoftly.contacts.importing.fastwrite`) without
a model instance per row; changed contacts with ``bulk_update``. The child tables have no
foreign-key constraints; SQLite serialises writers, so checking once that the list exists
is all a batch needs (the contacts and tags it links were read under the same lock).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import IntegrityError, connections

from mailsoftly.contacts.bulk import ContactRow, UpsertOptions, UpsertResult, _chunks
from mailsoftly.contacts.emails import email_hash
from mailsoftly.contacts.importing import fastwrite
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    ContactList,
    ContactStatus,
    ContactTag,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

LOOKUP_CHUNK = 500  # SQLite allows 999 parameters per statement in older builds
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


def _existing(workspace, keys: list[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    columns = ("email_key", "id", "first_name", "last_name", "fields", "status")
    qs = Contact.objects.for_workspace(workspace)
    for chunk in _chunks(keys, LOOKUP_CHUNK):
        for row in qs.filter(email_key__in=chunk).values_list(*columns):
            found[row[0]] = row
    return found


def _suppressed(workspace, hashes: list[str]) -> set[str]:
    found: set[str] = set()
    qs = Suppression.objects.for_workspace(workspace)
    for chunk in _chunks(hashes, LOOKUP_CHUNK):
        found.update(qs.filter(email_hash__in=chunk).values_list("email_hash", flat=True))
    return found


def upsert(
    *,
    workspace,
    rows: list[ContactRow],
    options: UpsertOptions,
    result: UpsertResult,
    check_limit: Callable[[int], None] | None,
) -> None:
    ws_id = workspace.pk
    db = workspace.database
    connection = connections[db]
    now = options.now
    stamp = fastwrite.adapt_time(connection, now)
    tag_ids = options.tag_ids
    if options.contact_list_id and not (
        ContactList.all_rows.using(db).filter(pk=options.contact_list_id).exists()
    ):
        raise IntegrityError(f"contact list {options.contact_list_id} does not exist")
    hashes = {r.key: email_hash(r.key) for r in rows}
    existing = _existing(workspace, [r.key for r in rows])
    suppressed = _suppressed(workspace, list(hashes.values()))
    new = [r for r in rows if r.key not in existing and hashes[r.key] not in suppressed]
    result.suppressed = [r for r in rows if r.key not in existing and hashes[r.key] in suppressed]
    if check_limit is not None:
        check_limit(len(new))
    new_ids = fastwrite.allocate_ids(using=db, model=Contact, count=len(new))
    fastwrite.insert_rows(
        using=db,
        model=Contact,
        fields=CONTACT_FIELDS,
        rows=[
            (
                pk,
                ws_id,
                r.email,
                r.key,
                hashes[r.key],
                r.first_name or "",
                r.last_name or "",
                ContactStatus.ACTIVE,
                json.dumps(r.fields),
                options.source,
                stamp,
                stamp,
            )
            for pk, r in zip(new_ids, new, strict=True)
        ],
    )
    result.created = len(new)
    created = list(zip(new_ids, new, strict=True))
    changed: list[Contact] = []
    subscribe_old: list[int] = []
    old: list[tuple[int, ContactRow]] = []
    for r in rows:
        row = existing.get(r.key)
        if row is None:
            continue
        _key, pk, first, last, fields, status = row
        old.append((pk, r))
        if status == ContactStatus.ACTIVE and hashes[r.key] not in suppressed:
            subscribe_old.append(pk)
        if not options.update:
            continue
        merged = {**(fields or {}), **r.fields}
        new_first = first if r.first_name is None else r.first_name
        new_last = last if r.last_name is None else r.last_name
        if (new_first, new_last, merged) == (first, last, fields):
            continue
        changed.append(
            Contact(
                pk=pk,
                workspace_id=ws_id,
                first_name=new_first,
                last_name=new_last,
                fields=merged,
                updated_at=now,
            )
        )
        result.updated_ids.append((pk, r))
    if changed:
        Contact.objects.for_workspace(workspace).bulk_update(
            changed, ["first_name", "last_name", "fields", "updated_at"], batch_size=500
        )
    result.updated = len(changed)
    result.skipped = len(old) - len(changed)
    list_id = options.contact_list_id
    if list_id:
        # New contacts cannot have a subscription yet. An existing subscription (even an
        # unsubscribed one) is left as it is.
        fastwrite.insert_rows(
            using=db,
            model=Subscription,
            fields=SUBSCRIPTION_FIELDS,
            rows=[
                (ws_id, pk, list_id, SubscriptionStatus.SUBSCRIBED) + (stamp,) * 4 for pk in new_ids
            ],
        )
        Subscription.objects.for_workspace(workspace).bulk_create(
            [
                Subscription(
                    workspace_id=ws_id,
                    contact_id=pk,
                    contact_list_id=list_id,
                    status=SubscriptionStatus.SUBSCRIBED,
                    subscribed_at=now,
                    confirmed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for pk in subscribe_old
            ],
            ignore_conflicts=True,
        )
    fastwrite.insert_rows(
        using=db,
        model=ConsentRecord,
        fields=CONSENT_FIELDS,
        rows=[
            (
                ws_id,
                pk,
                list_id,
                options.source,
                fastwrite.adapt_time(connection, r.optin_time) if r.optin_time else stamp,
                options.consent_text,
                options.location,
                r.optin_ip,
                json.dumps({options.details_key: r.number}),
                stamp,
                stamp,
            )
            for pk, r in created
        ],
    )
    fastwrite.insert_rows(
        using=db,
        model=ContactTag,
        fields=TAG_FIELDS,
        rows=[
            (ws_id, pk, tag_ids[name], stamp, stamp)
            for pk, r in created
            if r.tags
            for name in dict.fromkeys(r.tags)
        ],
    )
    old_links = [
        ContactTag(
            workspace_id=ws_id,
            contact_id=pk,
            tag_id=tag_ids[name],
            created_at=now,
            updated_at=now,
        )
        for pk, r in old
        if r.tags
        for name in dict.fromkeys(r.tags)
    ]
    if old_links:
        ContactTag.objects.for_workspace(workspace).bulk_create(old_links, ignore_conflicts=True)
    if options.want_ids or options.timeline:
        result.created_ids = created
    if options.timeline:
        ContactEvent.objects.for_workspace(workspace).bulk_create(
            [
                ContactEvent(
                    workspace_id=ws_id,
                    contact_id=pk,
                    kind=kind,
                    occurred_at=now,
                    data={"source": options.source},
                    created_at=now,
                    updated_at=now,
                )
                for kind, pairs in (("created", created), ("updated", result.updated_ids))
                for pk, _r in pairs
            ],
            batch_size=500,
        )
