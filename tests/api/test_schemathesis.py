"""Schemathesis against the served OpenAPI schema with an authorised key (P15).

Every operation gets a few generated requests through Django's WSGI app in-process: no
5xx, and documented responses match the schema and content type. Bounded (a handful of
examples per operation) so the suite stays fast.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import auth, make_key

pytestmark = pytest.mark.policy("P15")

# status_code_conformance: every status answered is declared (the problem+json errors too),
# and response_schema_conformance then checks error bodies against the Problem schema.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


def test_generated_requests_never_5xx_and_conform(settings_fixture_guard, workspace, user):
    _key, token = make_key(workspace, user)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    statuses = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            derandomize=True,  # the same examples every run: CI must not flicker
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call_and_validate(headers=auth(token), checks=CHECKS)
            statuses.append(response.status_code)

        run()
    # The key really was accepted: generated requests reached the endpoints.
    assert 401 not in statuses
    assert any(200 <= status < 300 for status in statuses)


def test_every_operation_declares_the_problem_responses(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    operations = [
        (method, operation)
        for item in schema["paths"].values()
        for method, operation in item.items()
    ]
    assert len(operations) >= 20
    for method, operation in operations:
        expected = {"400", "401", "403", "404", "413", "422", "429"}
        if method in ("post", "put", "patch", "delete"):
            expected.add("409")
        assert expected <= set(operation["responses"]), operation["operationId"]
        problem = operation["responses"]["422"]["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_an_unknown_api_path_is_a_problem_404(client):
    response = client.get("/api/v1/designs/-1")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.fixture
def settings_fixture_guard(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    # Like Django's test client: a request must not close the test's database connection
    # (the handler's request signals would, on PostgreSQL, inside the test transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
