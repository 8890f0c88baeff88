"""Audience exclusions: lists and segments left out of a campaign, in the form, the API and
at send time together with suppression."""

from __future__ import annotations

import pytest

from mailsoftly.campaigns import audience, services
from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import SuppressionReason
from tests.campaigns.helpers import make_campaign, make_list


def _segment(workspace, name, suffix):
    return contact_services.segment_create(
        workspace=workspace,
        name=name,
        rules={
            "match": "all",
            "conditions": [{"field": "email", "op": "ends_with", "value": suffix}],
        },
    )


@pytest.fixture
def audience_setup(workspace):
    """List A: six people; list C: two of them; segment D: the ones at vip.example."""
    list_a, _ = make_list(
        workspace,
        [
            ("a1@example.org", "A1"),
            ("a2@example.org", "A2"),
            ("v1@vip.example", "V1"),
            ("v2@vip.example", "V2"),
            ("s1@example.org", "S1"),
        ],
        name="A",
    )
    list_c = contact_services.contact_list_create(workspace=workspace, name="C")
    contact_services.contact_create(
        workspace=workspace, email="c1@example.org", list_ids=[list_c.pk, list_a.pk]
    )
    return list_a, list_c, _segment(workspace, "D", "@vip.example")


def _emails(campaign):
    return set(audience.audience_queryset(campaign=campaign).values_list("email", flat=True))


def test_excluded_list_and_segment_are_left_out(workspace, audience_setup):
    list_a, list_c, segment_d = audience_setup
    campaign = make_campaign(
        workspace,
        list_a,
        exclude_list_ids=[list_c.pk],
        exclude_segment_ids=[segment_d.pk],
    )
    assert _emails(campaign) == {"a1@example.org", "a2@example.org", "s1@example.org"}


def test_segment_narrowing_and_segment_exclusion_combine(workspace, audience_setup):
    list_a, _list_c, segment_d = audience_setup
    example_org = _segment(workspace, "B", "@example.org")
    campaign = make_campaign(
        workspace, list_a, segment_id=example_org.pk, exclude_segment_ids=[segment_d.pk]
    )
    assert _emails(campaign) == {
        "a1@example.org",
        "a2@example.org",
        "c1@example.org",
        "s1@example.org",
    }


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_the_frozen_audience_is_the_audience_whatever_the_page_size(
    workspace, audience_setup, batch_size
):
    """The freeze walks the lists' members page by page; every page size gives the same
    deliveries, each contact once (c1 is on two of the campaign's lists)."""
    list_a, list_c, segment_d = audience_setup
    example_org = _segment(workspace, "B", "@example.org")
    campaign = make_campaign(
        workspace, list_a, segment_id=example_org.pk, exclude_segment_ids=[segment_d.pk]
    )
    campaign.list_ids = [list_a.pk, list_c.pk]
    written = audience.freeze(campaign=campaign, batch_size=batch_size)
    frozen = list(Delivery.objects.for_workspace(workspace).values_list("email", flat=True))
    assert written == len(frozen) == len(set(frozen))
    assert (
        set(frozen)
        == _emails(campaign)
        == {
            "a1@example.org",
            "a2@example.org",
            "c1@example.org",
            "s1@example.org",
        }
    )


def test_send_applies_exclusions_and_suppression_together(
    workspace, audience_setup, django_capture_on_commit_callbacks
):
    list_a, list_c, segment_d = audience_setup
    contact_services.suppression_add(
        workspace=workspace, email="s1@example.org", reason=SuppressionReason.MANUAL
    )
    campaign = make_campaign(
        workspace, list_a, exclude_list_ids=[list_c.pk], exclude_segment_ids=[segment_d.pk]
    )
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    rows = dict(Delivery.objects.for_workspace(workspace).values_list("email", "status"))
    assert rows == {
        "a1@example.org": DeliveryStatus.SENT,
        "a2@example.org": DeliveryStatus.SENT,
        "s1@example.org": DeliveryStatus.SKIPPED,
    }
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert (campaign.total_count, campaign.sent_count, campaign.skipped_count) == (3, 2, 1)


def test_compose_form_saves_segment_exclusions(logged_in_client, workspace, audience_setup):
    from tests.campaigns.helpers import make_design

    list_a, _list_c, segment_d = audience_setup
    design = make_design(workspace)
    response = logged_in_client.post(
        "/campaigns/new/",
        {
            "name": "With exclusions",
            "design": design.pk,
            "list_ids": [list_a.pk],
            "exclude_segment_ids": [segment_d.pk],
        },
    )
    assert response.status_code == 302, response.content
    campaign = Campaign.objects.for_workspace(workspace).get(name="With exclusions")
    assert campaign.exclude_segment_ids == [segment_d.pk]
    page = logged_in_client.get(f"/campaigns/{campaign.pk}/edit/")
    assert b"Leave out contacts in segments" in page.content


def test_api_create_takes_segment_exclusions_and_refuses_unknown_ones(
    client, workspace, user, audience_setup
):
    from tests.api.helpers import auth, make_key, subscribe_pro

    subscribe_pro(workspace)
    token = make_key(workspace, user)[1]
    list_a, _list_c, segment_d = audience_setup
    created = client.post(
        "/api/v1/campaigns",
        {"name": "API", "list_ids": [list_a.pk], "exclude_segment_ids": [segment_d.pk]},
        content_type="application/json",
        headers=auth(token),
    )
    assert created.status_code == 201, created.content
    assert created.json()["exclude_segment_ids"] == [segment_d.pk]
    refused = client.post(
        "/api/v1/campaigns",
        {"name": "Bad", "list_ids": [list_a.pk], "exclude_segment_ids": [987654]},
        content_type="application/json",
        headers=auth(token),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "exclude_segment_ids"
    assert not Campaign.objects.for_workspace(workspace).filter(name="Bad").exists()
