import pytest
from django.urls import reverse

from mailsoftly.tracking import tokens
from mailsoftly.tracking.recorder import drain
from mailsoftly.tracking.selectors import MIN_RECIPIENTS, MIN_WORKSPACES, platform_statistics

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


def test_report_page_shows_rates_from_counters(logged_in_client, sent_campaign, deliveries):
    logged_in_client.get(
        reverse(
            "tracking:open", args=[tokens.open_token(region="us", delivery_id=deliveries[0].pk)]
        ),
        HTTP_USER_AGENT=HUMAN_UA,
    )
    drain(claim_idle_ms=0)
    page = logged_in_client.get(
        reverse("tracking:report", args=[sent_campaign.pk])
    ).content.decode()
    assert 'data-metric="delivered">3<' in page
    assert 'data-metric="open_rate">33.3%<' in page
    assert 'data-metric="interested_rate">33.3%<' in page


def test_report_downloads_as_csv_and_xlsx(logged_in_client, sent_campaign):
    csv = logged_in_client.get(reverse("tracking:report_export", args=[sent_campaign.pk, "csv"]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "Delivered,3" in csv.content.decode()
    xlsx = logged_in_client.get(reverse("tracking:report_export", args=[sent_campaign.pk, "xlsx"]))
    assert xlsx.content[:2] == b"PK"
    assert (
        logged_in_client.get(
            reverse("tracking:report_export", args=[sent_campaign.pk, "pdfx"])
        ).status_code
        == 404
    )


@pytest.mark.policy("P17")
def test_platform_statistics_are_suppressed_for_small_groups(sent_campaign):
    assert MIN_WORKSPACES == 10 and MIN_RECIPIENTS == 100
    stats = platform_statistics()
    assert stats == {"suppressed": True, "reason": "too few workspaces or recipients to report"}


@pytest.mark.policy("P17")
def test_platform_statistics_name_no_workspace_or_recipient(
    user, django_capture_on_commit_callbacks
):
    from mailsoftly.campaigns.models import Campaign
    from mailsoftly.teams.services import workspace_create
    from tests.campaigns.helpers import make_campaign, make_list, people

    names = []
    for i in range(MIN_WORKSPACES):
        ws = workspace_create(owner=user, name=f"Team {i}")
        contact_list, _ = make_list(ws, people(11, domain=f"d{i}.example"))
        campaign = make_campaign(ws, contact_list)
        names.append(campaign.name)
        from mailsoftly.campaigns import services

        with django_capture_on_commit_callbacks(execute=True, using=ws.database):
            services.campaign_send(campaign=campaign)
        assert Campaign.objects.for_workspace(ws).get(pk=campaign.pk).sent_count == 11
    stats = platform_statistics()
    assert stats["suppressed"] is False
    assert stats["workspaces"] == MIN_WORKSPACES
    assert stats["recipients"] == 100  # 110, rounded: no exact count to difference against
    flat = repr(stats)
    assert "Team" not in flat and "@" not in flat and "example" not in flat
    assert set(stats) == {
        "suppressed",
        "workspaces",
        "recipients",
        "delivered",
        "open_rate",
        "click_rate",
        "interested_rate",
        "very_interested_rate",
    }


def test_platform_statistics_page_is_staff_only(logged_in_client):
    assert logged_in_client.get(reverse("tracking:platform_statistics")).status_code == 302
