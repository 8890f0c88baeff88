"""Reads about API keys."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from mailsoftly.api.models import ApiKey
from mailsoftly.core.ids import parse_id


def api_key_list(*, workspace) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(workspace_id=workspace.pk).select_related("created_by")


def access_api_key(*, workspace, id) -> ApiKey:
    parsed = parse_id(id)
    key = api_key_list(workspace=workspace).filter(pk=parsed).first() if parsed else None
    if key is None:
        raise Http404("api key")
    return key
