"""Rate limits and idempotency keys (P15)."""

from __future__ import annotations

import pytest
import time_machine

from mailsoftly.contacts import selectors
from tests.api.helpers import auth, make_key

pytestmark = pytest.mark.policy("P15")


@time_machine.travel("2026-01-05 10:00:05Z", tick=False)  # one fixed-window minute throughout
def test_rate_limit_applies_exactly(client, settings, workspace, user):
    settings.API_RATE_LIMIT_PER_MINUTE = 25
    _key, token = make_key(workspace, user)
    statuses = []
    for i in range(26):
        response = client.get("/api/v1/contacts", headers=auth(token))
        statuses.append(response.status_code)
        if i < 25:
            assert response["RateLimit-Limit"] == "25"
            assert response["RateLimit-Remaining"] == str(25 - i - 1)
            assert response["RateLimit-Reset"] == "55"
    assert statuses == [200] * 25 + [429]
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "55"
    assert response["RateLimit-Remaining"] == "0"


@time_machine.travel("2026-01-05 10:00:05Z", tick=False)
def test_rate_limit_is_per_key(client, settings, workspace, user):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    _k1, first = make_key(workspace, user)
    _k2, second = make_key(workspace, user)
    for _ in range(2):
        client.get("/api/v1/contacts", headers=auth(first))
    assert client.get("/api/v1/contacts", headers=auth(first)).status_code == 429
    assert client.get("/api/v1/contacts", headers=auth(second)).status_code == 200


def test_idempotency_key_replays_the_first_response(api, workspace):
    headers = {"Idempotency-Key": "abc-1"}
    first = api.post("/contacts", {"email": "a@example.org"}, headers=headers)
    again = api.post("/contacts", {"email": "a@example.org"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert selectors.contact_count(workspace=workspace) == 1


def test_idempotency_key_with_another_body_is_409(api, workspace):
    headers = {"Idempotency-Key": "abc-2"}
    assert api.post("/contacts", {"email": "a@example.org"}, headers=headers).status_code == 201
    response = api.post("/contacts", {"email": "b@example.org"}, headers=headers)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert selectors.contact_count(workspace=workspace) == 1


def test_idempotency_keys_are_per_api_key(client, api, workspace, user):
    headers = {"Idempotency-Key": "shared"}
    assert api.post("/contacts", {"email": "a@example.org"}, headers=headers).status_code == 201
    _key, other = make_key(workspace, user)
    response = client.post(
        "/api/v1/contacts",
        {"email": "b@example.org"},
        content_type="application/json",
        headers={**auth(other), **headers},
    )
    assert response.status_code == 201


def test_key_auth_needs_no_csrf_token(workspace, user):
    from django.test import Client

    _key, token = make_key(workspace, user)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/lists", {"name": "Weekly"}, content_type="application/json", headers=auth(token)
    )
    assert response.status_code == 201


def test_a_signed_in_session_without_a_key_is_401(logged_in_client):
    response = logged_in_client.get("/api/v1/contacts")
    assert response.status_code == 401


@time_machine.travel("2026-01-05 10:00:01Z", tick=False)
def test_one_thousand_calls_then_the_limit_applies_exactly(client, settings, workspace, user):
    settings.API_RATE_LIMIT_PER_MINUTE = 1000
    _key, token = make_key(workspace, user)
    headers = auth(token)
    statuses = [client.get("/api/v1/lists", headers=headers).status_code for _ in range(1001)]
    assert statuses.count(200) == 1000
    assert statuses[-1] == 429
