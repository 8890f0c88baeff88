from mailsoftly import demo
from mailsoftly.campaigns.models import Campaign
from mailsoftly.teams.models import Workspace
from mailsoftly.tracking.selectors import campaign_report


def test_the_demo_campaign_has_opens_and_clicks_and_seeding_twice_adds_nothing(db):
    demo.seed()
    workspace = Workspace.objects.get(name=demo.DEMO_WORKSPACE)
    campaign = Campaign.objects.for_workspace(workspace).get()
    campaign.workspace = workspace
    first = campaign_report(campaign=campaign)
    assert first.delivered == 50
    assert first.unique_opens > 0 and first.unique_clicks > 0
    demo.seed()
    assert campaign_report(campaign=campaign) == first
