"""Campaign pages: create, detail with progress, actions, captured mail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailsoftly.campaigns.models import Campaign, CampaignStatus
from tests.campaigns.helpers import make_design, make_list, people


@pytest.fixture
def setup(workspace):
    contact_list, _ = make_list(workspace, people(2))
    return contact_list, make_design(workspace)


def test_create_send_and_read_captured_mail(
    logged_in_client, workspace, setup, django_capture_on_commit_callbacks
):
    contact_list, design = setup
    response = logged_in_client.post(
        reverse("campaigns:create"),
        {"name": "Hello", "design": design.pk, "list_ids": [contact_list.pk]},
    )
    campaign = Campaign.objects.for_workspace(workspace).get()
    assert response.status_code == 302
    response = logged_in_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert response.status_code == 200 and b"Send now" in response.content
    report_url = reverse("tracking:report", args=[campaign.pk])
    assert report_url not in response.content.decode()  # a draft has no report yet
    # The design has no From: the send is refused with a message, nothing half-written.
    response = logged_in_client.post(
        reverse("campaigns:action", args=[campaign.pk]), {"action": "send"}, follow=True
    )
    assert "Choose who the campaign is from." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT

    design.from_email = "shop@shop.example"
    design.save()
    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(reverse("campaigns:action", args=[campaign.pk]), {"action": "send"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    detail = logged_in_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert f'href="{report_url}"' in detail.content.decode()
    assert logged_in_client.get(report_url).status_code == 200
    progress = logged_in_client.get(reverse("campaigns:progress", args=[campaign.pk]))
    assert b'data-count="sent">2<' in progress.content
    captured = logged_in_client.get(reverse("campaigns:captured", args=[campaign.pk]))
    assert captured.status_code == 200
    assert b"person1@example.org" in captured.content
    from mailsoftly.sending.models import CapturedMessage

    message = CapturedMessage.objects.for_workspace(workspace).first()
    shown = logged_in_client.get(
        reverse("campaigns:captured", args=[campaign.pk]), {"message": message.pk}
    )
    assert b"<iframe sandbox" in shown.content


def test_create_form_shows_errors_next_to_fields(logged_in_client, workspace):
    response = logged_in_client.post(reverse("campaigns:create"), {"name": ""})
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content
    assert not Campaign.objects.for_workspace(workspace).exists()


def test_schedule_in_the_past_is_refused_next_to_the_field(logged_in_client, workspace, setup):
    contact_list, design = setup
    from mailsoftly.campaigns import services

    campaign = services.campaign_create(
        workspace=workspace, name="X", design=design, list_ids=[contact_list.pk]
    )
    response = logged_in_client.post(
        reverse("campaigns:action", args=[campaign.pk]),
        {"action": "schedule", "scheduled_at": "2001-01-01T10:00"},
    )
    assert response.status_code == 400
    assert b"Choose a time in the future." in response.content
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_list_and_dashboard_show_campaigns(logged_in_client, workspace):
    from mailsoftly.campaigns import services

    services.campaign_create(workspace=workspace, name="Visible one")
    assert b"Visible one" in logged_in_client.get(reverse("campaigns:list")).content
    dashboard = logged_in_client.get(reverse("web:dashboard")).content.decode()
    assert "Campaigns sent" in dashboard


def test_progress_shows_rate_and_time_remaining(logged_in_client, workspace, time_machine):
    import datetime as dt

    from mailsoftly.campaigns import services

    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, 10, tzinfo=dt.UTC), tick=False)
    campaign = services.campaign_create(workspace=workspace, name="Live")
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING,
        started_at=dt.datetime(2026, 11, 25, 9, 0, 0, tzinfo=dt.UTC),
        total_count=100,
        sent_count=40,
    )
    page = logged_in_client.get(reverse("campaigns:progress", args=[campaign.pk])).content
    assert b"4.0 messages per second" in page
    assert b"about 15 s remaining" in page
    assert b'hx-trigger="every 2s"' in page
