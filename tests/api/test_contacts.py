"""Contacts, lists, segments, fields and suppression over the API (P15)."""

from __future__ import annotations

import json

import pytest

from mailsoftly.contacts import selectors
from mailsoftly.contacts import services as contact_services
from mailsoftly.teams.services import workspace_create
from tests.api.helpers import auth, make_key, subscribe_pro
from tests.factories import UserFactory

pytestmark = pytest.mark.policy("P15")


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def test_create_get_update_delete_contact(api, workspace):
    created = api.post("/contacts", {"email": "Ann@Example.org", "first_name": "Ann"})
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    got = api.get(f"/contacts/{cid}")
    assert got.json()["email"].lower() == "ann@example.org"
    patched = api.patch(f"/contacts/{cid}", {"last_name": "Lee"})
    assert patched.status_code == 200 and patched.json()["last_name"] == "Lee"
    assert api.delete(f"/contacts/{cid}").status_code == 204
    assert selectors.contact_count(workspace=workspace) == 0
    _problem(api.get(f"/contacts/{cid}"), 404)


def test_contact_create_validation_is_field_problem_and_writes_nothing(api, workspace):
    body = _problem(api.post("/contacts", {"email": "not an address"}), 422)
    assert body["errors"][0]["field"] == "email"
    body = _problem(api.post("/contacts", {"email": "a@example.org", "colour": "red"}), 422)
    assert any(e["field"] == "colour" for e in body["errors"])
    body = _problem(api.post("/contacts", {"email": 5}), 422)
    assert any(e["field"] == "email" for e in body["errors"])
    assert selectors.contact_count(workspace=workspace) == 0


def test_duplicate_contact_is_refused(api):
    assert api.post("/contacts", {"email": "a@example.org"}).status_code == 201
    body = _problem(api.post("/contacts", {"email": "A@example.org"}), 422)
    assert body["errors"][0]["field"] == "email"


def test_invalid_json_deep_nesting_and_huge_body(api, client, api_token, workspace):
    response = client.post(
        "/api/v1/contacts", "{not json", content_type="application/json", headers=auth(api_token)
    )
    _problem(response, 400)
    deep = "[" * 5000 + "]" * 5000
    response = client.post(
        "/api/v1/contacts", deep, content_type="application/json", headers=auth(api_token)
    )
    _problem(response, 400)
    huge = json.dumps({"email": "a@example.org", "first_name": "x" * (10 * 1024 * 1024)})
    response = client.post(
        "/api/v1/contacts", huge, content_type="application/json", headers=auth(api_token)
    )
    _problem(response, 413)
    assert selectors.contact_count(workspace=workspace) == 0


