"""What campaigns do when an account is disabled for deletion (P29): its sends stop at once."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db.models import Q

from mailsoftly.lifecycle.hooks import on_account_disabled

log = logging.getLogger(__name__)


@on_account_disabled
def cancel_campaigns_of_disabled_account(*, user) -> None:
    """Cancel every unfinished campaign the user created, and every unfinished campaign of
    a workspace nobody else can act for any more. Idempotent: finished ones are skipped."""
    from mailsoftly.campaigns.models import FINISHED, Campaign
    from mailsoftly.campaigns.services import campaign_cancel
    from mailsoftly.teams.models import Membership

    memberships = Membership.objects.filter(user=user).select_related("workspace")
    for membership in memberships:
        workspace = membership.workspace
        others = (
            Membership.objects.filter(workspace=workspace, disabled_at__isnull=True)
            .exclude(user=user)
            .exists()
        )
        campaigns = Campaign.objects.for_workspace(workspace).exclude(status__in=FINISHED)
        if others:
            campaigns = campaigns.filter(Q(created_by_id=user.pk))
        for campaign in campaigns:
            campaign.workspace = workspace
            try:
                campaign_cancel(campaign=campaign)
            except ValidationError:
                continue  # finished meanwhile
            log.info("campaign %s cancelled: its account is being deleted", campaign.pk)
