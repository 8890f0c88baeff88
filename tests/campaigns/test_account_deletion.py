"""An account disabled for deletion stops its sends at once (P29)."""

import datetime as dt

import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.core import clock
from mailsoftly.lifecycle import services as lifecycle
from tests.campaigns.helpers import make_campaign, make_list, people

PASSWORD = "correct horse battery staple"


@pytest.mark.policy("P29")
def test_deleting_the_account_cancels_its_scheduled_campaigns(
    user, workspace, django_capture_on_commit_callbacks
):
    contact_list, _ = make_list(workspace, people(2))
    campaign = make_campaign(workspace, contact_list, created_by=user)
    services.campaign_schedule(campaign=campaign, at=clock.now() + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.account_deletion_request(user=user, password=PASSWORD)
    assert Campaign.objects.for_workspace(workspace).get(pk=campaign.pk).status == (
        CampaignStatus.CANCELLED
    )
