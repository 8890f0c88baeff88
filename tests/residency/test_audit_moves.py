"""A region move carries the workspace's content audit entries (issue 12, policy P40)."""

import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent, RegionalAuditEvent
from mailsoftly.audit.services import audit_record
from mailsoftly.lifecycle import services as lifecycle
from mailsoftly.residency import services
from mailsoftly.residency.models import MoveState
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.policy("P40")


def test_content_entries_are_copied_verified_and_purged_with_the_workspace(client, workspace, user):
    contact = ContactFactory(workspace=workspace)
    lifecycle.trash_move(obj_or_queryset=contact, actor=user)
    audit_record(actor=user, workspace=workspace, action="contact.viewed", target=contact)
    before = {
        e.pk: (e.action, e.target_id, e.created_at)
        for e in RegionalAuditEvent.objects.for_workspace(workspace)
    }
    assert {action for action, *_ in before.values()} == {"trash.move", "contact.viewed"}

    move = services.region_move_request(workspace=workspace, target="eu", actor=user)
    move = services.region_move_run(move_id=move.pk)
    assert move.state == MoveState.DONE
    assert "audit_regionalauditevent" in move.report
    assert move.report["audit_regionalauditevent"]["rows"] == len(before)

    workspace.refresh_from_db()
    after = {
        e.pk: (e.action, e.target_id, e.created_at)
        for e in RegionalAuditEvent.objects.for_workspace(workspace)
    }
    assert workspace.database == "eu" and after == before  # same ids, same rows
    assert not RegionalAuditEvent.objects.dangerously_all_workspaces("us").filter(
        workspace_id=workspace.pk
    )
    # The move itself is an administration entry: in the directory.
    assert AuditEvent.objects.filter(workspace=workspace, action="workspace.region_moved")

    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    page = client.get(reverse("audit:log"))
    actions = [e.action for e in page.context["page_obj"]]
    assert {"trash.move", "contact.viewed", "workspace.region_moved"} <= set(actions)
