# ruff: noqa: S608 (table names come from the models' _meta; values are parameters or COPY data)
"""PostgreSQL: COPY into a temporary staging table, then set-based merges.

One batch costs one COPY plus about ten statements whatever its size. The staging table is
``TEMPORARY`` (never WAL-logged, private to the connection) and ``ON COMMIT DELETE ROWS``.
Table and column names come from the models' metadata; every value travels as COPY data
or as a query parameter: no user text is part of any SQL string.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import connections

from mailsoftly.contacts.bulk import ContactRow, UpsertOptions, UpsertResult
from mailsoftly.contacts.emails import email_hash
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    ContactStatus,
    ContactTag,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

STAGE = "mailsoftly_contact_stage"
STAGE_DDL = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
    n integer NOT NULL,
    email text NOT NULL,
    email_key text NOT NULL,
    email_hash text NOT NULL,
    first_name text,
    last_name text,
    fields jsonb NOT NULL,
    tag_ids bigint[],
    given_at timestamptz,
    ip inet,
    contact_id bigint,
    created boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    suppressed boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS
"""
STAGE_COLUMNS = (
    "n, email, email_key, email_hash, first_name, last_name, fields, tag_ids, given_at, ip"
)


def _t(model) -> str:
    return f'"{model._meta.db_table}"'


def _sql() -> dict[str, str]:
    contact, sub, consent, tag, event, supp = (
        _t(Contact),
        _t(Subscription),
        _t(ConsentRecord),
        _t(ContactTag),
        _t(ContactEvent),
        _t(Suppression),
    )
    return {
        "suppressed": f"""
            UPDATE {STAGE} s SET suppressed = true FROM {supp} p
            WHERE p.workspace_id = %(ws)s AND p.trashed_at IS NULL
              AND p.email_hash = s.email_hash""",
        "existing": f"""
            UPDATE {STAGE} s SET contact_id = c.id, active = (c.status = %(active)s)
            FROM {contact} c
            WHERE s.contact_id IS NULL AND c.workspace_id = %(ws)s
              AND c.trashed_at IS NULL AND c.email_key = s.email_key""",
        "new_count": f"""
            SELECT count(*) FROM {STAGE} WHERE contact_id IS NULL AND NOT suppressed""",
        # Rows inserted by someone else meanwhile conflict and are skipped here; the
        # "existing" statement runs again afterwards and finds them.
        "insert": f"""
            WITH ins AS (
                INSERT INTO {contact} (workspace_id, email, email_key, email_hash, first_name,
                    last_name, status, fields, source, created_at, updated_at)
                SELECT %(ws)s, email, email_key, email_hash, coalesce(first_name, ''),
                    coalesce(last_name, ''), %(active)s, fields, %(source)s, %(now)s, %(now)s
                FROM {STAGE} WHERE contact_id IS NULL AND NOT suppressed ORDER BY n
                ON CONFLICT (workspace_id, email_key) WHERE trashed_at IS NULL DO NOTHING
                RETURNING id, email_key
            )
            UPDATE {STAGE} s SET contact_id = ins.id, created = true
            FROM ins WHERE s.email_key = ins.email_key""",
        "update": f"""
            WITH changed AS (
                UPDATE {contact} c SET
                    first_name = coalesce(s.first_name, c.first_name),
                    last_name = coalesce(s.last_name, c.last_name),
                    fields = c.fields || s.fields,
                    updated_at = %(now)s
                FROM {STAGE} s
                WHERE s.contact_id = c.id AND NOT s.created AND c.workspace_id = %(ws)s
                  AND (c.first_name, c.last_name, c.fields) IS DISTINCT FROM
                      (coalesce(s.first_name, c.first_name),
                       coalesce(s.last_name, c.last_name), c.fields || s.fields)
                RETURNING c.id
            )
            SELECT count(*) FROM changed""",
        "subscribe": f"""
            INSERT INTO {sub} (workspace_id, contact_id, contact_list_id, status,
                subscribed_at, confirmed_at, created_at, updated_at)
            SELECT %(ws)s, contact_id, %(list)s, %(subscribed)s, %(now)s, %(now)s, %(now)s,
                %(now)s
            FROM {STAGE} WHERE contact_id IS NOT NULL AND active AND NOT suppressed
            ON CONFLICT (contact_id, contact_list_id) DO NOTHING""",
        "consent": f"""
            INSERT INTO {consent} (workspace_id, contact_id, contact_list_id, source, given_at,
                consent_text, location, ip_address, details, created_at, updated_at)
            SELECT %(ws)s, contact_id, %(list)s, %(source)s, coalesce(given_at, %(now)s),
                %(consent_text)s, %(location)s, ip, jsonb_build_object(%(details_key)s, n),
                %(now)s, %(now)s
            FROM {STAGE} WHERE created""",
        "tags": f"""
            INSERT INTO {tag} (workspace_id, contact_id, tag_id, created_at, updated_at)
            SELECT DISTINCT %(ws)s, s.contact_id, t.tag_id, %(now)s, %(now)s
            FROM {STAGE} s CROSS JOIN LATERAL unnest(s.tag_ids) AS t(tag_id)
            WHERE s.contact_id IS NOT NULL
            ON CONFLICT (contact_id, tag_id) DO NOTHING""",
        "timeline": f"""
            INSERT INTO {event} (workspace_id, contact_id, kind, occurred_at, data,
                created_at, updated_at)
            SELECT %(ws)s, contact_id, CASE WHEN created THEN 'created' ELSE 'updated' END,
                %(now)s, jsonb_build_object('source', %(source)s::text), %(now)s, %(now)s
            FROM {STAGE} WHERE contact_id = ANY(%(ids)s)""",
        "created_rows": f"SELECT n, contact_id FROM {STAGE} WHERE created",
        "suppressed_rows": f"""
            SELECT n FROM {STAGE} WHERE suppressed AND contact_id IS NULL""",
        "clear": f"DELETE FROM {STAGE}",
    }


