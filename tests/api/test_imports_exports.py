"""Contact imports (multipart upload, status, error report) and workspace exports (signed
download link) over the API (P15, P25)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mailsoftly.contacts import selectors as contact_selectors
from mailsoftly.contacts import services as contact_services
from tests.api.helpers import auth, make_key

pytestmark = pytest.mark.policy("P15")

CSV = "Email,First name\nann@example.org,Ann\nnot-an-address,Bob\ncleo@example.org,Cleo\n"


def _upload(client, token, content=CSV, name="people.csv", **fields):
    return client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile(name, content.encode()), **fields},
        headers=auth(token),
    )


def _emails(workspace):
    return sorted(c.email for c in contact_selectors.contact_list(workspace=workspace))


def test_upload_starts_the_import_and_status_and_error_report_follow(
    client, api, workspace, django_capture_on_commit_callbacks
):
    contact_list = contact_services.contact_list_create(workspace=workspace, name="Fair")
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        response = _upload(client, api.token, list_id=contact_list.pk)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    import_id = response.json()["id"]
    status = api.get(f"/imports/{import_id}").json()
    assert status["status"] == "done", status
    assert (status["created_count"], status["error_count"]) == (2, 1)
    assert status["list_id"] == contact_list.pk
    assert _emails(workspace) == ["ann@example.org", "cleo@example.org"]
    report = api.get(f"/imports/{import_id}/errors")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/csv")
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0].lstrip("\ufeff") == "row,email,reason"
    assert lines[1].startswith("3,not-an-address,")
    assert [i["id"] for i in api.get("/imports").json()["items"]] == [import_id]


def test_upload_without_start_shows_columns_then_starts_with_a_mapping(
    client, api, workspace, django_capture_on_commit_callbacks
):
    response = _upload(
        client, api.token, "Name,Email Address\nAnn,ann@example.org\n", start="false"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "uploaded"
    assert body["columns"] == ["Name", "Email Address"]
    assert body["suggested_mapping"]["1"] == "email"
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        started = api.post(
            f"/imports/{body['id']}/start", {"mapping": {"0": "first_name", "1": "email"}}
        )
    assert started.status_code == 202, started.content
    assert api.get(f"/imports/{body['id']}").json()["status"] == "done"
    [contact] = contact_selectors.contact_list(workspace=workspace)
    assert (contact.email, contact.first_name) == ("ann@example.org", "Ann")
    again = api.post(f"/imports/{body['id']}/start", {})
    assert again.status_code == 409


def test_a_file_without_an_email_column_is_left_uploaded_with_a_clear_422(client, api, workspace):
    response = _upload(client, api.token, "Name,City\nAnn,Oslo\n")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["errors"][0]["field"] == "mapping"
    assert "email address" in body["errors"][0]["message"]
    assert "POST /imports/" in body["detail"]
    [job] = api.get("/imports").json()["items"]
    assert job["status"] == "uploaded"
    assert _emails(workspace) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"list_id": "999999"}, "list_id"),
        ({"mapping": "[1, 2]"}, "mapping"),
        ({"mapping": "{not json"}, "mapping"),
        ({"mode": "merge"}, "mode"),
    ],
)
def test_bad_import_options_write_nothing(client, api, workspace, fields, field):
    response = _upload(client, api.token, **fields)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert api.get("/imports").json()["items"] == []


def test_an_unreadable_file_is_refused_and_nothing_is_stored(client, api, workspace):
    response = _upload(client, api.token, "\x00\x01\x02garbage", name="x.xlsx")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "file"
    assert api.get("/imports").json()["items"] == []


def test_imports_need_their_scope(client, workspace, user):
    _key, token = make_key(workspace, user, scopes=["contacts:write", "imports:read"])
    response = _upload(client, token)
    assert response.status_code == 403
    assert "imports:write" in response.json()["detail"]


@pytest.mark.policy("P25")
def test_export_gives_a_signed_download_link_that_needs_the_key(
    client, api, workspace, user, django_capture_on_commit_callbacks
):
    contact_services.contact_create(workspace=workspace, email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        response = api.post("/exports", {"format": "json"})
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]
    body = api.get(f"/exports/{export_id}").json()
    assert body["status"] == "done", body
    url = urlsplit(body["download_url"])
    assert url.path == f"/api/v1/exports/{export_id}/download" and "token=" in url.query
    downloaded = client.get(f"{url.path}?{url.query}", headers=auth(api.token))
    assert downloaded.status_code == 200
    data = json.loads(b"".join(downloaded.streaming_content))
    assert any("ann@example.org" in json.dumps(rows) for rows in data.values())
    # Without the key, or with a tampered token, there is nothing.
    assert client.get(f"{url.path}?{url.query}").status_code == 401
    tampered = client.get(f"{url.path}?token=x{url.query[7:]}", headers=auth(api.token))
    assert tampered.status_code == 404
    assert [e["id"] for e in api.get("/exports").json()["items"]] == [export_id]


def test_another_workspaces_key_cannot_use_the_link(
    client, api, workspace, django_capture_on_commit_callbacks
):
    from mailsoftly.teams.services import workspace_create
    from tests.api.helpers import subscribe_pro
    from tests.factories import UserFactory

    other_user = UserFactory()
    other_workspace = workspace_create(owner=other_user, name="Other")
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        export_id = api.post("/exports", {"format": "json"}).json()["id"]
    url = urlsplit(api.get(f"/exports/{export_id}").json()["download_url"])
    subscribe_pro(other_workspace)
    _key, token = make_key(other_workspace, other_user)
    response = client.get(f"{url.path}?{url.query}", headers=auth(token))
    assert response.status_code == 404


def test_an_unknown_export_format_is_a_422(api, workspace):
    response = api.post("/exports", {"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"
    assert api.get("/exports").json()["items"] == []
