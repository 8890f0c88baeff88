"""Moving a workspace to another region: copy, verify, switch, purge (policy P40).

:func:`region_move_request` records the move and enqueues the task. :func:`region_move_run`
does the work and can be run again at any point: the :class:`RegionMove` row is the
checkpoint. Until the switch, the source stays the workspace's data and a failure rolls
the target back; after verification and the switch the target is, and a rerun finishes
the purge. The source is never purged before the copy has been verified.

While a move is active the workspace is read-only: every regional save and delete is
refused (:class:`~mailsoftly.core.regions.WorkspaceReadOnly`), and the web shows why.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, IntegrityError, transaction

from mailsoftly.audit.services import audit_record
from mailsoftly.core import clock
from mailsoftly.core.regions import (
    Region,
    RegionUnavailable,
    UnknownRegion,
    region_move_allowed,
    require_served,
)
from mailsoftly.residency import engine
from mailsoftly.residency.models import MoveState, RegionMove

logger = logging.getLogger(__name__)


class RegionMoveRefused(Exception):
    """A move that cannot start; the message is for the user."""


def _steps() -> int:
    # Copy, verify and purge each table, plus the switch.
    return 3 * len(engine.regional_models()) + 1


def region_move_request(*, workspace, target: str, actor=None, request=None) -> RegionMove:
    """Record a move of ``workspace`` to ``target`` and start it after commit."""
    from mailsoftly.campaigns.models import Campaign, CampaignStatus

    try:
        target = Region(target)
    except UnknownRegion as exc:
        raise RegionMoveRefused(str(exc)) from exc
    if target == workspace.region:
        raise RegionMoveRefused(f"The workspace is already in region {target.upper()}.")
    try:
        require_served(workspace.region)
        require_served(target)
    except RegionUnavailable as exc:
        raise RegionMoveRefused(str(exc)) from exc
    if target == Region.EU:
        # The same plan gate as creating an EU workspace (billing resource eu_residency).
        from mailsoftly.billing.errors import LimitExceeded
        from mailsoftly.billing.services import limit_check

        try:
            limit_check(workspace=workspace, resource="eu_residency")
        except LimitExceeded as exc:
            raise RegionMoveRefused(exc.message) from exc
    sending = Campaign.objects.for_workspace(workspace).filter(status=CampaignStatus.SENDING)
    if sending.exists():
        raise RegionMoveRefused(
            "A campaign is sending. Pause it or let it finish, then move the workspace."
        )
    try:
        with transaction.atomic():
            move = RegionMove.objects.create(
                workspace=workspace,
                source=workspace.region,
                target=target,
                requested_by=actor,
                steps_total=_steps(),
            )
            audit_record(
                request=request,
                actor=actor,
                workspace=workspace,
                action="workspace.region_move_requested",
                target=("residency.regionmove", move.pk),
                after={"source": move.source, "target": move.target},
            )
    except IntegrityError as exc:
        raise RegionMoveRefused("A move of this workspace is already under way.") from exc
    from mailsoftly.residency.tasks import region_move_run_task

    transaction.on_commit(lambda: region_move_run_task.delay(move_id=move.pk))
    return move


def _save(move: RegionMove, **values) -> None:
    for name, value in values.items():
        setattr(move, name, value)
    move.save(update_fields=[*values, "updated_at"])


def _progress(move: RegionMove):
    def step(table: str, rows: int) -> None:
        RegionMove.objects.filter(pk=move.pk).update(steps_done=move.steps_done + 1)
        move.steps_done += 1

    return step


def _rollback(move: RegionMove, reason: str) -> RegionMove:
    """Drop the copy from the target; the workspace stays where it was, unchanged."""
    if move.switched_at is not None:
        raise engine.MoveError("the workspace has switched region; it cannot be rolled back")
    engine.delete_workspace(workspace_id=move.workspace_id, region=move.target)
    _save(
        move,
        state=MoveState.FAILED if reason else MoveState.ROLLED_BACK,
        error=reason,
        finished_at=clock.now(),
    )
    audit_record(
        actor=None,
        workspace=move.workspace,
        action="workspace.region_move_rolled_back",
        target=("residency.regionmove", move.pk),
        after={"source": move.source, "target": move.target, "state": move.state},
    )
    logger.warning("region move %s rolled back: %s", move.pk, reason or "on request")
    return move


def region_move_rollback(*, move_id: int) -> RegionMove:
    """Abandon a move that has not switched yet: the target's copy is deleted."""
    move = RegionMove.objects.select_related("workspace").get(pk=move_id)
    if not move.active:
        return move
    with region_move_allowed():
        return _rollback(move, "")


def region_move_run(*, move_id: int) -> RegionMove:
    """Run (or resume) a move from its checkpoint to the end."""
    move = RegionMove.objects.select_related("workspace").get(pk=move_id)
    if not move.active:
        return move
    require_served(move.source)
    require_served(move.target)
    _save(move, attempts=move.attempts + 1, error="")
    workspace_id = move.workspace_id
    with region_move_allowed():
        try:
            if move.state in (MoveState.PENDING, MoveState.COPYING):
                _save(move, state=MoveState.COPYING, steps_done=0)
                engine.copy_workspace(
                    workspace_id=workspace_id,
                    source=move.source,
                    target=move.target,
                    progress=_progress(move),
                )
                _save(move, state=MoveState.VERIFYING)
            if move.state == MoveState.VERIFYING:
                report, problems = engine.verify_workspace(
                    workspace_id=workspace_id,
                    source=move.source,
                    target=move.target,
                    progress=_progress(move),
                )
                if problems:
                    return _rollback(move, "Verification failed: " + "; ".join(problems))
                _save(move, state=MoveState.SWITCHING, report=report, verified_at=clock.now())
            if move.state == MoveState.SWITCHING:
                _switch(move)
            if move.state == MoveState.PURGING:
                _purge(move)
        except engine.MoveError as exc:
            if move.switched_at is None:
                return _rollback(move, str(exc))
            _save(move, error=str(exc))
            raise
        except (DatabaseError, OSError) as exc:
            # Left in its state: the next run resumes (the copy restarts, a purge goes on).
            _save(move, error=f"Interrupted: {exc}")
            raise
    return move


def _switch(move: RegionMove) -> None:
    from mailsoftly.teams.models import Workspace

    if move.verified_at is None:
        raise engine.MoveError("the copy has not been verified")
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=move.workspace_id)
        workspace.region = move.target
        workspace.save(update_fields=["region"])
        now = clock.now()
        _save(move, state=MoveState.PURGING, switched_at=now)
        RegionMove.objects.filter(pk=move.pk).update(steps_done=move.steps_done + 1)
        move.steps_done += 1
        audit_record(
            actor=move.requested_by,
            workspace=workspace,
            action="workspace.region_moved",
            target=("residency.regionmove", move.pk),
            before={"region": move.source},
            after={"region": move.target},
        )
    move.workspace = workspace


def _purge(move: RegionMove) -> None:
    # The one place that deletes the source: only after a verified copy and the switch.
    if move.verified_at is None or move.switched_at is None:
        raise engine.MoveError("the source is only purged after verification and the switch")
    engine.delete_workspace(
        workspace_id=move.workspace_id, region=move.source, progress=_progress(move)
    )
    _save(move, state=MoveState.DONE, finished_at=clock.now())
    logger.info("region move %s done: %s → %s", move.pk, move.source, move.target)
