"""A Workspace loaded before a region move routes by the directory's region, not its own.

A task or a long-lived object may hold a workspace instance across a move. Its ``region``
attribute is then stale; reads and writes must still go to the region the workspace is in
now, and a write that would land in the old region is refused rather than misplaced.
"""

import pytest
from django.db import transaction

from mailsoftly.contacts.models import Contact
from mailsoftly.core.regions import RegionMismatch
from mailsoftly.residency import services
from mailsoftly.teams.models import Workspace
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.policy("P40")


@pytest.fixture
def moved(workspace):
    """``workspace`` as loaded before its move to the EU (still says "us")."""
    kept = ContactFactory(workspace=workspace, email="kept@example.com")
    stale = Workspace.objects.get(pk=workspace.pk)
    move = services.region_move_request(
        workspace=Workspace.objects.get(pk=workspace.pk), target="eu"
    )
    services.region_move_run(move_id=move.pk)
    assert Workspace.objects.get(pk=workspace.pk).region == "eu"
    assert stale.region == "us"  # the instance itself was not touched
    return stale, kept


def test_a_stale_workspace_reads_and_writes_in_its_new_region(moved):
    stale, kept = moved
    assert stale.database == "eu"
    assert list(Contact.objects.for_workspace(stale).values_list("pk", flat=True)) == [kept.pk]

    with transaction.atomic(using=stale.database):
        added = Contact.objects.for_workspace(stale).create(
            workspace=stale, email="new@example.com", email_key="new@example.com"
        )
    assert added._state.db == "eu"
    assert Contact.objects.dangerously_all_workspaces("eu").filter(pk=added.pk).exists()
    assert not Contact.all_rows.dangerously_all_workspaces("us").filter(workspace_id=stale.pk)


def test_a_write_routed_by_the_stale_region_is_refused_not_misplaced(moved):
    stale, _kept = moved
    orphan = Contact(workspace=stale, email="lost@example.com", email_key="lost@example.com")
    with pytest.raises(RegionMismatch, match="EU workspace"), transaction.atomic(using="default"):
        orphan.save(using="default")
    with pytest.raises(RegionMismatch), transaction.atomic(using="default"):
        Contact.objects.using("default").bulk_create([orphan])
    assert not Contact.all_rows.dangerously_all_workspaces("us").filter(workspace_id=stale.pk)
