"""Shared pieces of the v1 endpoints: the key auth, scope checks, cursor pagination."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer
from pydantic import ConfigDict

from mailsoftly.api.problems import ApiProblem
from mailsoftly.api.services import api_key_allows

MAX_PAGE = 200


class KeyAuth(HttpBearer):
    """Documents the bearer key in OpenAPI; the gateway has already checked it."""

    def authenticate(self, request, token):
        return getattr(request, "api_key", None)


class In(Schema):
    """Request bodies refuse unknown fields (422 names them)."""

    model_config = ConfigDict(extra="forbid")


def workspace_of(request):
    return request.api_key.workspace


def need(request, resource: str, access: str) -> None:
    if not api_key_allows(request.api_key, resource, access):
        raise ApiProblem(
            403,
            _("This key lacks the “%(scope)s” scope.") % {"scope": f"{resource}:{access}"},
            slug="insufficient-scope",
        )


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        payload = None
    if not isinstance(payload, dict):
        raise ApiProblem(
            400, _("Invalid cursor."), errors=[{"field": "cursor", "message": _("Invalid cursor.")}]
        )
    return payload


def paginate(
    qs: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    sort: str,
    sortable: dict[str, str],
) -> tuple[list, str | None]:
    """Keyset pagination over ``qs`` sorted by ``sort`` (``name`` or ``-name``), then id.

    The cursor carries the sort and the last row's sort value and id, so pages stay stable
    while rows are added; a cursor from another sort is refused.
    """
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in sortable:
        raise ApiProblem(
            400,
            _("Unknown sort “%(sort)s”; one of %(allowed)s.")
            % {"sort": sort[:40], "allowed": ", ".join(sorted(sortable))},
            errors=[{"field": "sort", "message": _("Unknown sort.")}],
        )
    if not 1 <= limit <= MAX_PAGE:
        raise ApiProblem(
            400,
            _("limit must be between 1 and %(max)d.") % {"max": MAX_PAGE},
            errors=[{"field": "limit", "message": _("Out of range.")}],
        )
    field = sortable[name]
    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    qs = qs.order_by(*order)
    if cursor:
        state = _decode(cursor)
        if state.get("s") != sort or not isinstance(state.get("i"), int):
            raise ApiProblem(
                400,
                _("Invalid cursor."),
                errors=[{"field": "cursor", "message": _("Invalid cursor.")}],
            )
        value: Any = state.get("v")
        if field.endswith("_at"):
            value = parse_datetime(value) if isinstance(value, str) else None
            if value is None:
                raise ApiProblem(400, _("Invalid cursor."))
        op = "lt" if descending else "gt"
        if field == "pk":
            qs = qs.filter(**{f"pk__{op}": state["i"]})
        else:
            qs = qs.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": state["i"]})
            )
    rows = list(qs[: limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = last.pk if field == "pk" else getattr(last, field)
        if isinstance(value, datetime):
            value = value.isoformat()
        following = _encode({"s": sort, "v": value, "i": last.pk})
    return rows, following
