"""The campaign report's live figures, engagement per list and per segment, the engagement
level as a segment condition, and the PDF download rendered by headless Chromium."""

import io
import shutil

import pytest
from django.urls import reverse

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, Delivery
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.segments import SegmentError
from mailsoftly.contacts.selectors import segment_count
from mailsoftly.sending import services as sending_services
from mailsoftly.tracking import recorder
from mailsoftly.tracking.selectors import audience_engagement
from mailsoftly.tracking.services import events_ingest, link_get_or_create
from tests.campaigns.helpers import make_design, make_list, people

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def two_lists_campaign(workspace, django_capture_on_commit_callbacks):
    """Sent to "Customers" (3 people) and "Prospects" (2 people); a segment picks one."""
    customers, _buyers = make_list(workspace, people(3, "buy.example"), name="Customers")
    prospects, _ = make_list(workspace, people(2, "maybe.example"), name="Prospects")
    segment = contact_services.segment_create(
        workspace=workspace,
        name="Person 1s",
        rules={"match": "all", "conditions": [{"field": "first_name", "op": "eq", "value": "P1"}]},
    )
    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Shop", from_email="news@shop.example"
    )
    campaign = services.campaign_create(
        workspace=workspace,
        name="Two lists",
        design=make_design(workspace),
        sender=sender,
        list_ids=[customers.pk, prospects.pk],
    )
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    deliveries = {
        d.email: d for d in Delivery.objects.for_workspace(workspace).filter(campaign=campaign)
    }
    return campaign, deliveries, segment


def _engage(campaign, delivery, *, opens=0, links=0):
    events = [
        recorder.new_event(region="us", delivery_id=delivery.pk, kind="open", ua=HUMAN_UA)
        for _ in range(opens)
    ]
    for i in range(links):
        link = link_get_or_create(campaign=campaign, url=f"https://shop.example/{i}")
        events.append(
            recorder.new_event(
                region="us", delivery_id=delivery.pk, kind="click", link_id=link.pk, ua=HUMAN_UA
            )
        )
    assert events_ingest(events=events) == len(events)


def _push_sent_time_back(workspace):
    import datetime as dt

    from mailsoftly.core import clock

    Delivery.objects.for_workspace(workspace).update(sent_at=clock.now() - dt.timedelta(minutes=30))


def test_engagement_per_list_and_segment(workspace, two_lists_campaign):
    campaign, deliveries, segment = two_lists_campaign
    _push_sent_time_back(workspace)
    _engage(campaign, deliveries["person1@buy.example"], opens=3)
    _engage(campaign, deliveries["person2@buy.example"], opens=1)
    _engage(campaign, deliveries["person1@maybe.example"], links=1)

    rows = {(r.kind, r.name): r for r in audience_engagement(campaign=campaign, segment=segment)}
    customers = rows[("list", "Customers")]
    assert (customers.delivered, customers.unique_opens, customers.unique_clicks) == (3, 2, 0)
    assert customers.open_rate == 66.7 and customers.very_interested_rate == 33.3
    prospects = rows[("list", "Prospects")]
    assert (prospects.delivered, prospects.unique_opens, prospects.unique_clicks) == (2, 0, 1)
    assert prospects.interested_rate == 50.0
    person_1s = rows[("segment", "Person 1s")]
    assert (person_1s.delivered, person_1s.interested, person_1s.very_interested) == (2, 2, 1)


def test_audience_fragment_and_bad_segment_choice(logged_in_client, workspace, two_lists_campaign):
    campaign, _deliveries, segment = two_lists_campaign
    url = reverse("tracking:report_audience", args=[campaign.pk])
    page = logged_in_client.get(url).content.decode()
    assert page.count('data-audience="list"') == 2 and 'data-audience="segment"' not in page
    page = logged_in_client.get(url, {"segment": segment.pk}).content.decode()
    assert 'data-audience="segment"' in page and "Person 1s" in page
    for bad in ("abc", "-1", "99999999999", "1 OR 1=1"):
        response = logged_in_client.get(url, {"segment": bad})
        assert response.status_code == 200
        assert "That segment does not exist" in response.content.decode()
    report = logged_in_client.get(reverse("tracking:report", args=[campaign.pk])).content.decode()
    assert f'hx-get="{url}"' in report


