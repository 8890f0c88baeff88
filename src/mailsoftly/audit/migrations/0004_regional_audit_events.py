"""Audit entries about a workspace's content live in its region's database (policy P40).

The new table gets the same database guard as the directory's (0002, 0003): every UPDATE
is refused but forgetting the IP address and user agent. The table is regional, so the
guard is installed in every region database the migration runs on (the hints tell the
router which model this is about).
"""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "audit_regionalauditevent"
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
    f"""
CREATE TRIGGER IF NOT EXISTS {TABLE}_append_only
BEFORE UPDATE ON {TABLE}
WHEN NOT (NEW.ip IS NULL AND NEW.user_agent = '' AND """
    + " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in _SAME)
    + """)
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
""",
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {TABLE}_append_only;"]

POSTGRES_UP = [
    f"""
CREATE OR REPLACE FUNCTION {TABLE}_refuse_update() RETURNS trigger AS $$
BEGIN
    IF NEW.ip IS NULL AND NEW.user_agent = '' AND """
    + " AND ".join(f'NEW."{c}" IS NOT DISTINCT FROM OLD."{c}"' for c in _SAME)
    + """ THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only';
END;
$$ LANGUAGE plpgsql;
""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    f"""
CREATE TRIGGER {TABLE}_append_only
BEFORE UPDATE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse_update();
""",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    f"DROP FUNCTION IF EXISTS {TABLE}_refuse_update();",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if TABLE not in connection.introspection.table_names():
            return
        with connection.cursor() as cursor:
            for sql in statements.get(connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_allow_forgetting_ip_addresses'),
        ('teams', '0002_members_trash_invitations_domains_billing'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RegionalAuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('actor_label', models.CharField(blank=True, max_length=254, verbose_name='actor')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('user_agent', models.CharField(blank=True, max_length=512, verbose_name='user agent')),
                ('created_at', models.DateTimeField(db_index=True, verbose_name='time')),
                ('action', models.CharField(db_index=True, max_length=64, verbose_name='action')),
                ('target_type', models.CharField(blank=True, max_length=64, verbose_name='target type')),
                ('target_id', models.CharField(blank=True, max_length=64, verbose_name='target id')),
                ('target_label', models.CharField(blank=True, max_length=254, verbose_name='target')),
                ('before', models.JSONField(blank=True, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True, verbose_name='before')),
                ('after', models.JSONField(blank=True, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True, verbose_name='after')),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('workspace', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='teams.workspace', verbose_name='workspace')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'abstract': False,
                'default_permissions': ('view',),
                'indexes': [models.Index(fields=['workspace', '-created_at'], name='audit_regional_ws_time')],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
            hints={"model_name": "regionalauditevent"},
        ),
    ]