def test_cursor_pagination_walks_every_contact_once(api, workspace):
    for i in range(7):
        contact_services.contact_create(workspace=workspace, email=f"p{i}@example.org")
    for sort in ("-id", "id", "email", "-created_at"):
        seen, cursor = [], None
        while True:
            params = {"limit": 3, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/contacts", **params).json()
            seen += [c["email"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == 7 and len(set(seen)) == 7, sort
    emails = [c["email"] for c in api.get("/contacts", sort="email", limit=50).json()["items"]]
    assert emails == sorted(emails)


def test_invalid_cursor_sort_and_limit_are_400(api):
    _problem(api.get("/contacts", cursor="!!!"), 400)
    _problem(api.get("/contacts", cursor="eyJ4IjogMX0"), 400)  # {"x": 1}
    _problem(api.get("/contacts", sort="password"), 400)
    _problem(api.get("/contacts", limit=100000), 400)


def test_filter_by_status_and_list(api, workspace):
    contact_list = contact_services.contact_list_create(workspace=workspace, name="VIP")
    contact_services.contact_create(
        workspace=workspace, email="in@example.org", list_ids=[contact_list.pk]
    )
    contact_services.contact_create(workspace=workspace, email="out@example.org")
    items = api.get("/contacts", list_id=contact_list.pk).json()["items"]
    assert [c["email"] for c in items] == ["in@example.org"]
    assert api.get("/contacts", search="out").json()["items"][0]["email"] == "out@example.org"


def test_bulk_upsert_creates_and_updates(api, workspace):
    contact_services.contact_create(workspace=workspace, email="old@example.org", first_name="Old")
    response = api.post(
        "/contacts/bulk",
        {"items": [{"email": "old@example.org", "first_name": "New"}, {"email": "b@example.org"}]},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 1, "suppressed": []}
    names = {c.email: c.first_name for c in selectors.contact_list(workspace=workspace)}
    assert names == {"old@example.org": "New", "b@example.org": ""}


def test_bulk_upsert_with_one_bad_item_writes_nothing(api, workspace):
    body = _problem(
        api.post("/contacts/bulk", {"items": [{"email": "ok@example.org"}, {"email": "bad"}]}), 422
    )
    assert body["errors"][0]["field"] == "items[1].email"
    assert selectors.contact_count(workspace=workspace) == 0


def test_bulk_upsert_refuses_more_than_10000(api, workspace):
    items = [{"email": f"p{i}@example.org"} for i in range(10_001)]
    _problem(api.post("/contacts/bulk", {"items": items}), 422)
    assert selectors.contact_count(workspace=workspace) == 0


def test_lists_crud(api, workspace):
    created = api.post("/lists", {"name": "Weekly"})
    assert created.status_code == 201
    lid = created.json()["id"]
    assert api.patch(f"/lists/{lid}", {"name": "Weekly news"}).json()["name"] == "Weekly news"
    assert [x["id"] for x in api.get("/lists").json()["items"]] == [lid]
    _problem(api.post("/lists", {"name": "  "}), 422)
    assert api.delete(f"/lists/{lid}").status_code == 204
    _problem(api.get(f"/lists/{lid}"), 404)


def test_segments_fields_and_suppression(api, workspace):
    field = api.post("/fields", {"key": "plan", "label": "Plan", "field_type": "text"})
    assert field.status_code == 201, field.content
    assert api.get("/fields").json()[0]["key"] == "plan"
    seg = api.post(
        "/segments",
        {
            "name": "Pro",
            "rules": {
                "match": "all",
                "conditions": [{"field": "field:plan", "op": "eq", "value": "pro"}],
            },
        },
    )
    assert seg.status_code == 201, seg.content
    assert api.get(f"/segments/{seg.json()['id']}").json()["name"] == "Pro"
    bad = {"name": "Bad", "rules": {"conditions": [{"field": "nope", "op": "eq", "value": 1}]}}
    assert _problem(api.post("/segments", bad), 422)["errors"][0]["field"] == "rules"
    sup = api.post("/suppression", {"email": "no@example.org"})
    assert sup.status_code == 201
    assert api.get("/suppression").json()["items"][0]["email"] == "no@example.org"


def test_another_workspaces_key_cannot_see_this_workspace(client, workspace, user):
    contact = contact_services.contact_create(workspace=workspace, email="mine@example.org")
    other_user = UserFactory()
    other = workspace_create(owner=other_user, name="Other")
    subscribe_pro(other)
    _key, token = make_key(other, other_user)
    assert client.get(f"/api/v1/contacts/{contact.pk}", headers=auth(token)).status_code == 404
    assert client.get("/api/v1/contacts", headers=auth(token)).json()["items"] == []


def test_eu_workspace_contacts_through_the_api(client, eu_workspace, user):
    subscribe_pro(eu_workspace)
    _key, token = make_key(eu_workspace, user)
    response = client.post(
        "/api/v1/contacts",
        {"email": "eu@example.org"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 201
    assert selectors.contact_count(workspace=eu_workspace) == 1


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/contacts" in paths and "/api/v1/campaigns/{campaign_id}/pause" in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_bulk_upsert_past_the_plan_limit_is_403_and_writes_nothing(api, workspace):
    from mailsoftly.billing.models import Plan

    Plan.objects.filter(code="pro").update(contacts_limit=2)
    items = [{"email": f"p{i}@example.org"} for i in range(3)]
    body = _problem(api.post("/contacts/bulk", {"items": items}), 403)
    assert "2" in body["detail"]
    assert selectors.contact_count(workspace=workspace) == 0
