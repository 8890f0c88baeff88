"""Clear answers for two residency faults instead of a 500.

* A workspace moving region is read-only: a refused write becomes a 423 page (or problem).
* The workspace's region database cannot be reached: a 503 naming the region.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connections
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mailsoftly.core.logging import log_region
from mailsoftly.core.regions import Region, UnknownRegion, WorkspaceReadOnly, database_for


def _problem(title: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def _unreachable_region(request) -> str | None:
    """The current workspace's region if its database does not answer, else None."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return None
    try:
        alias = database_for(workspace.region)
    except UnknownRegion:
        return workspace.region
    connection = connections[alias]
    try:
        if connection.connection is None:
            connection.ensure_connection()
        elif not connection.is_usable():
            return workspace.region
    except (OperationalError, InterfaceError):
        return workspace.region
    return None


class WorkspaceReadOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Everything logged while serving a workspace of another region (errors with their
        # paths and tracebacks included) goes to that region's log (core.logging).
        workspace = getattr(request, "workspace", None)
        with log_region(getattr(workspace, "region", None)):
            return self.get_response(request)

    def process_exception(self, request, exception):
        api = request.path.startswith("/api/")
        if isinstance(exception, WorkspaceReadOnly):
            message = str(exception)
            if api:
                return _problem("Workspace is read-only", message, 423)
            return render(request, "residency/read_only.html", {"message": message}, status=423)
        if isinstance(exception, OperationalError | InterfaceError):
            region = _unreachable_region(request)
            if region is None:
                return None
            label = dict(Region.choices).get(region, region.upper())
            message = _(
                "The database of this workspace's data region (%(region)s) cannot be reached "
                "right now. Nothing was changed; please try again in a few minutes."
            ) % {"region": label}
            if api:
                return _problem("Data region unavailable", message, 503)
            return render(request, "residency/unavailable.html", {"message": message}, status=503)
        return None