def test_exports_carry_the_audience_breakdown(logged_in_client, workspace, two_lists_campaign):
    campaign, _deliveries, _ = two_lists_campaign
    csv = logged_in_client.get(reverse("tracking:report_export", args=[campaign.pk, "csv"]))
    text = csv.content.decode()
    assert "List,Customers,3," in text and "List,Prospects,2," in text


def test_live_figures_fragment_follows_new_events(
    logged_in_client, workspace, two_lists_campaign, settings
):
    settings.TRACKING_REPORT_REFRESH_SECONDS = 3
    campaign, deliveries, _ = two_lists_campaign
    url = reverse("tracking:report_figures", args=[campaign.pk])
    before = logged_in_client.get(url).content.decode()
    assert 'hx-trigger="every 3s"' in before
    assert 'data-metric="open_rate">0.0%<' in before
    _push_sent_time_back(workspace)
    _engage(campaign, deliveries["person1@buy.example"], opens=1)
    after = logged_in_client.get(url).content.decode()
    assert 'data-metric="open_rate">20.0%<' in after


def test_engagement_level_is_a_segment_condition(workspace, two_lists_campaign):
    campaign, deliveries, _ = two_lists_campaign
    _push_sent_time_back(workspace)
    _engage(campaign, deliveries["person1@buy.example"], opens=3)  # very interested
    _engage(campaign, deliveries["person2@buy.example"], opens=1)  # interested
    # A privacy proxy's open does not make anyone interested.
    events_ingest(
        events=[
            recorder.new_event(
                region="us",
                delivery_id=deliveries["person3@buy.example"].pk,
                kind="open",
                ip="17.1.2.3",
                ua="Mozilla/5.0",
            )
        ]
    )

    def count(op, value):
        rules = {"conditions": [{"field": "engagement_level", "op": op, "value": value}]}
        return segment_count(workspace=workspace, rules=rules)

    assert count("eq", "very_interested") == 1
    assert count("eq", "Very interested") == 1
    assert count("eq", "interested") == 1
    assert count("eq", "cold") == 3
    assert count("neq", "cold") == 2
    with pytest.raises(SegmentError, match="engagement level"):
        count("eq", "lukewarm")
    with pytest.raises(SegmentError, match="operator"):
        count("contains", "cold")


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_pdf_download_is_rendered_by_chromium(logged_in_client, workspace, two_lists_campaign):
    from pypdf import PdfReader

    campaign, deliveries, _ = two_lists_campaign
    _push_sent_time_back(workspace)
    _engage(campaign, deliveries["person1@buy.example"], opens=2, links=1)
    response = logged_in_client.get(reverse("tracking:report_export", args=[campaign.pk, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="campaign-' in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Two lists" in text
    assert "Customers" in text and "Prospects" in text
    assert "https://shop.example/0" in text


def test_pdf_without_chromium_says_so_on_the_report(
    logged_in_client, workspace, two_lists_campaign, settings
):
    settings.TRACKING_PDF_CHROMIUM = "/nonexistent/chromium"
    campaign, _, _ = two_lists_campaign
    response = logged_in_client.get(
        reverse("tracking:report_export", args=[campaign.pk, "pdf"]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tracking:report", args=[campaign.pk])
    assert "PDF downloads need Chromium" in response.content.decode()
    assert "/nonexistent/chromium" in response.content.decode()


def test_segment_builder_offers_the_engagement_level(logged_in_client, workspace):
    page = logged_in_client.get(reverse("contacts:segment_create")).content.decode()
    assert 'value="engagement_level"' in page
    response = logged_in_client.post(
        reverse("contacts:segment_count"),
        {"match": "all", "field_0": "engagement_level", "op_0": "eq", "value_0": "warm"},
    )
    assert "cold, interested or very interested" in response.content.decode()
    response = logged_in_client.post(
        reverse("contacts:segment_create"),
        {
            "name": "Cold ones",
            "match": "all",
            "field_0": "engagement_level",
            "op_0": "eq",
            "value_0": "cold",
        },
    )
    assert response.status_code == 302
