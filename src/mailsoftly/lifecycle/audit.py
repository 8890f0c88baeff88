"""Writes lifecycle events to the audit log, when the audit app is installed."""

from __future__ import annotations

from typing import Any

from django.apps import apps


def record(
    *, action: str, actor=None, workspace=None, target: Any = None, request=None, after=None
) -> None:
    if not apps.is_installed("mailsoftly.audit"):
        return
    from mailsoftly.audit.services import audit_record

    audit_record(
        request=request,
        actor=actor,
        workspace=workspace,
        action=action,
        target=target,
        after=after,
    )


def workspace_by_id(workspace_id: int | None):
    if workspace_id is None:
        return None
    from mailsoftly.teams.models import Workspace

    return Workspace.objects.filter(pk=workspace_id).first()
