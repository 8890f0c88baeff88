"""The operator's review of held content: approve or block, audit-logged, user notified."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.screening.models import Review, ScreeningResult

log = logging.getLogger(__name__)


def _workspace_of(result: ScreeningResult):
    from mailsoftly.teams.models import Workspace

    return Workspace.objects.get(pk=result.workspace_id)


def _recipients(workspace) -> list[str]:
    """The workspace's admins: they hear about reviews of their team's email."""
    from mailsoftly.teams.models import Membership, Role

    members = Membership.objects.active().filter(
        workspace=workspace, role__in=[Role.PRIMARY_ADMIN, Role.ADMIN]
    )
    return sorted({m.user.email for m in members.select_related("user") if m.user.email})


def _audit(*, request, actor, workspace, action: str, result: ScreeningResult, comment: str):
    try:
        from mailsoftly.audit.services import audit_record
    except ImportError:  # audit app not installed
        return
    audit_record(
        request=request,
        actor=actor,
        workspace=workspace,
        action=action,
        target=result,  # content: kept in the workspace's region, without the subject
        after={"decision": result.decision, "review": result.review, "comment": comment},
    )


def _notify(*, workspace, result: ScreeningResult, approved: bool, comment: str) -> None:
    to = _recipients(workspace)
    if not to:
        return
    if approved:
        subject = _("Your email was approved: %(subject)s") % {"subject": result.subject[:80]}
        text = _(
            "Our team reviewed your email and approved it; it can now be sent.\n\n"
            "Reviewer's note: %(comment)s\n"
        ) % {"comment": comment or "-"}
    else:
        reasons = "\n".join(f"- {r.get('message', '')}" for r in result.reasons)
        subject = _("Your email was blocked: %(subject)s") % {"subject": result.subject[:80]}
        text = _(
            "Our team reviewed your email and blocked it. Please edit it and resubmit.\n\n"
            "Reviewer's note: %(comment)s\n\nWhat the screen found:\n%(reasons)s\n"
        ) % {"comment": comment or "-", "reasons": reasons or "-"}
    platform_mail_enqueue(to=to, subject=subject, text=text)


def release_campaign(workspace, campaign_id: int | None) -> None:
    """A campaign paused for review goes on sending (the campaigns app's resume)."""
    if not campaign_id:
        return
    try:
        from mailsoftly.campaigns.models import Campaign, CampaignStatus
        from mailsoftly.campaigns.services import campaign_resume
    except ImportError:
        return
    campaign = Campaign.objects.for_workspace(workspace).filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.PAUSED:
        return
    campaign.workspace = workspace
    try:
        campaign_resume(campaign=campaign)
    except ValidationError:
        log.info("screening: campaign %s could not be resumed", campaign_id)


def _decide(*, result, reviewer, comment: str, request, review: str, action: str):
    if not getattr(reviewer, "is_staff", False):
        raise PermissionError("only staff review screened content")
    comment = (comment or "").strip()[:2000]
    workspace = _workspace_of(result)
    with transaction.atomic(using=workspace.database):
        changed = (
            ScreeningResult.objects.for_workspace(workspace)
            .filter(pk=result.pk)
            .update(
                review=review,
                reviewed_by=reviewer,
                reviewed_at=clock.now(),
                review_comment=comment,
            )
        )
    if not changed:
        raise ValidationError(_("This item no longer exists."))
    result.review, result.review_comment = review, comment
    result.reviewed_by, result.reviewed_at = reviewer, clock.now()
    _audit(
        request=request, actor=reviewer, workspace=workspace, action=action, result=result,
        comment=comment,
    )  # fmt: skip
    _notify(workspace=workspace, result=result, approved=review == Review.APPROVED, comment=comment)
    return workspace


def screening_approve(*, result: ScreeningResult, reviewer, comment: str = "", request=None):
    """Approve held content: it may send, a campaign paused for it resumes, the team is told."""
    workspace = _decide(
        result=result,
        reviewer=reviewer,
        comment=comment,
        request=request,
        review=Review.APPROVED,
        action="screening.approve",
    )
    release_campaign(workspace, result.campaign_id)
    return result


def screening_block(
    *, result: ScreeningResult, reviewer, comment: str = "", request=None, suspend: bool = False
):
    """Block held content: it never sends as is; the team is told why and can resubmit.

    With ``suspend``, the operator also suspends the account from sending (audit-logged
    on its own, :func:`~.risk.account_suspend`), with the comment as the reason.
    """
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why, so the sender can fix it.")})
    workspace = _decide(
        result=result,
        reviewer=reviewer,
        comment=comment,
        request=request,
        review=Review.BLOCKED,
        action="screening.block",
    )
    if suspend:
        from mailsoftly.screening.services.risk import account_suspend

        account_suspend(workspace=workspace, by=reviewer, reason=comment, request=request)
    return result
