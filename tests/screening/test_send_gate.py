"""The send path itself calls the screen: risky content never leaves (P16)."""

import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.designs.models import Design
from tests.campaigns.helpers import make_campaign, make_list

PHISH = (
    "<html><body><p>Dear customer, your account is suspended. Verify your account now "
    "or it will be closed.</p>"
    '<p><a href="http://paypa1-secure.example.net/login">https://www.paypal.com/signin</a></p>'
    '<form action="http://paypa1-secure.example.net/steal"><input type="password" name="p"></form>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)


@pytest.mark.policy("P16")
def test_a_phishing_campaign_is_stopped_before_its_first_message(
    workspace, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.relay_for(workspace, max_connections=1)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann")])
    campaign = make_campaign(workspace, contact_list)
    Design.objects.for_workspace(workspace).filter(pk=campaign.design_id).update(
        compiled_html=PHISH, compiled_text="Verify your account", source=PHISH
    )
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    campaign.refresh_from_db()
    assert smtp_server.messages == []
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign.status_reason
    assert campaign.sent_count == 0
