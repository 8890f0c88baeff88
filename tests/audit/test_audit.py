from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from mailsoftly.audit.models import AppendOnlyError, AuditEvent
from mailsoftly.audit.services import audit_purge_expired, audit_record, retention
from mailsoftly.core import clock
from mailsoftly.teams.models import Membership, Role
from mailsoftly.teams.services import workspace_create
from tests.clients import signed_in
from tests.factories import UserFactory


def _request(user, workspace, ip="203.0.113.7", ua="Mozilla/5.0 (X11; Linux) Test"):
    request = RequestFactory().post("/x", REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    request.user = user
    request.workspace = workspace
    return request


@pytest.mark.policy("P36")
def test_audit_row_carries_actor_ip_user_agent_and_change(user, workspace):
    event = audit_record(
        request=_request(user, workspace),
        action="workspace.renamed",
        target=workspace,
        before={"name": "Old"},
        after={"name": "Acme"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.ip == "203.0.113.7"
    assert stored.user_agent == "Mozilla/5.0 (X11; Linux) Test"
    assert stored.actor_id == user.pk and stored.actor_label == user.username
    assert stored.workspace_id == workspace.pk
    assert stored.target_type == "teams.workspace" and stored.target_id == str(workspace.pk)
    assert (stored.before, stored.after) == ({"name": "Old"}, {"name": "Acme"})
    assert abs(stored.created_at - clock.now()) < timedelta(minutes=1)


@pytest.mark.policy("P36")
def test_ipv6_is_kept_and_garbage_address_is_dropped(user, workspace):
    assert audit_record(request=_request(user, workspace, ip="2001:db8::1"), action="x").ip == (
        "2001:db8::1"
    )
    assert audit_record(request=_request(user, workspace, ip="not-an-ip"), action="x").ip is None


def test_saved_row_cannot_be_updated(user, workspace):
    event = audit_record(actor=user, workspace=workspace, action="member.removed")
    event.action = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    assert AuditEvent.objects.get(pk=event.pk).action == "member.removed"


def test_rows_cannot_be_deleted_outside_the_retention_purge(user, workspace):
    event = audit_record(actor=user, workspace=workspace, action="member.removed")
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_retention_purge_deletes_only_expired_rows(user, workspace):
    with time_machine.travel(clock.now() - retention() - timedelta(days=1)):
        old = audit_record(actor=user, workspace=workspace, action="old")
    recent = audit_record(actor=user, workspace=workspace, action="recent")
    assert audit_purge_expired() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert audit_purge_expired() == 0


def test_admin_site_cannot_add_change_or_delete_audit_rows(rf, db):
    model_admin = site._registry[AuditEvent]
    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def _member(workspace, role=Role.MEMBER):
    other = UserFactory()
    Membership.objects.create(user=other, workspace=workspace, role=role)
    return other


@pytest.mark.policy("P36")
def test_admins_read_the_log_with_ip_and_members_are_refused(client, user, workspace):
    audit_record(request=_request(user, workspace), action="workspace.renamed", target=workspace)
    page = signed_in(client, user, workspace).get(reverse("audit:log"))
    assert page.status_code == 200
    assert "workspace.renamed" in page.content.decode()
    assert "203.0.113.7" in page.content.decode()
    admin = _member(workspace, Role.ADMIN)
    assert signed_in(client, admin, workspace).get(reverse("audit:log")).status_code == 200
    member = _member(workspace)
    assert signed_in(client, member, workspace).get(reverse("audit:log")).status_code == 403


def test_log_shows_only_the_current_workspace(logged_in_client, user, workspace):
    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Theirs")
    audit_record(actor=stranger, workspace=theirs, action="secret.thing")
    audit_record(actor=user, workspace=workspace, action="our.thing")
    page = logged_in_client.get(reverse("audit:log")).content.decode()
    assert "our.thing" in page and "secret.thing" not in page


def test_log_filters_by_action_actor_and_date(logged_in_client, user, workspace):
    other = _member(workspace, Role.ADMIN)
    audit_record(actor=user, workspace=workspace, action="member.removed")
    audit_record(actor=other, workspace=workspace, action="workspace.renamed")
    by_action = logged_in_client.get(reverse("audit:log"), {"action": "member.removed"})
    assert [e.action for e in by_action.context["page_obj"]] == ["member.removed"]
    by_actor = logged_in_client.get(reverse("audit:log"), {"actor": other.pk})
    assert [e.action for e in by_actor.context["page_obj"]] == ["workspace.renamed"]
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    future = logged_in_client.get(reverse("audit:log"), {"since": tomorrow})
    assert list(future.context["page_obj"]) == []


def test_log_is_paged(logged_in_client, user, workspace):
    for _ in range(55):
        audit_record(actor=user, workspace=workspace, action="bulk.thing")
    first = logged_in_client.get(reverse("audit:log"), {"action": "bulk.thing"})
    second = logged_in_client.get(reverse("audit:log"), {"action": "bulk.thing", "page": 2})
    assert len(first.context["page_obj"]) == 50
    assert len(second.context["page_obj"]) == 5
    assert "action=bulk.thing&amp;page=2" in first.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-13-45"},
        {"actor": "abc"},
        {"action": "no-such-action"},
        {"since": "2026-02-01", "until": "2026-01-01"},
        {"page": "zzz"},
    ],
)
def test_bad_filters_are_a_message_not_a_500(logged_in_client, params):
    response = logged_in_client.get(reverse("audit:log"), params)
    assert response.status_code == 200
    if set(params) - {"page"}:
        assert response.context["form"].errors


def test_the_database_itself_refuses_updates(user, workspace):
    from django.db import DatabaseError, connections, transaction

    event = audit_record(actor=user, workspace=workspace, action="member.removed")
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connections["default"].cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk]
        )
    assert AuditEvent.objects.get(pk=event.pk).action == "member.removed"


