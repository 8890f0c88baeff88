"""``QuerySet.move_to_trash()`` / ``restore_from_trash()`` go through the one trash service.

Contacts, sending and campaigns call the queryset method directly; these tests prove that
such a call trashes children, writes the audit row and checks the region exactly as
``trash_move`` does, and that restore and purge follow (policy P26).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mailsoftly.audit.models import AuditEntry
from mailsoftly.contacts.models import Contact, ContactTag, Subscription, Tag
from mailsoftly.contacts.services import contact_tags_set, contact_trash
from mailsoftly.core.regions import RegionMismatch
from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.services.trash import TrashError
from mailsoftly.sending.models import SmtpServer
from mailsoftly.sending.services import smtp_server_trash
from mailsoftly.teams.models import Membership
from tests.audit.helpers import audit_rows
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as travelling:
        yield travelling


@pytest.fixture
def contact(workspace):
    contact = ContactFactory(workspace=workspace, email="ada@example.com")
    for _ in range(2):
        SubscriptionFactory(contact=contact, contact_list=ContactListFactory(workspace=workspace))
    contact_tags_set(contact=contact, names=["vip", "beta"])
    return contact


def _audit(action: str) -> list[AuditEntry]:
    return sorted(audit_rows(action=action), key=lambda event: event.pk)


def test_contact_trash_takes_subscriptions_and_tags_and_writes_the_audit(
    traveller, workspace, user, contact
):
    contact_trash(contact=contact, by_user=user)

    assert not Contact.objects.for_workspace(workspace).exists()
    subs = Subscription.all_rows.for_workspace(workspace)
    links = ContactTag.all_rows.for_workspace(workspace)
    assert subs.count() == 2 and links.count() == 2
    assert {s.trashed_at for s in subs} == {START}
    assert {link.trashed_at for link in links} == {START}
    assert not Subscription.objects.for_workspace(workspace).exists()
    # The tags themselves are the workspace's, not the contact's: they stay.
    assert Tag.objects.for_workspace(workspace).count() == 2
    [event] = _audit("trash.move")
    assert (event.target_type, event.target_id) == ("contacts.contact", str(contact.pk))
    assert event.actor_id == user.pk and event.workspace_id == workspace.pk
    assert event.target_label == ""


def test_queryset_restore_brings_back_what_was_trashed_together(
    traveller, workspace, user, contact
):
    contact_trash(contact=contact, by_user=user)
    traveller.shift(timedelta(days=29))

    restored = (
        Contact.trashed.for_workspace(workspace)
        .filter(pk=contact.pk)
        .restore_from_trash(by_user_id=user.pk)
    )

    assert restored == 1
    assert Contact.objects.for_workspace(workspace).get() == contact
    assert Subscription.objects.for_workspace(workspace).count() == 2
    assert ContactTag.objects.for_workspace(workspace).count() == 2
    [event] = _audit("trash.restore")
    assert (event.target_type, event.target_id, event.actor_id) == (
        "contacts.contact",
        str(contact.pk),
        user.pk,
    )


def test_queryset_restore_refuses_expired_and_live_rows_with_a_message(
    traveller, workspace, user, contact
):
    with pytest.raises(TrashError, match="no longer in the trash"):
        Contact.all_rows.for_workspace(workspace).filter(pk=contact.pk).restore_from_trash()
    contact_trash(contact=contact, by_user=user)
    traveller.shift(timedelta(days=31))
    with pytest.raises(TrashError, match="more than 30 days"):
        Contact.trashed.for_workspace(workspace).filter(pk=contact.pk).restore_from_trash()
    assert Contact.trashed.for_workspace(workspace).count() == 1
    assert not _audit("trash.restore")


def test_purge_after_a_direct_contact_trash_removes_subscriptions_and_tag_links(
    traveller, workspace, user, contact
):
    contact_trash(contact=contact, by_user=user)
    traveller.shift(timedelta(days=31))

    result = services.trash_purge_due(region="us")

    assert result.deleted.get("contacts.contact") == 1
    assert not Contact.all_rows.for_workspace(workspace).exists()
    assert not Subscription.all_rows.for_workspace(workspace).exists()
    assert not ContactTag.all_rows.for_workspace(workspace).exists()
    assert Tag.objects.for_workspace(workspace).count() == 2
    assert any(e.target_type == "contacts.contact" for e in _audit("trash.purge"))


def test_smtp_server_trash_is_audited_and_restorable(traveller, workspace, user):
    server = SmtpServer.objects.for_workspace(workspace).create(
        workspace=workspace, name="Relay", host="smtp.example.com"
    )

    smtp_server_trash(server=server, by_user_id=user.pk)

    assert not SmtpServer.objects.for_workspace(workspace).exists()
    [event] = _audit("trash.move")
    assert (event.target_type, event.target_id) == ("sending.smtpserver", str(server.pk))
    assert event.actor_id == user.pk
    # The instance method goes the same way.
    trashed = SmtpServer.trashed.for_workspace(workspace).get()
    assert trashed.restore_from_trash(by_user_id=user.pk) == 1
    assert SmtpServer.objects.for_workspace(workspace).get() == server
    assert len(_audit("trash.restore")) == 1


def test_instance_move_to_trash_trashes_children(traveller, workspace, user, contact):
    assert contact.move_to_trash(by_user_id=user.pk) == 1
    assert not Subscription.objects.for_workspace(workspace).exists()
    assert Contact.trashed.for_workspace(workspace).get().trashed_by_id == user.pk


def test_trashing_twice_is_harmless_and_audited_once(workspace, user, contact):
    rows = Contact.all_rows.for_workspace(workspace).filter(pk=contact.pk)
    assert rows.move_to_trash(by_user_id=user.pk) == 1
    assert rows.move_to_trash(by_user_id=user.pk) == 0
    assert len(_audit("trash.move")) == 1


@pytest.mark.policy("P40")
def test_rows_in_the_wrong_region_database_are_refused(workspace, eu_workspace, user):
    # A row of the EU workspace planted in the US database by hand (update skips the guards).
    ContactFactory(workspace=workspace, email="eu@example.eu")
    Contact.all_rows.for_workspace(workspace).update(workspace_id=eu_workspace.pk)
    planted = Contact.all_rows.using("default").filter(workspace_id=eu_workspace.pk)
    with pytest.raises(RegionMismatch):
        planted.move_to_trash(by_user_id=user.pk)
    assert planted.get().trashed_at is None
    assert not _audit("trash.move")


def test_directory_memberships_keep_the_plain_update(workspace, user):
    # Memberships live in the directory and are not tenant rows: no trash service there.
    membership = Membership.objects.get(workspace=workspace, user=user)
    assert Membership.objects.filter(pk=membership.pk).move_to_trash(by_user_id=user.pk) == 1
    assert Membership.objects.filter(pk=membership.pk).restore_from_trash() == 1
    assert not _audit("trash.move")
