"""In a real browser: a phishing-like design is held, shown in the review queue, approved
by an operator, and then sent (policy P16).

The campaign goes through the real send path: the send task asks the screening gate
before its first message and pauses the campaign on a hold; the operator's approval
resumes it (``campaigns.services.campaign_resume``) and the messages go out.
"""

from __future__ import annotations

import pytest

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.screening.services import screening_gate
from mailsoftly.sending.models import CapturedMessage
from tests.campaigns.helpers import make_list, people
from tests.factories import UserFactory
from tests.plugins.browser import signed_in_page
from tests.screening.helpers import PHISH_HTML, make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.policy("P16")]


def test_phishing_design_is_held_reviewed_approved_and_sent(
    _chromium, live_server, workspace, settings
):
    settings.SCREENING_SPAMASSASSIN = False
    contact_list, _contacts = make_list(workspace, people(2))
    campaign = make_campaign(workspace, html=PHISH_HTML, subject="Account notice")
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        list_ids=[contact_list.pk]
    )

    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    campaign_services.campaign_send(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign.status_reason == "This email is waiting for a review by our team."
    assert not CapturedMessage.objects.for_workspace(workspace).exists()

    staff = UserFactory(is_staff=True, username="operator")
    context, page = signed_in_page(_chromium, live_server.url, staff)
    try:
        page.set_viewport_size({"width": 390, "height": 844})  # phone width
        page.goto("/screening/review/")
        if page.locator("#cookie-banner").count():
            page.get_by_role("button", name="Only essential cookies").click()
        page.get_by_role("link", name="Account notice").click()
        page.get_by_text("verify your account", exact=False).first.wait_for()
        frame = page.locator("iframe[sandbox]")
        assert frame.get_attribute("sandbox") == ""
        page.get_by_label("Approve: it may be sent").check()
        page.get_by_label("Comment for the sender").fill("Checked with the customer")
        page.get_by_role("button", name="Save decision").click()
        page.get_by_text("Decision saved").wait_for()
        assert "Nothing is waiting for review." in page.locator("main").inner_text()
    finally:
        context.close()

    # The approval resumed the campaign, and it went out through the normal send path.
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    sent = CapturedMessage.objects.for_workspace(workspace).filter(campaign_id=campaign.pk)
    assert sent.count() == 2
    assert screening_gate(workspace=workspace, campaign_id=campaign.pk).allowed
