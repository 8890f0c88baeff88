"""Managing webhook endpoints over the API (P15)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.policy("P15")


def test_create_list_messages_and_delete_an_endpoint(api, settings, workspace):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    created = api.post(
        "/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["contact.created"]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    eid = body["id"]
    assert "secret" not in api.get(f"/webhooks/{eid}").json()
    assert [e["id"] for e in api.get("/webhooks").json()] == [eid]
    assert api.get(f"/webhooks/{eid}/messages").json() == {"items": [], "next_cursor": None}
    assert api.delete(f"/webhooks/{eid}").status_code == 204
    assert api.get(f"/webhooks/{eid}").status_code == 404


def test_private_target_and_unknown_event_are_field_errors(api):
    response = api.post(
        "/webhooks", {"url": "http://169.254.169.254/", "events": ["contact.exploded"]}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"url", "events"}