_SQL: dict[str, str] = {}


def upsert(
    *,
    workspace,
    rows: list[ContactRow],
    options: UpsertOptions,
    result: UpsertResult,
    check_limit: Callable[[int], None] | None,
) -> None:
    if not _SQL:
        _SQL.update(_sql())
    sql = _SQL
    params = {
        "ws": workspace.pk,
        "now": options.now,
        "active": ContactStatus.ACTIVE,
        "subscribed": SubscriptionStatus.SUBSCRIBED,
        "source": options.source,
        "list": options.contact_list_id,
        "consent_text": options.consent_text,
        "location": options.location,
        "details_key": options.details_key,
    }
    tag_ids = options.tag_ids
    connection = connections[workspace.database]
    with connection.cursor() as cursor:
        cursor.execute(STAGE_DDL)
        cursor.execute(sql["clear"])
        raw = cursor.cursor  # the psycopg cursor, for COPY
        with raw.copy(f"COPY {STAGE} ({STAGE_COLUMNS}) FROM STDIN") as copy:
            write = copy.write_row
            dumps = json.dumps
            for r in rows:
                write(
                    (
                        r.number,
                        r.email,
                        r.key,
                        email_hash(r.key),
                        r.first_name,
                        r.last_name,
                        dumps(r.fields) if r.fields else "{}",
                        [tag_ids[t] for t in dict.fromkeys(r.tags)] if r.tags else None,
                        r.optin_time,
                        r.optin_ip,
                    )
                )
        # Fresh statistics, so the joins below probe the contacts' unique index per staged
        # row instead of hashing the whole contacts table.
        cursor.execute(f"ANALYZE {STAGE}")
        cursor.execute(sql["suppressed"], params)
        cursor.execute(sql["existing"], params)
        cursor.execute(sql["new_count"])
        candidates = cursor.fetchone()[0]
        if check_limit is not None:
            check_limit(candidates)
        cursor.execute(sql["insert"], params)
        result.created = cursor.rowcount
        if result.created < candidates:
            # A concurrent writer added some of these addresses after our lookup.
            cursor.execute(sql["existing"], params)
        if options.update:
            cursor.execute(sql["update"], params)
            result.updated = cursor.fetchone()[0]
        if options.contact_list_id:
            cursor.execute(sql["subscribe"], params)
        cursor.execute(sql["consent"], params)
        if tag_ids and any(r.tags for r in rows):
            cursor.execute(sql["tags"], params)
        by_number = None
        cursor.execute(sql["suppressed_rows"])
        suppressed = {n for (n,) in cursor.fetchall()}
        if suppressed:
            by_number = {r.number: r for r in rows}
            result.suppressed = [by_number[n] for n in sorted(suppressed)]
        written = result.created + len(result.suppressed)
        if options.want_ids or options.timeline:
            by_number = by_number or {r.number: r for r in rows}
            cursor.execute(sql["created_rows"])
            result.created_ids = [(pk, by_number[n]) for n, pk in cursor.fetchall()]
            if options.update:
                result.updated_ids = _updated(cursor, sql, by_number, options)
        result.skipped = len(rows) - written - result.updated
        if options.timeline:
            ids = [pk for pk, _ in result.created_ids] + [pk for pk, _ in result.updated_ids]
            cursor.execute(sql["timeline"], {**params, "ids": ids})


def _updated(cursor, sql, by_number, options) -> list[tuple[int, ContactRow]]:
    """The existing contacts the update changed: those whose updated_at is now ours."""
    cursor.execute(
        f"""SELECT s.n, s.contact_id FROM {STAGE} s JOIN {_t(Contact)} c
            ON c.id = s.contact_id WHERE NOT s.created AND c.updated_at = %s""",
        [options.now],
    )
    return [(pk, by_number[n]) for n, pk in cursor.fetchall()]
