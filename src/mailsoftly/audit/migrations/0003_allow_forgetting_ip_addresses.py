"""The database still refuses every UPDATE of an audit row but one: forgetting the IP
address and user agent (both set empty, every other column unchanged). The scheduled
anonymisation does that once a row is older than AUDIT_IP_RETENTION_DAYS (default 90)."""

from django.db import migrations

_SAME = [
    "id",
    "actor_id",
    "actor_label",
    "workspace_id",
    "created_at",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
]

SQLITE_UP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only;",
    """
CREATE TRIGGER audit_auditevent_append_only
BEFORE UPDATE ON audit_auditevent
WHEN NOT (NEW.ip IS NULL AND NEW.user_agent = '' AND """
    + " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in _SAME)
    + """)
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only;",
    """
CREATE TRIGGER audit_auditevent_append_only
BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
""",
]

POSTGRES_UP = [
    """
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_update() RETURNS trigger AS $$
BEGIN
    IF NEW.ip IS NULL AND NEW.user_agent = '' AND """
    + " AND ".join(f'NEW."{c}" IS NOT DISTINCT FROM OLD."{c}"' for c in _SAME)
    + """ THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only';
END;
$$ LANGUAGE plpgsql;
"""
]
POSTGRES_DOWN = [
    """
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only';
END;
$$ LANGUAGE plpgsql;
"""
]


def _run(statements: dict):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        # The table only exists where the router put it (the directory database).
        if "audit_auditevent" not in connection.introspection.table_names():
            return
        with connection.cursor() as cursor:
            for sql in statements.get(connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_refuse_updates_in_the_database")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
