"""The demo seed leaves a sent campaign whose messages are in the capture."""

from __future__ import annotations

from mailsoftly.campaigns.demo import DEMO_CAMPAIGN, seed_campaign
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.sending.models import CapturedMessage
from tests.campaigns.helpers import make_design, make_list, people


def test_demo_step_sends_a_campaign_into_the_capture_once(workspace, user, settings):
    settings.SENDING_SMTP_URL = "smtp://127.0.0.1:9"  # even with a real server configured
    make_list(workspace, people(4))
    make_design(workspace)
    seed_campaign(workspace=workspace, user=user)
    seed_campaign(workspace=workspace, user=user)  # idempotent
    campaign = Campaign.objects.for_workspace(workspace).get(name=DEMO_CAMPAIGN)
    assert campaign.status == CampaignStatus.SENT
    assert campaign.sent_count == 4
    assert (
        CapturedMessage.objects.for_workspace(workspace).filter(campaign_id=campaign.pk).count()
        == 4
    )
