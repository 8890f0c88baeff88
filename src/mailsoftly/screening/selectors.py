"""Reads for screening: the operator queue (all regions) and a workspace's results."""

from __future__ import annotations

from django.http import Http404

from mailsoftly.core.regions import Region
from mailsoftly.core.tenancy import access_object
from mailsoftly.screening.models import AccountRisk, Review, ScreeningResult


def review_queue_list(*, limit: int = 200) -> list[ScreeningResult]:
    """Held content waiting for an operator, oldest first, from every region."""
    items: list[ScreeningResult] = []
    for region in Region.values:
        rows = (
            ScreeningResult.objects.dangerously_all_workspaces(region)
            .filter(review=Review.PENDING)
            .order_by("created_at", "id")[:limit]
        )
        for row in rows:
            row.region = region  # where the row lives: part of its URL
            items.append(row)
    items.sort(key=lambda r: (r.created_at, r.pk))
    return items[:limit]


def access_review_item(*, region: str, id) -> ScreeningResult:
    """A result for the operator queue (staff only; the view checks staff)."""
    if region not in Region.values:
        raise Http404("screening result")
    try:
        return ScreeningResult.objects.dangerously_all_workspaces(region).get(pk=int(id))
    except (ScreeningResult.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("screening result") from exc


def screening_result_list(*, workspace, campaign_id: int | None = None):
    rows = ScreeningResult.objects.for_workspace(workspace)
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    return rows


def account_risk_get(*, workspace) -> AccountRisk | None:
    return AccountRisk.objects.filter(workspace=workspace).first()


def access_screening_result(*, workspace, id) -> ScreeningResult:
    """One of ``workspace``'s results, or 404 alike for missing and not yours."""
    return access_object(ScreeningResult, workspace=workspace, id=id)
