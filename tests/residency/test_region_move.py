"""Moving a workspace between regions: copy, verify, switch, purge (issue 12, policy P40)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections, transaction

from mailsoftly.contacts.models import Contact
from mailsoftly.core.region_ids import ID_BAND
from mailsoftly.core.regions import WorkspaceReadOnly
from mailsoftly.lifecycle import services as lifecycle
from mailsoftly.residency import engine, services
from mailsoftly.residency.models import MoveState, RegionMove
from mailsoftly.teams.models import Workspace
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory
from tests.lifecycle.factories import ExportJobFactory

pytestmark = pytest.mark.policy("P40")


def _rows(alias: str, workspace_id: int) -> dict[str, int]:
    """Rows of the workspace in every regional table of ``alias``, read with plain SQL."""
    counts = {}
    connection = connections[alias]
    with connection.cursor() as cursor:
        for model in engine.regional_models():
            table = connection.ops.quote_name(model._meta.db_table)
            # Table names come from model metadata and are quoted; the id is a parameter.
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE workspace_id = %s", [workspace_id])  # noqa: S608
            count = cursor.fetchone()[0]
            if count:
                counts[model._meta.db_table] = count
    return counts


@pytest.fixture
def filled(workspace, user):
    contacts = [ContactFactory(workspace=workspace, email=f"move{n}@example.com") for n in range(3)]
    newsletter = ContactListFactory(workspace=workspace)
    for contact in contacts:
        SubscriptionFactory(contact=contact, contact_list=newsletter)
    lifecycle.trash_move(obj_or_queryset=contacts[2], actor=user)  # trashed rows move too
    job = ExportJobFactory(workspace=workspace, content=b"email\nmove0@example.com\n")
    return {"contacts": contacts, "job": job}


def _move(workspace, target="eu", user=None) -> RegionMove:
    move = services.region_move_request(workspace=workspace, target=target, actor=user)
    return services.region_move_run(move_id=move.pk)


def test_each_region_numbers_its_rows_in_its_own_id_band(workspace, eu_workspace):
    us = ContactFactory(workspace=workspace)
    eu = ContactFactory(workspace=eu_workspace)
    assert 0 < us.pk <= ID_BAND
    assert ID_BAND < eu.pk <= 2 * ID_BAND


def test_a_workspace_moves_to_the_eu_with_every_row_id_and_file(filled, workspace, user, tmp_path):
    before = _rows("default", workspace.pk)
    assert before["contacts_contact"] == 3
    ids = sorted(Contact.all_rows.for_workspace(workspace).values_list("pk", flat=True))
    us_file = tmp_path / "us" / filled["job"].file.name.removeprefix("us/")
    assert us_file.is_file()

    move = _move(workspace, user=user)

    assert move.state == MoveState.DONE
    assert move.verified_at and move.switched_at and move.finished_at
    assert move.percent == 100
    assert move.report["contacts_contact"]["rows"] == 3
    assert len(move.report["contacts_contact"]["checksum"]) == 64
    workspace.refresh_from_db()
    assert workspace.region == "eu"
    # Everything is in the EU, nothing is left in the US.
    assert _rows("eu", workspace.pk) == before
    assert _rows("default", workspace.pk) == {}
    assert sorted(Contact.all_rows.for_workspace(workspace).values_list("pk", flat=True)) == ids
    assert Contact.trashed.for_workspace(workspace).count() == 1
    job = type(filled["job"]).all_rows.for_workspace(workspace).get()
    assert job.file.name.startswith("eu/")
    assert job.file.read() == b"email\nmove0@example.com\n"
    assert not us_file.exists()
    # Services work on the moved workspace as before.
    ContactFactory(workspace=workspace, email="after@example.com")
    assert Contact.objects.for_workspace(workspace).count() == 3


def test_a_workspace_moves_back_from_the_eu(eu_workspace, user):
    ContactFactory(workspace=eu_workspace, email="home@example.com")
    before = _rows("eu", eu_workspace.pk)
    move = _move(eu_workspace, target="us", user=user)
    assert move.state == MoveState.DONE
    assert _rows("default", eu_workspace.pk) == before
    assert _rows("eu", eu_workspace.pk) == {}
    eu_workspace.refresh_from_db()
    new_id = ContactFactory(workspace=eu_workspace).pk
    assert Contact.objects.for_workspace(eu_workspace).get(pk=new_id)._state.db == "default"
    if connections["default"].vendor == "postgresql":
        # PostgreSQL keeps numbering the US rows in the US band after taking EU ids.
        assert new_id <= ID_BAND
    else:
        # SQLite's AUTOINCREMENT continues above the largest id present (documented).
        assert new_id > ID_BAND


def test_a_copy_interrupted_midway_leaves_nothing_in_the_target_and_resumes(
    filled, workspace, monkeypatch
):
    before = _rows("default", workspace.pk)
    real = engine.copy_table
    calls = []

    def crash_on_third(model, **kwargs):
        calls.append(model)
        if len(calls) == 3:
            raise DatabaseError("server closed the connection unexpectedly")
        return real(model, **kwargs)

    monkeypatch.setattr(engine, "copy_table", crash_on_third)
    move = services.region_move_request(workspace=workspace, target="eu")
    with pytest.raises(DatabaseError):
        services.region_move_run(move_id=move.pk)
    move.refresh_from_db()
    assert move.state == MoveState.COPYING
    assert "Interrupted" in move.error
    assert _rows("eu", workspace.pk) == {}  # the copy is one transaction: rolled back
    assert _rows("default", workspace.pk) == before
    workspace.refresh_from_db()
    assert workspace.region == "us"
    # Read-only until the move ends.
    with pytest.raises(WorkspaceReadOnly, match="moving from region US to EU"):
        ContactFactory(workspace=workspace)

    monkeypatch.setattr(engine, "copy_table", real)
    move = services.region_move_run(move_id=move.pk)
    assert move.state == MoveState.DONE
    assert move.attempts == 2
    assert _rows("eu", workspace.pk) == before
    assert _rows("default", workspace.pk) == {}


def test_a_purge_interrupted_after_the_switch_finishes_on_resume(filled, workspace, monkeypatch):
    before = _rows("default", workspace.pk)
    real = engine.delete_workspace

    def crash(**kwargs):
        raise OSError("disk went away")

    monkeypatch.setattr(engine, "delete_workspace", crash)
    move = services.region_move_request(workspace=workspace, target="eu")
    with pytest.raises(OSError, match="disk went away"):
        services.region_move_run(move_id=move.pk)
    move.refresh_from_db()
    assert move.state == MoveState.PURGING
    workspace.refresh_from_db()
    assert workspace.region == "eu"  # verified and switched: the EU copy is the data now
    assert _rows("eu", workspace.pk) == before == _rows("default", workspace.pk)

    monkeypatch.setattr(engine, "delete_workspace", real)
    assert services.region_move_run(move_id=move.pk).state == MoveState.DONE
    assert _rows("default", workspace.pk) == {}


def test_a_failed_verification_rolls_back_and_never_purges(filled, workspace, monkeypatch):
    before = _rows("default", workspace.pk)
    real = engine.table_sum

    def tampered(model, alias, workspace_id, rename=None):
        result = real(model, alias, workspace_id, rename)
        if alias == "eu" and model is Contact:
            result.checksum = "0" * 64
        return result

    monkeypatch.setattr(engine, "table_sum", tampered)
    move = services.region_move_request(workspace=workspace, target="eu")
    move = services.region_move_run(move_id=move.pk)
    assert move.state == MoveState.FAILED
    assert "contacts_contact: the rows differ between us and eu" in move.error
    assert move.switched_at is None
    workspace.refresh_from_db()
    assert workspace.region == "us"
    assert _rows("default", workspace.pk) == before
    assert _rows("eu", workspace.pk) == {}
    ContactFactory(workspace=workspace)  # writable again


def test_the_source_is_never_purged_before_verification(filled, workspace):
    before = _rows("default", workspace.pk)
    move = services.region_move_request(workspace=workspace, target="eu")
    RegionMove.objects.filter(pk=move.pk).update(state=MoveState.PURGING)
    move = services.region_move_run(move_id=move.pk)
    assert move.state == MoveState.FAILED
    assert "only purged after verification" in move.error
    assert _rows("default", workspace.pk) == before


def test_a_move_can_be_rolled_back_before_the_switch(filled, workspace):
    move = services.region_move_request(workspace=workspace, target="eu")
    move = services.region_move_rollback(move_id=move.pk)
    assert move.state == MoveState.ROLLED_BACK
    ContactFactory(workspace=workspace)


@pytest.mark.parametrize(
    ("target", "message"),
    [("us", "already in region US"), ("mars", "'mars' is not a configured region")],
)
def test_a_move_to_the_same_or_an_unknown_region_is_refused(workspace, target, message):
    with pytest.raises(services.RegionMoveRefused, match=message):
        services.region_move_request(workspace=workspace, target=target)
    assert not RegionMove.objects.exists()


def test_only_one_move_at_a_time(workspace):
    services.region_move_request(workspace=workspace, target="eu")
    with pytest.raises(services.RegionMoveRefused, match="already under way"):
        services.region_move_request(workspace=workspace, target="eu")


def test_a_moving_workspace_refuses_saves_bulk_writes_and_deletes(filled, workspace):
    contact = filled["contacts"][0]
    services.region_move_request(workspace=workspace, target="eu")
    contact.first_name = "Changed"
    # (Each in a savepoint: the test runs inside one transaction.)
    with pytest.raises(WorkspaceReadOnly), transaction.atomic():
        contact.save()
    with pytest.raises(WorkspaceReadOnly), transaction.atomic():
        Contact.objects.for_workspace(workspace).bulk_create(
            [Contact(workspace=workspace, email="b@example.com", email_key="b@example.com")]
        )
    with pytest.raises(WorkspaceReadOnly), transaction.atomic():
        contact.delete()
    assert Contact.objects.for_workspace(workspace).get(pk=contact.pk).first_name != "Changed"


def test_the_management_command_moves_and_reports(filled, workspace):
    call_command("region_move", str(workspace.pk), "eu")
    assert Workspace.objects.get(pk=workspace.pk).region == "eu"
    with pytest.raises(CommandError, match="already in region EU"):
        call_command("region_move", str(workspace.pk), "eu")
    with pytest.raises(CommandError, match="no region move 999"):
        call_command("region_move", "--resume", "999")


def test_a_move_to_the_eu_needs_a_plan_with_eu_residency(workspace):
    from mailsoftly.billing.models import Plan

    Plan.objects.update(eu_residency=False)
    with pytest.raises(services.RegionMoveRefused) as refused:
        services.region_move_request(workspace=workspace, target="eu")
    assert refused.value.args[0]
    assert not RegionMove.objects.exists()
