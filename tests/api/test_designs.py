"""Designs over the API: create, update, versions, restore, test send (P15, P16)."""

from __future__ import annotations

import json

import pytest

from mailsoftly.designs import selectors
from tests.api.helpers import auth, make_key
from tests.designs.factories import make_design

pytestmark = pytest.mark.policy("P15")

HTML = "<p>Hello {{ contact.first_name | default('there') }}</p>"
PHISHING_HTML = (
    "<html><body><p>Dear customer, we noticed unusual activity. Please verify your "
    "account within 24 hours or it will be suspended.</p>"
    '<p><a href="https://account-review.example/login">https://shop.example/account</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)


@pytest.fixture
def sink(smtp_server, settings):
    settings.SENDING_SMTP_URL = smtp_server.url
    return smtp_server


def _create(api, **fields):
    body = {
        "name": "Launch",
        "subject": "Hi {{ contact.first_name }}",
        "from_name": "Acme",
        "from_email": "news@acme.example",
        "source_kind": "html",
        "source": HTML,
        **fields,
    }
    return api.post("/designs", body)


def test_create_compiles_and_returns_the_design(api, workspace):
    response = _create(api, track_opens_clicks=False)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == HTML and body["source_kind"] == "html"
    assert body["track_opens_clicks"] is False and body["published"] is False
    design = selectors.access_design(workspace=workspace, id=body["id"])
    assert "Hello" in design.compiled_html
    assert api.get(f"/designs/{design.pk}").json()["name"] == "Launch"
    assert [d["id"] for d in api.get("/designs").json()["items"]] == [design.pk]


def test_a_template_error_is_a_422_naming_line_and_column_and_nothing_is_saved(api, workspace):
    response = _create(api, source="<p>ok</p>\n<p>{{ contact.first_name </p>")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "source"
    assert error["message"].startswith("Line 2, column ")
    assert selectors.design_list(workspace=workspace).count() == 0


def test_a_visual_design_is_created_from_the_editors_json(api, workspace):
    source = json.dumps(
        {"html": '<p class="x">Visual {{ contact.first_name }}</p>', "css": ".x{color:#123456}"}
    )
    response = _create(api, source_kind="visual", source=source)
    assert response.status_code == 201, response.content
    design = selectors.access_design(workspace=workspace, id=response.json()["id"])
    assert "color:#123456" in design.compiled_html.replace(" ", "")
    bad = _create(api, source_kind="visual", source="<p>not the editor's JSON</p>")
    assert bad.status_code == 422
    assert "visual editor" in bad.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"from_email": "not an address"}, "from_email"),
        ({"reply_to": "x@"}, "reply_to"),
        ({"from_name": "Acme\r\nBcc: victim@example.com"}, "from_name"),
        ({"subject": "Hi\r\nBcc: victim@example.com"}, "subject"),
        ({"source_kind": "docx"}, "source_kind"),
        ({"layout_id": 999999}, "layout_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_precise_422_and_nothing_is_written(api, workspace, fields, field):
    response = _create(api, **fields)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert selectors.design_list(workspace=workspace).count() == 0


def test_update_versions_and_restore(api, workspace):
    design_id = _create(api).json()["id"]
    changed = api.patch(f"/designs/{design_id}", {"source": "<p>Second</p>", "name": "Renamed"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["source"] == "<p>Second</p>"
    versions = api.get(f"/designs/{design_id}/versions").json()["items"]
    assert [v["source"] for v in versions] == ["<p>Second</p>", HTML]
    restored = api.post(f"/designs/{design_id}/versions/{versions[1]['id']}/restore")
    assert restored.status_code == 200, restored.content
    assert restored.json()["source"] == HTML
    assert len(api.get(f"/designs/{design_id}/versions").json()["items"]) == 3


def test_a_bad_update_changes_nothing(api, workspace):
    design_id = _create(api).json()["id"]
    response = api.patch(f"/designs/{design_id}", {"source": "{% for %}", "name": "Other"})
    assert response.status_code == 422
    design = selectors.access_design(workspace=workspace, id=design_id)
    assert design.source == HTML and design.name == "Launch"
    assert api.patch(f"/designs/{design_id}", {"name": None}).status_code == 422


def test_a_version_of_another_design_is_not_found(api, workspace):
    first = _create(api).json()["id"]
    second = _create(api).json()["id"]
    version = api.get(f"/designs/{first}/versions").json()["items"][0]["id"]
    assert api.post(f"/designs/{second}/versions/{version}/restore").status_code == 404


def test_delete_moves_to_trash(api, workspace):
    design_id = _create(api).json()["id"]
    assert api.delete(f"/designs/{design_id}").status_code == 204
    assert api.get(f"/designs/{design_id}").status_code == 404


def test_writes_need_the_write_scope(client, workspace, user):
    _key, token = make_key(workspace, user, scopes=["designs:read"])
    response = client.post(
        "/api/v1/designs",
        {"name": "x", "source_kind": "html", "source": HTML},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 403
    assert "designs:write" in response.json()["detail"]
    assert selectors.design_list(workspace=workspace).count() == 0


def test_test_send_goes_out_marked_test(api, workspace, sink):
    design_id = _create(api).json()["id"]
    response = api.post(
        f"/designs/{design_id}/test-send", {"recipients": ["a@example.com", "b@example.com"]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"sent": ["a@example.com", "b@example.com"], "failed": []}
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["a@example.com", "b@example.com"]
    assert sink.messages[0].message["Subject"] == "[TEST] Hi Alex"


@pytest.mark.parametrize(
    "recipients",
    [
        [],
        [f"{i}@example.com" for i in range(6)],
        ["a@example.com, b@example.com"],
        ["a@example.com\r\nBcc: victim@example.com"],
        ["not-an-address"],
    ],
)
def test_bad_test_recipients_are_refused(api, workspace, sink, recipients):
    design_id = _create(api).json()["id"]
    response = api.post(f"/designs/{design_id}/test-send", {"recipients": recipients})
    assert response.status_code == 422, response.content
    assert sink.messages == []


@pytest.mark.policy("P16")
def test_a_phishing_test_send_is_refused_with_the_reasons(api, workspace, user, sink):
    design = make_design(
        workspace,
        user,
        subject="Your account",
        from_email="news@acme.example",
        source_kind="html",
        source=PHISHING_HTML,
    )
    response = api.post(f"/designs/{design.pk}/test-send", {"recipients": ["a@example.com"]})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["type"].endswith("/screening-refused")
    assert any("account-review.example" in e["message"] for e in body["errors"])
    assert sink.messages == []


@pytest.mark.policy("P01")
def test_publish_gives_a_public_url_and_unpublish_takes_it_down(api, client, workspace):
    design_id = _create(api).json()["id"]
    assert api.get(f"/designs/{design_id}").json()["public_url"] is None
    published = api.post(f"/designs/{design_id}/publish")
    assert published.status_code == 200, published.content
    url = published.json()["public_url"]
    assert published.json()["published"] is True
    path = "/" + url.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    assert "Hello there" in page.content.decode()  # neutral data, no contact
    unpublished = api.post(f"/designs/{design_id}/unpublish")
    assert unpublished.json()["public_url"] is None
    assert client.get(path).status_code == 404


def test_render_with_sample_data_or_a_contact(api, workspace):
    from mailsoftly.contacts import services as contact_services

    design_id = _create(api).json()["id"]
    sample = api.get(f"/designs/{design_id}/render").json()
    assert sample["subject"] == "Hi Alex" and "Hello Alex" in sample["html"]
    contact = contact_services.contact_create(
        workspace=workspace, email="zoe@example.org", first_name="Zoë"
    )
    rendered = api.get(f"/designs/{design_id}/render", contact_id=contact.pk).json()
    assert rendered["subject"] == "Hi Zoë" and "Hello Zoë" in rendered["text"]
    missing = api.get(f"/designs/{design_id}/render", contact_id=999999)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "contact_id"
