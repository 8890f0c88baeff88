"""The integrity check finds rows whose unconstrained reference points at nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from mailsoftly.contacts.models import Contact, ContactEvent, Subscription
from mailsoftly.core.integrity import dangling_references
from mailsoftly.teams.models import Membership, Workspace
from tests.campaigns.helpers import make_list


def test_a_clean_database_has_no_dangling_references(workspace, eu_workspace, capsys):
    make_list(workspace, [("ann@example.org", "Ann")])
    make_list(eu_workspace, [("eva@example.eu", "Eva")])
    assert dangling_references() == []
    call_command("integrity_check")
    assert "no dangling references" in capsys.readouterr().out


def test_a_subscription_whose_contact_was_deleted_behind_the_orms_back_is_found(workspace):
    """The contacts' child tables have no foreign-key constraint (import speed)."""
    _list, (ann,) = make_list(workspace, [("ann@example.org", "Ann")])
    subscription = Subscription.all_rows.for_workspace(workspace).get(contact=ann)
    # A raw delete skips Django's cascade, as a hand-written SQL DELETE would. (The
    # timeline's rows keep their constraint, so they go first.)
    database = Contact.all_rows.for_workspace(workspace).db
    ContactEvent.all_rows.for_workspace(workspace).filter(contact=ann)._raw_delete(database)
    Contact.all_rows.for_workspace(workspace).filter(pk=ann.pk)._raw_delete(database)
    (finding,) = [f for f in dangling_references() if f.model == "contacts.Subscription"]
    assert (finding.field, finding.target, finding.count) == ("contact", "contacts.Contact", 1)
    assert finding.sample == (subscription.pk,)
    with pytest.raises(CommandError, match="dangling reference"):
        call_command("integrity_check")


def test_regional_rows_of_a_workspace_missing_from_the_directory_are_found(eu_workspace):
    make_list(eu_workspace, [("eva@example.eu", "Eva")])
    # Behind the ORM's back, as a faulty purge would; the directory's own rows go first.
    Membership.objects.filter(workspace=eu_workspace)._raw_delete("default")
    Workspace.objects.filter(pk=eu_workspace.pk)._raw_delete("default")
    found = {(f.database, f.model, f.field) for f in dangling_references(databases=["eu"])}
    assert ("eu", "contacts.Contact", "workspace") in found
    assert all(database == "eu" for database, _, _ in found)
