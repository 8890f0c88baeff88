"""Legal holds (policy P28): placed and released by staff, read only through their export.

While a hold is active the data it covers is never purged (trash purge and account purge
skip it) and is hidden from its owner (the Trash page does not list it and it cannot be
restored). :func:`legal_hold_export` is the only way to read it, and every call leaves a
:class:`~mailsoftly.lifecycle.models.LegalHoldAccess` row and an audit entry.
"""

from __future__ import annotations

import json
from typing import Any

from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.lifecycle import audit, registry, selectors
from mailsoftly.lifecycle.models import HoldScope, LegalHold, LegalHoldAccess


class LegalHoldError(Exception):
    """A refused hold operation; the message is for staff."""


def legal_hold_check(
    *, scope: str, reason: str, reference: str, user, workspace, object_type: str, object_id
) -> HoldScope:
    """Validate a hold before placing it; raises :class:`LegalHoldError` with the reason."""
    try:
        scope = HoldScope(scope)
    except ValueError:
        raise LegalHoldError(
            _("Choose what to hold: an account, a workspace or one object.")
        ) from None
    if not (reason or "").strip() or not (reference or "").strip():
        raise LegalHoldError(_("A legal hold needs a reason and a reference."))
    if scope == HoldScope.ACCOUNT and user is None:
        raise LegalHoldError(_("Choose the account to hold."))
    if scope == HoldScope.WORKSPACE and workspace is None:
        raise LegalHoldError(_("Choose the workspace to hold."))
    if scope == HoldScope.OBJECT:
        model = registry.model_for_key(object_type or "")
        if model is None or workspace is None:
            raise LegalHoldError(_("Choose the workspace and a known object type."))
        pk_field = model._meta.pk
        try:
            pk = pk_field.to_python(object_id)
        except (ValidationError, ValueError, TypeError):
            pk = None
        if pk is None or not model.all_rows.for_workspace(workspace).filter(pk=pk).exists():
            raise LegalHoldError(_("That object does not exist in that workspace."))
    return scope


def legal_hold_place(
    *,
    actor,
    scope: str,
    reason: str,
    reference: str,
    user=None,
    workspace=None,
    object_type: str = "",
    object_id: str = "",
    request=None,
) -> LegalHold:
    """Place a hold on an account, a workspace or one object of a workspace."""
    scope = legal_hold_check(
        scope=scope,
        reason=reason,
        reference=reference,
        user=user,
        workspace=workspace,
        object_type=object_type,
        object_id=object_id,
    )
    with transaction.atomic():
        hold = LegalHold.objects.create(
            scope=scope,
            user=user,
            workspace=workspace,
            object_type=object_type if scope == HoldScope.OBJECT else "",
            object_id=str(object_id) if scope == HoldScope.OBJECT else "",
            reason=reason.strip(),
            reference=reference.strip(),
            placed_by=actor,
            placed_at=clock.now(),
        )
        audit.record(
            action="legal_hold.placed",
            actor=actor,
            request=request,
            workspace=workspace,
            target=hold,
            after={"scope": scope.value, "reference": hold.reference},
        )
    return hold


def legal_hold_release(*, hold: LegalHold, actor, request=None) -> LegalHold:
    """Release a hold: the normal timers (trash purge, account purge) resume."""
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise LegalHoldError(_("This hold was already released."))
        hold.released_at = clock.now()
        hold.released_by = actor
        hold.save(update_fields=["released_at", "released_by"])
        audit.record(
            action="legal_hold.released",
            actor=actor,
            request=request,
            workspace=hold.workspace,
            target=hold,
        )
    return hold


def _rows_of_workspace(workspace) -> dict[str, list[dict[str, Any]]]:
    data = {}
    for model in registry.trashable_models():
        rows = model.all_rows.for_workspace(workspace).order_by("pk")
        if rows.exists():
            data[registry.model_key(model)] = json.loads(serializers.serialize("json", rows))
    return data


def _held_data(hold: LegalHold) -> dict[str, Any]:
    from mailsoftly.teams.models import Workspace

    if hold.scope == HoldScope.WORKSPACE:
        return {"workspace": hold.workspace_id, "rows": _rows_of_workspace(hold.workspace)}
    if hold.scope == HoldScope.OBJECT:
        model = registry.model_for_key(hold.object_type)
        rows = model.all_rows.for_workspace(hold.workspace).filter(pk=hold.object_id)
        data = {hold.object_type: json.loads(serializers.serialize("json", rows))}
        for relation in registry.children_of(model):
            children = relation.model.all_rows.for_workspace(hold.workspace).filter(
                **{relation.field: hold.object_id}
            )
            data[registry.model_key(relation.model)] = json.loads(
                serializers.serialize("json", children)
            )
        return {"workspace": hold.workspace_id, "rows": data}
    from mailsoftly.accounts.models import User

    user = User.objects.filter(pk=hold.user_id)
    return {
        "account": json.loads(
            serializers.serialize(
                "json",
                user,
                fields=["username", "email", "first_name", "last_name", "date_joined"],
            )
        ),
        "workspaces": {
            str(workspace.pk): _rows_of_workspace(workspace)
            for workspace in Workspace.objects.filter(
                pk__in=selectors.sole_workspace_ids(user_id=hold.user_id)
            )
        },
    }


def legal_hold_export(*, hold: LegalHold, actor, request=None) -> dict[str, Any]:
    """Everything the hold covers, live or trashed, as JSON-ready data. Logged every time."""
    data = {
        "hold": {
            "id": hold.pk,
            "scope": hold.scope,
            "reference": hold.reference,
            "reason": hold.reason,
            "placed_at": hold.placed_at.isoformat(),
            "released_at": hold.released_at.isoformat() if hold.released_at else None,
        },
        "exported_at": clock.now().isoformat(),
        "data": _held_data(hold),
    }
    rows = sum(len(v) for v in _iter_row_lists(data["data"]))
    LegalHoldAccess.objects.create(
        hold=hold,
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        accessed_at=clock.now(),
        rows=rows,
    )
    audit.record(
        action="legal_hold.exported",
        actor=actor,
        request=request,
        workspace=hold.workspace,
        target=hold,
        after={"rows": rows},
    )
    return data


def _iter_row_lists(value):
    if isinstance(value, list):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _iter_row_lists(item)
