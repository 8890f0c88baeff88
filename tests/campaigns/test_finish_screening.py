"""When a campaign finishes, screening weighs its bounces (risk_note_campaign)."""

from __future__ import annotations

import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.screening.models import AccountRisk
from tests.campaigns.helpers import make_campaign, make_list, people
from tests.plugins.smtp import SmtpSink, _free_port


class RefusingSink(SmtpSink):
    """Refuses, with a permanent 550, every recipient whose address starts with "gone"."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_server():
    from aiosmtpd.controller import Controller

    sink = RefusingSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def _send(workspace, server, recipients, capture):
    server.relay_for(workspace)
    contact_list, _ = make_list(workspace, recipients)
    campaign = make_campaign(workspace, contact_list)
    with capture(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)


def _signals(workspace) -> dict:
    risk = AccountRisk.objects.filter(workspace=workspace).first()
    return risk.signals if risk else {}


def test_first_campaign_with_many_hard_bounces_raises_the_account_risk(
    workspace, refusing_server, django_capture_on_commit_callbacks
):
    recipients = people(8) + [(f"gone{i}@example.org", "") for i in range(2)]
    campaign = _send(workspace, refusing_server, recipients, django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.sent_count, campaign.bounced_count) == (8, 2)
    assert _signals(workspace)["first_campaign_bounces"] == "2/10"


def test_clean_campaign_adds_no_signal(
    workspace, refusing_server, django_capture_on_commit_callbacks
):
    campaign = _send(workspace, refusing_server, people(5), django_capture_on_commit_callbacks)
    assert campaign.status == CampaignStatus.SENT
    assert "first_campaign_bounces" not in _signals(workspace)
