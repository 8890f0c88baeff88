"""Audit entries about a workspace's content live in its region (issue 12, policy P40).

Administration entries (members, roles, the workspace itself) stay in the directory; the
audit log page reads both tables as one log.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connections, transaction
from django.urls import reverse

from mailsoftly.audit.models import AppendOnlyError, AuditEvent, RegionalAuditEvent
from mailsoftly.audit.services import audit_record, retention
from mailsoftly.audit.tasks import audit_purge_expired_task
from mailsoftly.core import clock
from mailsoftly.residency.models import MoveState, RegionMove
from tests.clients import signed_in
from tests.contacts.factories import ContactFactory


@pytest.mark.policy("P40")
def test_a_content_entry_goes_to_the_workspaces_region_and_an_admin_entry_to_the_directory(
    user, eu_workspace
):
    contact = ContactFactory(workspace=eu_workspace)
    content = audit_record(actor=user, workspace=eu_workspace, action="x.seen", target=contact)
    admin = audit_record(
        actor=user, workspace=eu_workspace, action="x.renamed", target=eu_workspace
    )

    assert isinstance(content, RegionalAuditEvent) and content._state.db == "eu"
    assert RegionalAuditEvent.objects.for_workspace(eu_workspace).get().pk == content.pk
    assert not RegionalAuditEvent.objects.dangerously_all_workspaces("us").exists()
    assert (content.target_type, content.target_id) == ("contacts.contact", str(contact.pk))
    assert content.actor_id == user.pk and content.actor_label == user.username

    assert isinstance(admin, AuditEvent) and admin._state.db == "default"
    assert list(AuditEvent.objects.filter(workspace=eu_workspace, action__startswith="x.")) == [
        admin
    ]


def test_a_content_entry_without_a_workspace_takes_its_targets(user, eu_workspace):
    contact = ContactFactory(workspace=eu_workspace)
    event = audit_record(actor=user, action="x.seen", target=contact)
    assert isinstance(event, RegionalAuditEvent)
    assert event.workspace_id == eu_workspace.pk and event._state.db == "eu"


def test_regional_entries_are_append_only_in_the_model_and_the_database(user, eu_workspace):
    event = audit_record(
        actor=user,
        workspace=eu_workspace,
        action="x.seen",
        target=ContactFactory(workspace=eu_workspace),
    )
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    rows = RegionalAuditEvent.objects.for_workspace(eu_workspace)
    with pytest.raises(AppendOnlyError):
        rows.update(action="forged")
    with pytest.raises(AppendOnlyError):
        rows.delete()
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(using="eu"),
        connections["eu"].cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_regionalauditevent SET action = %s WHERE id = %s", ["forged", event.pk]
        )
    assert rows.get().action == "x.seen"


def test_the_log_page_merges_both_tables_newest_first_with_filters_and_pages(
    client, user, eu_workspace
):
    contact = ContactFactory(workspace=eu_workspace)
    with time_machine.travel(clock.now() - timedelta(hours=2), tick=False) as traveller:
        for _ in range(30):
            traveller.shift(timedelta(seconds=10))
            audit_record(
                actor=user, workspace=eu_workspace, action="admin.thing", target=eu_workspace
            )
            traveller.shift(timedelta(seconds=10))
            audit_record(actor=user, workspace=eu_workspace, action="content.thing", target=contact)
    signed_in(client, user, eu_workspace)

    first = client.get(reverse("audit:log"))
    second = client.get(reverse("audit:log"), {"page": 2})
    shown = list(first.context["page_obj"]) + list(second.context["page_obj"])
    ours = [e for e in shown if e.action in ("admin.thing", "content.thing")]
    assert len(ours) == 60
    # Newest first, alternating between the two tables as they were written.
    assert [e.action for e in ours[:4]] == ["content.thing", "admin.thing"] * 2
    assert [e.created_at for e in shown] == sorted((e.created_at for e in shown), reverse=True)
    assert len(first.context["page_obj"]) == 50

    content = client.get(reverse("audit:log"), {"action": "content.thing"})
    assert [e.action for e in content.context["page_obj"]] == ["content.thing"] * 30
    assert "content.thing" in [c[0] for c in content.context["form"].fields["action"].choices]
    page = content.content.decode()
    assert str(contact.pk) in page and contact.email not in page


@pytest.mark.policy("P40")
def test_the_retention_purge_reaches_every_regions_entries(user, workspace, eu_workspace):
    with time_machine.travel(clock.now() - retention() - timedelta(days=1)):
        old_eu = audit_record(
            actor=user,
            workspace=eu_workspace,
            action="old",
            target=ContactFactory(workspace=eu_workspace),
        )
        old_us = audit_record(
            actor=user,
            workspace=workspace,
            action="old",
            target=ContactFactory(workspace=workspace),
        )
        old_admin = audit_record(actor=user, workspace=workspace, action="old")
    recent = audit_record(
        actor=user,
        workspace=eu_workspace,
        action="new",
        target=ContactFactory(workspace=eu_workspace),
    )

    audit_purge_expired_task()  # fans out one run per region (eager in tests)

    assert not RegionalAuditEvent.objects.for_workspace(eu_workspace).filter(pk=old_eu.pk).exists()
    assert not RegionalAuditEvent.objects.for_workspace(workspace).filter(pk=old_us.pk).exists()
    assert not AuditEvent.objects.filter(pk=old_admin.pk).exists()
    assert RegionalAuditEvent.objects.for_workspace(eu_workspace).filter(pk=recent.pk).exists()


def test_the_retention_purge_leaves_a_moving_workspaces_entries_for_later(user, eu_workspace):
    with time_machine.travel(clock.now() - retention() - timedelta(days=1)):
        old = audit_record(
            actor=user,
            workspace=eu_workspace,
            action="old",
            target=ContactFactory(workspace=eu_workspace),
        )
    move = RegionMove.objects.create(
        workspace=eu_workspace, source="eu", target="us", state=MoveState.COPYING
    )
    assert audit_purge_expired_task(region="eu") == 0
    assert RegionalAuditEvent.objects.for_workspace(eu_workspace).filter(pk=old.pk).exists()

    RegionMove.objects.filter(pk=move.pk).update(state=MoveState.ROLLED_BACK)
    assert audit_purge_expired_task(region="eu") == 1
    assert not RegionalAuditEvent.objects.for_workspace(eu_workspace).exists()
