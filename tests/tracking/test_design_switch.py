"""Tracking can be switched off per design: the editor has the switch (on by default), and a
campaign of a design with it off goes out with links as written and no pixel."""

import pytest
from django.urls import reverse

from mailsoftly.campaigns.models import Campaign
from mailsoftly.designs.models import Design
from mailsoftly.tracking.models import Link
from mailsoftly.tracking.selectors import tracking_enabled_for
from mailsoftly.tracking.services import tracking_settings_update
from mailsoftly.tracking.tagging import Tracker
from tests.campaigns.helpers import make_campaign, make_list, people
from tests.designs.factories import make_design

HTML = '<html><body><a href="https://shop.example/a?x=1&amp;y=2">A</a></body></html>'


def _campaign(workspace, *, track: bool):
    contact_list, _ = make_list(workspace, people(1))
    campaign = make_campaign(workspace, contact_list)
    Design.objects.for_workspace(workspace).filter(pk=campaign.design_id).update(
        track_opens_clicks=track
    )
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)


def test_design_editor_has_the_tracking_switch_on_by_default(logged_in_client, user, workspace):
    design = make_design(workspace, user)
    assert design.track_opens_clicks is True
    page = logged_in_client.get(reverse("designs:edit", args=[design.pk]))
    assert page.context["form"]["track_opens_clicks"].value() is True
    assert 'name="track_opens_clicks"' in page.content.decode()

    # An unticked checkbox is absent from the post: tracking goes off.
    form = {
        "name": design.name,
        "subject": design.subject,
        "preheader": design.preheader,
        "source_kind": design.source_kind,
        "source": design.source,
    }
    response = logged_in_client.post(reverse("designs:edit", args=[design.pk]), form)
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.track_opens_clicks is False

    logged_in_client.post(
        reverse("designs:edit", args=[design.pk]), {**form, "track_opens_clicks": "on"}
    )
    design.refresh_from_db()
    assert design.track_opens_clicks is True


@pytest.mark.policy("P13")
def test_design_with_tracking_off_is_sent_as_written(workspace):
    campaign = _campaign(workspace, track=False)
    assert tracking_enabled_for(campaign=campaign) is False
    tracker = Tracker(campaign=campaign)
    assert tracker.tag_html(HTML, 1) == HTML
    assert tracker.tag_text("See https://shop.example/a", 1) == "See https://shop.example/a"
    assert not Link.objects.for_workspace(workspace).filter(campaign=campaign).exists()


@pytest.mark.policy("P13")
def test_design_with_tracking_on_is_tagged_unless_the_workspace_says_no(workspace):
    campaign = _campaign(workspace, track=True)
    assert tracking_enabled_for(campaign=campaign) is True
    tagged = Tracker(campaign=campaign).tag_html(HTML, 1)
    assert "https://shop.example/a" not in tagged and "/o/" in tagged

    tracking_settings_update(workspace=workspace, tracking_enabled=False)
    assert tracking_enabled_for(campaign=campaign) is False
    assert Tracker(campaign=campaign).tag_html(HTML, 1) == HTML


def test_campaign_without_a_design_follows_the_workspace(workspace):
    campaign = _campaign(workspace, track=False)
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(design=None)
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert tracking_enabled_for(campaign=campaign) is True
