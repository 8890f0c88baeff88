"""Campaigns, designs and reports over the API (P15)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailsoftly.campaigns import selectors as campaign_selectors
from mailsoftly.campaigns import services as campaign_services
from mailsoftly.core import clock
from tests.campaigns.helpers import make_campaign, make_design, make_list, people

pytestmark = pytest.mark.policy("P15")


def test_create_campaign_refers_only_to_own_objects(api, workspace):
    contact_list, _contacts = make_list(workspace, people(2))
    design = make_design(workspace)
    response = api.post(
        "/campaigns", {"name": "Hi", "design_id": design.pk, "list_ids": [contact_list.pk]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["list_ids"] == [contact_list.pk]
    bad = api.post("/campaigns", {"name": "Hi", "design_id": 999999, "list_ids": [424242]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"design_id", "list_ids"}
    assert campaign_selectors.campaign_list(workspace=workspace).count() == 1


def test_schedule_pause_resume_cancel(api, workspace):
    contact_list, _contacts = make_list(workspace, people(2))
    campaign = make_campaign(workspace, contact_list)
    at = (clock.now() + timedelta(days=1)).isoformat()
    response = api.post(f"/campaigns/{campaign.pk}/schedule", {"at": at})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "scheduled"
    conflict = api.post(f"/campaigns/{campaign.pk}/pause")
    assert conflict.status_code == 409
    assert conflict["Content-Type"] == "application/problem+json"
    campaign_services.campaign_send(campaign=campaign, enqueue=False)
    assert api.post(f"/campaigns/{campaign.pk}/pause").json()["status"] == "paused"
    resumed = api.post(f"/campaigns/{campaign.pk}/resume")
    assert resumed.status_code == 200, resumed.content
    assert api.post(f"/campaigns/{campaign.pk}/cancel").json()["status"] == "cancelled"
    assert api.post(f"/campaigns/{campaign.pk}/cancel").status_code == 409


def test_schedule_in_the_past_is_422(api, workspace):
    contact_list, _contacts = make_list(workspace, people(1))
    campaign = make_campaign(workspace, contact_list)
    past = (clock.now() - timedelta(days=1)).isoformat()
    response = api.post(f"/campaigns/{campaign.pk}/schedule", {"at": past})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scheduled_at"


def test_campaign_list_get_and_report(api, workspace):
    contact_list, _contacts = make_list(workspace, people(1))
    campaign = make_campaign(workspace, contact_list)
    assert [c["id"] for c in api.get("/campaigns").json()["items"]] == [campaign.pk]
    assert api.get(f"/campaigns/{campaign.pk}").json()["name"] == campaign.name
    report = api.get(f"/campaigns/{campaign.pk}/report")
    assert report.status_code == 200 and report.json()["recipients"] == 0


def test_designs_list_and_get(api, workspace):
    design = make_design(workspace)
    assert [d["id"] for d in api.get("/designs").json()["items"]] == [design.pk]
    assert api.get(f"/designs/{design.pk}").json()["subject"] == design.subject
