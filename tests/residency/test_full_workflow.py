"""The whole workflow in an EU workspace, then a scan of the US side (issue 12, policy P40).

Import contacts → design → send to a real SMTP server (aiosmtpd) → open → click → export →
trash → restore → purge, each through the owning app's services and endpoints. Then every
table of the US database is read with plain SQL, every value of every row, and so is every
log record: none may hold an EU contact's address, the EU content, or the id of any EU row
(EU ids come from the EU id band, so a match is never a coincidence with a US id).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import TestCase
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent, RegionalAuditEvent
from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery
from mailsoftly.contacts import imports
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.importing.mapping import custom_key_index, mapping_guess
from mailsoftly.contacts.models import Contact, CustomField
from mailsoftly.core.integrity import dangling_references
from mailsoftly.core.logging import HomeRegionFilter, JsonFormatter
from mailsoftly.core.region_ids import ID_BAND
from mailsoftly.designs import services as design_services
from mailsoftly.lifecycle import services as lifecycle
from mailsoftly.lifecycle.models import ExportJob
from mailsoftly.ops import usage
from mailsoftly.residency import engine
from mailsoftly.sending import services as sending_services
from mailsoftly.tracking.models import Event
from mailsoftly.tracking.recorder import drain
from tests.clients import signed_in

pytestmark = pytest.mark.policy("P40")

EMAILS = ["zephyrine.ann@eu-resident.example", "zephyrine.bo@eu-resident.example"]
CONTENT = ["Zephyrine", "Zephyr autumn offer", "zephyr-offer", "Zephyr newsletter list"]
HTML = (
    "<html><body><p>Hello {{ contact.first_name }}, the Zephyr autumn offer is here.</p>"
    '<p><a href="https://shop.example/zephyr-offer">See it</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)
HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130"


def _eu_ids(workspace_id: int) -> set[int]:
    """The id of every row the EU workspace has in the EU database."""
    ids = set()
    connection = connections["eu"]
    with connection.cursor() as cursor:
        for model in engine.regional_models():
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            # Names from model metadata, quoted; the id is a parameter.
            cursor.execute(f"SELECT {pk} FROM {table} WHERE workspace_id = %s", [workspace_id])  # noqa: S608
            ids.update(row[0] for row in cursor.fetchall())
    return ids


def _us_findings(needles: list[str], ids: set[int]) -> tuple[list[str], list[str]]:
    """Values in the US database that hold a needle, and those that hold an EU row's id."""
    connection = connections["default"]
    id_pattern = re.compile(r"(?<!\d)(" + "|".join(str(i) for i in sorted(ids)) + r")(?!\d)")
    lowered = [needle.lower() for needle in needles]
    findings, id_findings = [], []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table == "teams_workspace":
                continue  # the directory's index row: name and region, by design
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (
                        bytes(value).decode("utf-8", "replace")
                        if isinstance(value, bytes | memoryview)
                        else str(value)
                    )
                    if any(needle in text.lower() for needle in lowered):
                        findings.append(f"{table}.{column}: {text[:120]!r}")
                    elif ids and id_pattern.search(text):
                        id_findings.append(f"{table}.{column}")
    return findings, id_findings


class _SideLog(logging.Handler):
    """What one side's log would hold: the formatted lines that pass ``filter_``, decided
    when they are logged (the region a line is about is known only then)."""

    def __init__(self, filter_: logging.Filter) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(filter_)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def us_side_log(settings, tmp_path):
    """The US side's stream (the directory region's: what the console handler passes),
    collected at DEBUG; EU lines go to the EU region's log file under ``tmp_path``."""
    settings.MAILSOFTLY_REGION_LOG_ROOT = tmp_path / "logs"
    side = _SideLog(HomeRegionFilter())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(side)
    yield side
    root.removeHandler(side)
    root.setLevel(level)


