from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mailsoftly.audit import selectors
from mailsoftly.audit.forms import AuditFilterForm
from mailsoftly.teams import selectors as team_selectors
from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm

PAGE_SIZE = 50


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@permission_required(Perm.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    actors = [
        (m.user_id, m.user.get_username())
        for m in team_selectors.member_list(workspace=workspace, include_disabled=True)
    ]
    form = AuditFilterForm(
        request.GET or None,
        actions=selectors.audit_action_list(workspace=workspace),
        actors=actors,
    )
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data.get("action") or "",
            "actor_id": data.get("actor"),
            "since": _day_start(data["since"]) if data.get("since") else None,
            "until": _day_start(data["until"] + timedelta(days=1)) if data.get("until") else None,
        }
    events = selectors.audit_event_list(workspace=workspace, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page_obj": page, "query": query.urlencode()},
    )
