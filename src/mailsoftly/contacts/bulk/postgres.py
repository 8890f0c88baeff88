# ruff: noqa: S608 (table names come from the models' _meta; values are parameters or COPY data)
"""PostgreSQL: COPY into a temporary staging table, then set-based merges.

One batch costs one COPY plus about ten statements whatever its size. The staging table is
``TEMPORARY`` (never WAL-logged, private to the connection) and ``ON COMMIT DELETE ROWS``.

The child tables have no foreign-key constraints (see ``BulkOwned`` in the models), so the
references a batch writes are checked here, once per batch rather than once per row: new
contacts are inserted by this same transaction; the list, the tags and the existing
contacts that get a subscription or a tag are locked ``FOR KEY SHARE`` (what a constraint
check locks), and a batch whose list or contact vanished meanwhile fails with
``IntegrityError`` as a constraint would have made it fail.
Table and column names come from the models' metadata; every value travels as COPY data
or as a query parameter: no user text is part of any SQL string.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import IntegrityError, connections

from mailsoftly.contacts.bulk import ContactRow, UpsertOptions, UpsertResult
from mailsoftly.contacts.emails import email_hash
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
    Tag,
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
    active boolean,  -- the existing contact's status is active (NULL: new)
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
        # Scalar subqueries, never joins: each staged row probes the unique index on
        # (workspace, email_key) once. A join would be planned from statistics that a new
        # workspace or a fresh staging table does not have yet, and a nested loop the wrong
        # way round costs contacts x staged rows. The workspace id is given as
        # ``(SELECT id)`` so the planner uses its generic estimate: with the literal, a
        # workspace the statistics have not seen yet looks empty, and the planner walks all
        # of its contacts through the workspace index for every staged row.
        "lookup": f"""
            UPDATE {STAGE} s SET
                (contact_id, active) = (
                    SELECT c.id, c.status = %(active)s FROM {contact} c
                    WHERE c.workspace_id = (SELECT %(ws)s::bigint) AND c.trashed_at IS NULL
                      AND c.email_key = s.email_key),
                suppressed = EXISTS (
                    SELECT 1 FROM {supp} p
                    WHERE p.workspace_id = (SELECT %(ws)s::bigint) AND p.trashed_at IS NULL
                      AND p.email_hash = s.email_hash)
            WHERE s.contact_id IS NULL""",
        # The first lookup of a batch also gives each new address its id from the table's
        # sequence, in the same pass over the staging table, so no statement below has to
        # match rows by address again (a join the planner can get badly wrong on a staging
        # table without statistics). The same probes as "lookup"; OFFSET 0 keeps the
        # suppression probe from being inlined (and run) once per reference to it.
        "lookup_allocate": f"""
            UPDATE {STAGE} s SET (contact_id, active, suppressed, created) = (
                SELECT coalesce(c.id, CASE WHEN p.hit THEN NULL
                                           ELSE nextval(%(seq)s::regclass) END),
                    c.status = %(active)s, p.hit, c.id IS NULL AND NOT p.hit
                FROM (SELECT 1) one
                LEFT JOIN {contact} c ON c.workspace_id = (SELECT %(ws)s::bigint)
                    AND c.trashed_at IS NULL AND c.email_key = s.email_key
                CROSS JOIN LATERAL (SELECT EXISTS (
                    SELECT 1 FROM {supp} x
                    WHERE x.workspace_id = (SELECT %(ws)s::bigint) AND x.trashed_at IS NULL
                      AND x.email_hash = s.email_hash) AS hit OFFSET 0) p)""",
        "new_count": f"SELECT count(*) FROM {STAGE} WHERE created",
        # Rows someone else inserted meanwhile conflict and are skipped here; "orphans" then
        # forgets the ids that were not used and "lookup" finds the other writer's rows. No
        # ORDER BY: the ids already follow the file's rows, and sorting cost 1-2 us per row.
        "insert": f"""
            INSERT INTO {contact} (id, workspace_id, email, email_key, email_hash, first_name,
                last_name, status, fields, source, created_at, updated_at)
            SELECT contact_id, %(ws)s, email, email_key, email_hash, coalesce(first_name, ''),
                coalesce(last_name, ''), %(active)s, fields, %(source)s, %(now)s, %(now)s
            FROM {STAGE} WHERE created""",
        "skip_conflicts": """
            ON CONFLICT (workspace_id, email_key) WHERE trashed_at IS NULL DO NOTHING""",
        # FOR KEY SHARE: what a foreign-key check would lock, taken once per batch. The ids
        # travel as one array so the planner probes the primary key instead of joining.
        "lock_list": f"""
            SELECT count(*) FROM (SELECT 1 FROM {_t(ContactList)}
                WHERE id = %(list)s FOR KEY SHARE) x""",
        "lock_tags": f"""
            SELECT count(*) FROM (SELECT 1 FROM {_t(Tag)}
                WHERE id = ANY(%(tag_ids)s) FOR KEY SHARE) x""",
        "existing_count": f"""
            SELECT count(*) FROM {STAGE} WHERE contact_id IS NOT NULL AND NOT created""",
        "lock_existing": f"""
            SELECT count(*) FROM (SELECT 1 FROM {contact} c WHERE c.id = ANY(ARRAY(
                SELECT contact_id FROM {STAGE} WHERE contact_id IS NOT NULL AND NOT created))
                FOR KEY SHARE OF c) x""",
        "orphans": f"""
            UPDATE {STAGE} s SET contact_id = NULL, created = false
            WHERE s.created AND NOT EXISTS (SELECT 1 FROM {contact} c WHERE c.id = s.contact_id)""",
        "update": f"""
            WITH changed AS (
                UPDATE {contact} c SET
                    first_name = coalesce(s.first_name, c.first_name),
                    last_name = coalesce(s.last_name, c.last_name),
                    fields = c.fields || s.fields,
                    updated_at = %(now)s
                FROM {STAGE} s
                -- The staged ids came from "lookup", scoped to the workspace. No workspace
                -- condition here on purpose: it would invite a plan that walks all of the
                -- workspace's contacts instead of probing the primary key per staged row.
                WHERE s.contact_id = c.id AND NOT s.created
                  AND (c.first_name, c.last_name, c.fields) IS DISTINCT FROM
                      (coalesce(s.first_name, c.first_name),
                       coalesce(s.last_name, c.last_name), c.fields || s.fields)
                RETURNING s.n, c.id
            )
            SELECT n, id FROM changed""",
        # New contacts have no subscription and no tag yet: plain inserts. Existing ones
        # keep what they have (ON CONFLICT DO NOTHING, the slower path, only for them).
        "subscribe": f"""
            INSERT INTO {sub} (workspace_id, contact_id, contact_list_id, status,
                subscribed_at, confirmed_at, created_at, updated_at)
            SELECT %(ws)s, contact_id, %(list)s, %(subscribed)s, %(now)s, %(now)s, %(now)s,
                %(now)s
            FROM {STAGE} WHERE created""",
        "subscribe_existing": f"""
            INSERT INTO {sub} (workspace_id, contact_id, contact_list_id, status,
                subscribed_at, confirmed_at, created_at, updated_at)
            SELECT %(ws)s, contact_id, %(list)s, %(subscribed)s, %(now)s, %(now)s, %(now)s,
                %(now)s
            FROM {STAGE}
            WHERE contact_id IS NOT NULL AND NOT created AND active AND NOT suppressed
            ON CONFLICT (contact_id, contact_list_id) DO NOTHING""",
        "consent": f"""
            INSERT INTO {consent} (workspace_id, contact_id, contact_list_id, source, given_at,
                consent_text, location, ip_address, details, created_at, updated_at)
            SELECT %(ws)s, contact_id, %(list)s, %(source)s, coalesce(given_at, %(now)s),
                %(consent_text)s, %(location)s, ip, jsonb_build_object(%(details_key)s, n),
                %(now)s, %(now)s
            FROM {STAGE} WHERE created""",
        # tag_ids are distinct per row (deduplicated when staged).
        "tags": f"""
            INSERT INTO {tag} (workspace_id, contact_id, tag_id, created_at, updated_at)
            SELECT %(ws)s, s.contact_id, t.tag_id, %(now)s, %(now)s
            FROM {STAGE} s CROSS JOIN LATERAL unnest(s.tag_ids) AS t(tag_id)
            WHERE s.created""",
        "tags_existing": f"""
            INSERT INTO {tag} (workspace_id, contact_id, tag_id, created_at, updated_at)
            SELECT %(ws)s, s.contact_id, t.tag_id, %(now)s, %(now)s
            FROM {STAGE} s CROSS JOIN LATERAL unnest(s.tag_ids) AS t(tag_id)
            WHERE s.contact_id IS NOT NULL AND NOT s.created
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
    params["seq"] = _sequence(connection)
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
        cursor.execute(sql["lookup_allocate"], params)
        cursor.execute(sql["new_count"])
        candidates = cursor.fetchone()[0]
        if check_limit is not None:
            check_limit(candidates)
        if candidates:
            # Without ON CONFLICT a concurrent writer's address fails the whole batch with
            # IntegrityError; a caller that retries the batch (the import) saves the cost.
            insert = (
                sql["insert"] if options.conflicts_raise else sql["insert"] + sql["skip_conflicts"]
            )
            cursor.execute(insert, params)
            result.created = cursor.rowcount
            if result.created < candidates:
                # A concurrent writer added some of these addresses after our lookup.
                cursor.execute(sql["orphans"])
                cursor.execute(sql["lookup"], params)
        existing = len(rows) > result.created
        if existing:
            cursor.execute(sql["existing_count"])
            existing = cursor.fetchone()[0]
        changed: list[tuple[int, int]] = []
        if options.update and existing:
            # The update joins the staging table to the contacts: with the staging table's
            # real statistics the planner probes the primary key per staged row instead of
            # guessing (a wrong guess walked every contact per staged row: seconds per batch).
            cursor.execute(f"ANALYZE {STAGE}")
            cursor.execute(sql["update"], params)
            changed = cursor.fetchall()
            result.updated = len(changed)
        used_tags = sorted({tag_ids[t] for r in rows for t in r.tags}) if tag_ids else []
        _lock_references(cursor, sql, params, options, used_tags, existing)
        if options.contact_list_id:
            cursor.execute(sql["subscribe"], params)
            if existing:
                cursor.execute(sql["subscribe_existing"], params)
        cursor.execute(sql["consent"], params)
        if used_tags:
            cursor.execute(sql["tags"], params)
            if existing:
                cursor.execute(sql["tags_existing"], params)
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
            result.updated_ids = [(pk, by_number[n]) for n, pk in changed]
        result.skipped = len(rows) - written - result.updated
        if options.timeline:
            ids = [pk for pk, _ in result.created_ids] + [pk for pk, _ in result.updated_ids]
            cursor.execute(sql["timeline"], {**params, "ids": ids})


def _lock_references(cursor, sql, params, options, used_tags, existing: int) -> None:
    """Lock what this batch's child rows refer to, or fail as a foreign key would."""
    if options.contact_list_id:
        cursor.execute(sql["lock_list"], params)
        if cursor.fetchone()[0] != 1:
            raise IntegrityError(f"contact list {options.contact_list_id} does not exist")
    if used_tags:
        cursor.execute(sql["lock_tags"], {"tag_ids": used_tags})
        if cursor.fetchone()[0] != len(used_tags):
            raise IntegrityError("a tag of this batch was deleted meanwhile")
    if existing and (options.contact_list_id or used_tags):
        cursor.execute(sql["lock_existing"])
        if cursor.fetchone()[0] != existing:
            raise IntegrityError("a contact of this batch was deleted meanwhile")


_SEQUENCE: dict[str, str] = {}


def _sequence(connection) -> str:
    """The name of the contacts' id sequence (an identity column's own sequence)."""
    if connection.alias not in _SEQUENCE:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [_t(Contact)])
            _SEQUENCE[connection.alias] = cursor.fetchone()[0]
    return _SEQUENCE[connection.alias]
