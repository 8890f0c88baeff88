"""Clear answers for residency faults instead of a 500.

* A workspace moving region is read-only: a refused write becomes a 423 page (or problem).
* The workspace's region database cannot be reached: a 503 naming the region.
* This process was started without the workspace's region (``REGIONS`` lists only some
  regions): a 503 naming the region, while pages that need no region data keep working.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connections
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mailsoftly.core.logging import log_region
from mailsoftly.core.regions import (
    Region,
    RegionName,
    RegionUnavailable,
    UnknownRegion,
    WorkspaceReadOnly,
    database_for,
    require_served,
)


def _problem(title: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def _unserved_region(request) -> str | None:
    """The current workspace's region if this process has no database for it, else None."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return None
    try:
        require_served(workspace.region)
    except RegionUnavailable:
        return workspace.region
    return None


def _served_workspaces(request) -> list:
    """The user's other workspaces that this process can open, for the switch form."""
    from mailsoftly.core.regions import served_regions
    from mailsoftly.teams.selectors import membership_list

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    current = getattr(request.workspace, "pk", None)
    return [
        m.workspace
        for m in membership_list(user=user).select_related("workspace")
        if m.workspace_id != current and m.workspace.region in served_regions()
    ]


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
        if isinstance(exception, UnknownRegion | RegionUnavailable):
            region = _unserved_region(request)
            if region is None:
                return None
            label = RegionName(region).label
            message = _(
                "This workspace's data is kept in the %(region)s data region, which this "
                "server does not serve. Open the workspace at the address of its region's "
                "server, or switch to another workspace."
            ) % {"region": label}
            if api:
                return _problem("Data region not served here", message, 503)
            return render(
                request,
                "residency/unavailable.html",
                {"message": message, "switch_to": _served_workspaces(request)},
                status=503,
            )
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
