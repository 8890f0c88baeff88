"""RFC 8058 one-click unsubscribe.

The link in ``List-Unsubscribe`` carries a signed token naming the region and delivery.
A POST (what mailbox providers send, with ``List-Unsubscribe=One-Click`` in the body) needs
no cookie and no CSRF token and never redirects. A GET only shows a page with a button:
link scanners that follow URLs must not unsubscribe anyone.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailsoftly.campaigns.compose import unsubscribe_token_read


def _delivery_owner(region: str, delivery_id: int) -> int | None:
    """The workspace id of delivery ``delivery_id`` in ``region``'s database, if it is there."""
    from mailsoftly.campaigns.models import Delivery
    from mailsoftly.core.regions import RegionUnavailable, require_served

    try:
        require_served(region)
    except RegionUnavailable:
        return None
    return (
        Delivery.objects.dangerously_all_workspaces(region)
        .filter(pk=delivery_id)
        .values_list("workspace_id", flat=True)
        .first()
    )


def _workspace_for(token: str):
    """The workspace and delivery a token names, wherever the workspace lives now.

    The token names the region the mail was sent from. After a region move (residency)
    the workspace lives elsewhere under the same ids (each region numbers its rows in its
    own band), so links in mail sent before the move must keep working: the directory's
    workspace → region index says where it is now, and the delivery must be there.
    """
    parsed = unsubscribe_token_read(token)
    if parsed is None:
        return None, None
    region, delivery_id = parsed
    from mailsoftly.core.regions import region_names
    from mailsoftly.teams.models import Workspace

    names = region_names()
    # The token's own region first; the others only when the delivery has left it.
    candidates = ([region] if region in names else []) + [r for r in names if r != region]
    for candidate in candidates:
        workspace_id = _delivery_owner(candidate, delivery_id)
        if workspace_id is None:
            continue
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None:
            return None, None
        if workspace.region == candidate:
            return workspace, delivery_id
        # A copy left behind in a region the workspace moved away from (the move has not
        # purged it yet): follow the index, and use the delivery only where it lives now.
        if workspace.region in names and _delivery_owner(workspace.region, delivery_id) == (
            workspace.pk
        ):
            return workspace, delivery_id
        return None, None
    return None, None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    from mailsoftly.campaigns.services import delivery_unsubscribe

    workspace, delivery_id = _workspace_for(token)
    if workspace is None:
        return render(request, "campaigns/unsubscribe.html", {"state": "invalid"}, status=404)
    if request.method == "POST":
        delivery_unsubscribe(workspace=workspace, delivery_id=delivery_id)
        return render(request, "campaigns/unsubscribe.html", {"state": "done"})
    return render(request, "campaigns/unsubscribe.html", {"state": "confirm", "token": token})