# --- Residency of audit rows (policy P40) ---------------------------------------------


def _audit_text(model, alias: str) -> str:
    """Every stored column of every row of an audit table, as one string."""
    import json

    rows = model._base_manager.using(alias).values()
    return json.dumps(list(rows), default=str)


@pytest.mark.policy("P40")
def test_an_eu_contacts_address_never_reaches_any_audit_table(user, eu_workspace):
    from mailsoftly.audit.models import RegionalAuditEvent
    from mailsoftly.contacts.models import Contact
    from mailsoftly.contacts.services import contact_trash
    from mailsoftly.designs.services import design_publish
    from mailsoftly.lifecycle import services
    from tests.contacts.factories import ContactFactory
    from tests.designs.factories import make_design

    address = "marie.curie@sorbonne.example.eu"
    contact = ContactFactory(workspace=eu_workspace, email=address, first_name="Marie")
    design = make_design(eu_workspace, user, name=f"Offer for {address}")
    request = _request(user, eu_workspace)

    # Every way a caller can point the log at the contact or the design.
    contact_trash(contact=contact, by_user=user)
    services.trash_restore(obj_or_queryset=contact, actor=user, request=request)
    services.trash_move(
        obj_or_queryset=Contact.objects.for_workspace(eu_workspace), actor=user, request=request
    )
    audit_record(request=request, action="contact.viewed", target=contact)
    audit_record(request=request, action="contact.noted", target=("contacts.contact", 1, address))
    design_publish(design=design, user=user)

    # Content entries are kept in the EU, with the id of what they touched but no label.
    events = list(RegionalAuditEvent.objects.for_workspace(eu_workspace))
    assert len(events) >= 6
    assert {e.target_type for e in events} >= {"contacts.contact", "designs.design"}
    eu_text = _audit_text(RegionalAuditEvent, "eu")
    assert str(contact.pk) in eu_text
    assert address not in eu_text and "marie.curie" not in eu_text
    # And nothing of them in the US database, in either audit table.
    assert not AuditEvent.objects.filter(workspace_id=eu_workspace.pk).exclude(
        target_type="teams.workspace"
    )
    for model in (AuditEvent, RegionalAuditEvent):
        us_text = _audit_text(model, "default")
        assert address not in us_text and str(contact.pk) not in us_text


def test_the_log_names_a_content_target_by_its_kind_and_id(logged_in_client, user, workspace):
    from mailsoftly.lifecycle import services
    from tests.contacts.factories import ContactFactory

    contact = ContactFactory(workspace=workspace, email="ann@example.org")
    services.trash_move(obj_or_queryset=contact, actor=user)
    page = logged_in_client.get(reverse("audit:log")).content.decode()
    assert f"contact #{contact.pk}" in page
    assert "ann@example.org" not in page


def test_directory_targets_keep_their_readable_label(user, workspace):
    event = audit_record(action="workspace.renamed", target=workspace)
    assert event.target_label == "Acme"
    newsletter = audit_record(action="newsletter.send", target=("newsletter", "-", "Spring"))
    assert newsletter.target_label == "Spring"


# --- IP addresses kept for a limited time (issue: retention of IP-bearing logs) --------


def test_ip_and_user_agent_are_forgotten_after_90_days_and_the_row_stays(user, workspace):
    from mailsoftly.audit.services import audit_anonymise_expired, ip_retention
    from mailsoftly.audit.tasks import audit_purge_expired_task

    assert ip_retention() == timedelta(days=90)
    with time_machine.travel("2026-01-01 12:00Z", tick=False) as traveller:
        old = audit_record(request=_request(user, workspace), action="member.removed")
        traveller.shift(timedelta(days=2))
        recent = audit_record(request=_request(user, workspace), action="member.restored")
        traveller.shift(timedelta(days=89))  # old: 91 days, recent: 89 days

        assert audit_purge_expired_task() == 1
        assert audit_anonymise_expired() == 0  # a second run has nothing left to forget

    old, recent = AuditEvent.objects.get(pk=old.pk), AuditEvent.objects.get(pk=recent.pk)
    assert (old.ip, old.user_agent) == (None, "")
    assert (old.action, old.actor_id, old.workspace_id) == ("member.removed", user.pk, workspace.pk)
    assert recent.ip == "203.0.113.7" and recent.user_agent.startswith("Mozilla")


def test_the_ip_retention_is_configurable(user, workspace, settings):
    from mailsoftly.audit.services import audit_anonymise_expired

    settings.AUDIT_IP_RETENTION_DAYS = 7
    with time_machine.travel("2026-01-01 12:00Z", tick=False) as traveller:
        event = audit_record(request=_request(user, workspace), action="x")
        traveller.shift(timedelta(days=8))
        assert audit_anonymise_expired() == 1
    assert AuditEvent.objects.get(pk=event.pk).ip is None


def test_forgetting_the_ip_is_the_only_update_the_database_allows(user, workspace):
    from django.db import DatabaseError, connections, transaction

    event = audit_record(request=_request(user, workspace), action="member.removed")
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET ip = NULL, user_agent = '' WHERE id = %s", [event.pk]
        )
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connections["default"].cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditevent SET ip = NULL, user_agent = '', action = %s WHERE id = %s",
            ["forged", event.pk],
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.ip, stored.user_agent, stored.action) == (None, "", "member.removed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(ip=None, user_agent="")
