"""The API's bulk upsert goes through contacts_upsert_many (P15)."""

from __future__ import annotations

import pytest

from mailsoftly.contacts import selectors
from mailsoftly.contacts import services as contact_services
from mailsoftly.contacts.models import ConsentRecord, ContactEvent
from mailsoftly.webhooks.models import WebhookMessage
from mailsoftly.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.policy("P15")


def test_ten_thousand_new_contacts_in_one_request(api, workspace):
    items = [{"email": f"p{i}@example.org", "first_name": f"P{i}"} for i in range(10_000)]
    response = api.post("/contacts/bulk", {"items": items})
    assert response.status_code == 200, response.content[:500]
    assert response.json() == {"created": 10_000, "updated": 0, "suppressed": []}
    assert selectors.contact_count(workspace=workspace) == 10_000
    consent = ConsentRecord.objects.for_workspace(workspace)
    assert consent.count() == 10_000
    assert consent.filter(source="api", location__startswith="api-key:").count() == 10_000
    assert ContactEvent.objects.for_workspace(workspace).filter(kind="created").count() == 10_000


def test_bulk_update_merges_fields_and_keeps_absent_names(api, workspace):
    contact_services.custom_field_create(
        workspace=workspace, key="city", label="City", field_type="text"
    )
    contact_services.custom_field_create(
        workspace=workspace, key="age", label="Age", field_type="number"
    )
    contact_services.contact_create(
        workspace=workspace,
        email="a@example.org",
        first_name="Ann",
        last_name="Lee",
        fields={"city": "Rome", "age": "40"},
    )
    response = api.post(
        "/contacts/bulk", {"items": [{"email": "A@example.org", "fields": {"city": "Oslo"}}]}
    )
    assert response.json() == {"created": 0, "updated": 1, "suppressed": []}
    contact = selectors.contact_list(workspace=workspace).get()
    assert (contact.first_name, contact.last_name) == ("Ann", "Lee")
    assert contact.fields == {"city": "Oslo", "age": 40}


def test_bulk_errors_name_each_bad_item_and_nothing_is_written(api, workspace):
    contact_services.custom_field_create(
        workspace=workspace, key="age", label="Age", field_type="number"
    )
    items = [
        {"email": "ok@example.org"},
        {"email": "OK@example.org"},
        {"email": "x@example.org", "fields": {"age": "old"}},
        {"email": "y@example.org", "fields": {"nope": 1}},
    ]
    response = api.post("/contacts/bulk", {"items": items})
    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["items[1].email", "items[2].field_age", "items[3].field_nope"]
    assert selectors.contact_count(workspace=workspace) == 0


def test_suppressed_addresses_come_back_and_are_not_created(api, workspace):
    contact_services.suppression_add(
        workspace=workspace, email="gone@example.org", reason="unsubscribed"
    )
    response = api.post(
        "/contacts/bulk", {"items": [{"email": "gone@example.org"}, {"email": "new@example.org"}]}
    )
    assert response.json() == {"created": 1, "updated": 0, "suppressed": ["gone@example.org"]}
    assert [c.email for c in selectors.contact_list(workspace=workspace)] == ["new@example.org"]


def test_bulk_upsert_emits_one_event_per_contact(api, workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    webhook_endpoint_create(
        workspace=workspace,
        url="http://127.0.0.1:9/hook",
        events=["contact.created", "contact.updated"],
    )
    contact_services.contact_create(workspace=workspace, email="old@example.org")
    WebhookMessage.objects.for_workspace(workspace).delete()
    api.post(
        "/contacts/bulk",
        {"items": [{"email": "old@example.org", "first_name": "O"}, {"email": "n@example.org"}]},
    )
    sent = WebhookMessage.objects.for_workspace(workspace).order_by("event")
    assert [(m.event, m.payload["data"]["contact"]["email"]) for m in sent] == [
        ("contact.created", "n@example.org"),
        ("contact.updated", "old@example.org"),
    ]
