"""A workspace's move from one region to another (copy, verify, switch, purge).

The row lives in the directory. It is the move's checkpoint: a run that stops anywhere
resumes from its ``state``, and the source is only purged once ``verified_at`` is set.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MoveState(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    COPYING = "copying", _("Copying data")
    VERIFYING = "verifying", _("Verifying the copy")
    SWITCHING = "switching", _("Switching region")
    PURGING = "purging", _("Removing data from the old region")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, nothing changed")
    ROLLED_BACK = "rolled_back", _("Rolled back, nothing changed")


# States in which the workspace is read-only and the move still owes work.
ACTIVE_STATES = (
    MoveState.PENDING,
    MoveState.COPYING,
    MoveState.VERIFYING,
    MoveState.SWITCHING,
    MoveState.PURGING,
)


class RegionMove(models.Model):
    workspace = models.ForeignKey(
        "teams.Workspace", on_delete=models.CASCADE, related_name="region_moves"
    )
    source = models.CharField(_("from region"), max_length=2)
    target = models.CharField(_("to region"), max_length=2)
    state = models.CharField(max_length=16, choices=MoveState.choices, default=MoveState.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Progress the user sees: tables copied/verified/purged out of all regional tables.
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    # Per table: {"rows": n, "checksum": sha256, "files": n} as verified on both sides.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    switched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(
                    state__in=[
                        "pending",
                        "copying",
                        "verifying",
                        "switching",
                        "purging",
                    ]
                ),
                name="residency_one_active_move_per_workspace",
            )
        ]

    def __str__(self) -> str:
        return f"workspace {self.workspace_id}: {self.source} → {self.target} ({self.state})"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        if self.state == MoveState.DONE:
            return 100
        if not self.steps_total:
            return 0
        return min(99, round(100 * self.steps_done / self.steps_total))
