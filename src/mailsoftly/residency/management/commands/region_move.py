"""``mailsoftly manage region_move``: move a workspace to another region, resume or roll back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mailsoftly.core.regions import Region
from mailsoftly.residency import services
from mailsoftly.residency.engine import MoveError
from mailsoftly.residency.models import RegionMove


class Command(BaseCommand):
    help = (
        "Move a workspace's data to another region (copy, verify, switch, purge). "
        "Runs in the foreground; --resume continues a move that stopped, --rollback "
        "abandons one that has not switched yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("workspace_id", type=int, nargs="?")
        parser.add_argument("target", nargs="?", help=f"region ({', '.join(Region.values)})")
        parser.add_argument("--resume", type=int, metavar="MOVE_ID")
        parser.add_argument("--rollback", type=int, metavar="MOVE_ID")

    def handle(self, *args, workspace_id=None, target=None, resume=None, rollback=None, **opts):
        from mailsoftly.teams.models import Workspace

        if rollback:
            move = self._move(rollback)
            move = services.region_move_rollback(move_id=move.pk)
            self.stdout.write(f"move {move.pk}: {move.state}")
            return
        if resume:
            move = self._move(resume)
        else:
            if workspace_id is None or not target:
                raise CommandError("give WORKSPACE_ID TARGET, or --resume/--rollback MOVE_ID")
            workspace = Workspace.objects.filter(pk=workspace_id).first()
            if workspace is None:
                raise CommandError(f"no workspace {workspace_id}")
            try:
                move = services.region_move_request(workspace=workspace, target=target)
            except services.RegionMoveRefused as exc:
                raise CommandError(str(exc)) from exc
        try:
            move = services.region_move_run(move_id=move.pk)
        except MoveError as exc:
            raise CommandError(f"move {move.pk} stopped: {exc}") from exc
        self.stdout.write(
            f"move {move.pk}: {move.source} → {move.target}: {move.state}"
            + (f" ({move.error})" if move.error else "")
        )
        if move.state != "done":
            raise CommandError(move.error or f"move {move.pk} ended {move.state}")

    def _move(self, move_id: int) -> RegionMove:
        move = RegionMove.objects.filter(pk=move_id).first()
        if move is None:
            raise CommandError(f"no region move {move_id}")
        return move