def test_a_full_eu_workflow_leaves_nothing_in_the_us(
    eu_workspace,
    user,
    client,
    smtp_server,
    caplog,
    us_side_log,
    django_capture_on_commit_callbacks,
    settings,
    _regional_media,
):
    caplog.set_level(logging.DEBUG)
    workspace = eu_workspace
    capture = django_capture_on_commit_callbacks

    # 1. Import contacts into a new list.
    newsletter = contact_services.contact_list_create(
        workspace=workspace, name="Zephyr newsletter list"
    )
    csv = "email,first_name\n" + "".join(f"{e},Zephyrine\n" for e in EMAILS)
    job = imports.contact_import_upload(
        workspace=workspace, uploaded_file=SimpleUploadedFile("zephyr.csv", csv.encode())
    )
    header, _ = imports.contact_import_preview(contact_import=job)
    mapping = mapping_guess(
        header=header, custom_keys=custom_key_index(CustomField.objects.for_workspace(workspace))
    )
    with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
        imports.contact_import_start(
            contact_import=job, mapping=mapping, mode="add", contact_list=newsletter
        )
    assert sorted(Contact.objects.for_workspace(workspace).values_list("email", flat=True)) == (
        sorted(EMAILS)
    )

    # 2. A design.
    design = design_services.design_create(
        workspace=workspace,
        user=user,
        name="Zephyr autumn offer",
        source_kind="html",
        source=HTML,
        subject="Zephyr autumn offer for {{ contact.first_name }}",
    )

    # 3. Send it through a real SMTP server.
    smtp_server.relay_for(workspace)
    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Zephyr shop", from_email="news@shop.example"
    )
    campaign = campaign_services.campaign_create(
        workspace=workspace,
        name="Zephyr autumn offer",
        design=design,
        sender=sender,
        list_ids=[newsletter.pk],
    )
    with capture(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert campaign.status == CampaignStatus.SENT
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(EMAILS)

    # 4. Open and click, through the links in the message as received.
    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    base = re.escape(settings.BASE_URL)
    open_path = re.search(base + r"(/o/[^\"'\s]+)", html).group(1)
    click_path = re.search(base + r"(/c/[^\"'\s]+)", html).group(1)
    Delivery.objects.for_workspace(workspace).update(
        sent_at=campaign.finished_at - dt.timedelta(minutes=10)
    )
    assert client.get(open_path, HTTP_USER_AGENT=HUMAN_UA).status_code == 200
    clicked = client.get(click_path, HTTP_USER_AGENT=HUMAN_UA)
    assert clicked.status_code == 302
    assert clicked["Location"] == "https://shop.example/zephyr-offer"
    drain()
    kinds = set(Event.objects.for_workspace(workspace).values_list("kind", flat=True))
    assert {"open", "click"} <= kinds

    # 5. Export everything.
    with capture(execute=True, using=workspace.database):
        export = lifecycle.export_request(workspace=workspace, actor=user, format="csv")
    export = ExportJob.objects.for_workspace(workspace).get(pk=export.pk)
    assert export.file.name.startswith("eu/")

    # 6. Trash, restore, trash again and purge after 30 days.
    contact = Contact.objects.for_workspace(workspace).get(email=EMAILS[0])
    lifecycle.trash_move(obj_or_queryset=contact, actor=user)
    lifecycle.trash_restore(
        obj_or_queryset=Contact.trashed.for_workspace(workspace).filter(pk=contact.pk), actor=user
    )
    assert Contact.objects.for_workspace(workspace).filter(pk=contact.pk).exists()
    lifecycle.trash_move(obj_or_queryset=contact, actor=user)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        lifecycle.trash_purge_due(region="eu")
    assert not Contact.all_rows.for_workspace(workspace).filter(pk=contact.pk).exists()
    # The purge left no row pointing at the purged contact (its child tables have no
    # database constraint), nor any regional row without its directory workspace.
    assert dangling_references() == []

    # 7. A member looks at the remaining contact's page (request and usage logs).
    remaining = Contact.objects.for_workspace(workspace).get()
    page = signed_in(client, user, workspace).get(
        reverse("contacts:contact_detail", args=[remaining.pk])
    )
    assert page.status_code == 200
    usage.usage_flush()

    # The scan: nothing of the EU workspace on the US side.
    ids = _eu_ids(workspace.pk) | {contact.pk}
    assert ids and min(ids) > ID_BAND  # every EU row id is in the EU band
    findings, id_findings = _us_findings(EMAILS + CONTENT, ids)
    assert not findings, "\n".join(findings)
    # No EU row id anywhere in the US database, the audit tables included: entries about
    # the EU workspace's content (import, export, trash, restore, purge) are kept in the EU.
    assert not id_findings, "\n".join(id_findings)
    content_entries = RegionalAuditEvent.objects.for_workspace(workspace)
    assert {"export.requested", "trash.move", "trash.restore", "trash.purge"} <= set(
        content_entries.values_list("action", flat=True)
    )
    us_entries = [
        RegionalAuditEvent.objects.dangerously_all_workspaces("us").filter(
            workspace_id=workspace.pk
        ),
        AuditEvent.objects.filter(workspace_id=workspace.pk).exclude(target_type="teams.workspace"),
    ]
    assert not any(rows.exists() for rows in us_entries)
    # Files: the export is in the EU tree; the US tree holds nothing.
    assert [p for p in _regional_media["eu"].rglob("*") if p.is_file()]
    assert not [p for p in _regional_media["us"].rglob("*") if p.is_file()]
    # Everything the platform logged (aiosmtpd's "mail.log" is the receiving server's).
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name.startswith("mailsoftly") for r in caplog.records)
    leaks = [
        line
        for line in logged
        if any(needle.lower() in line.lower() for needle in EMAILS + CONTENT)
    ]
    assert not leaks, "\n".join(leaks)
    # The US side's log stream: no EU address, content or row id in any line, fields and
    # tracebacks included. (aiosmtpd's "mail.log" is the receiving server's, not ours.)
    id_pattern = re.compile(r"(?<!\d)(" + "|".join(str(i) for i in sorted(ids)) + r")(?!\d)")
    ours = [line for line in us_side_log.lines if '"logger": "mail.log' not in line]
    assert ours, "the US side logged nothing at all: the check would prove nothing"
    us_leaks = [
        line
        for line in ours
        if id_pattern.search(line) or any(n.lower() in line.lower() for n in EMAILS + CONTENT)
    ]
    assert not us_leaks, "\n".join(us_leaks)
    # The EU lines were kept, in the EU region's own log.
    eu_log = settings.MAILSOFTLY_REGION_LOG_ROOT / "eu" / "logs" / "mailsoftly.log"
    assert f"campaign {campaign.pk}:" in eu_log.read_text()
