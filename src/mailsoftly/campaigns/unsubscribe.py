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


def _workspace_for(token: str):
    parsed = unsubscribe_token_read(token)
    if parsed is None:
        return None, None
    region, delivery_id = parsed
    from mailsoftly.campaigns.models import Delivery
    from mailsoftly.core.regions import REGION_DATABASES, database_for
    from mailsoftly.teams.models import Workspace

    if region not in REGION_DATABASES:
        return None, None
    workspace_id = (
        Delivery.objects.dangerously_all_workspaces(region)
        .filter(pk=delivery_id)
        .values_list("workspace_id", flat=True)
        .first()
    )
    workspace = Workspace.objects.filter(pk=workspace_id).first() if workspace_id else None
    if workspace is None or database_for(workspace.region) != database_for(region):
        return None, None
    return workspace, delivery_id


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
