"""A web process started with only some regions answers clearly for the other regions'
workspaces (issue 12): a 503 naming the region and a way out, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from mailsoftly.core.regions import UnknownRegion
from mailsoftly.residency.middleware import WorkspaceReadOnlyMiddleware


@pytest.fixture
def us_only_client(client, user, workspace, eu_workspace, settings):
    """The user of a US and an EU workspace, on a process configured with the US only."""
    client.force_login(user)
    session = client.session
    session["workspace_id"] = eu_workspace.pk
    session.save()
    settings.MAILSOFTLY_REGIONS = ["us"]
    quiet = Client(raise_request_exception=False)
    quiet.cookies = client.cookies
    return quiet


@pytest.mark.parametrize("name", ["web:dashboard", "contacts:contact_list", "audit:log"])
def test_a_workspace_of_a_region_not_served_here_is_a_clear_503(us_only_client, workspace, name):
    response = us_only_client.get(reverse(name))
    assert response.status_code == 503
    body = response.content.decode()
    assert "kept in the European Union data region, which this server does not serve" in body
    # A way out: the user's workspaces this server can open.
    assert reverse("web:workspace_switch") in body
    assert f'value="{workspace.pk}"' in body


def test_switching_to_a_served_workspace_works_from_the_error_page(us_only_client, workspace):
    response = us_only_client.post(reverse("web:workspace_switch"), {"workspace": workspace.pk})
    assert response.status_code == 302
    assert us_only_client.get(reverse("contacts:contact_list")).status_code == 200


def test_the_api_gets_a_problem_document(rf, user, eu_workspace, settings):
    settings.MAILSOFTLY_REGIONS = ["us"]
    request = rf.get("/api/v1/contacts")
    request.user, request.workspace = user, eu_workspace
    middleware = WorkspaceReadOnlyMiddleware(lambda r: None)
    response = middleware.process_exception(request, UnknownRegion("'eu' is not configured"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert b"does not serve" in response.content


def test_a_region_error_about_a_served_workspace_is_not_hidden(rf, user, workspace):
    request = rf.get("/contacts/")
    request.user, request.workspace = user, workspace
    middleware = WorkspaceReadOnlyMiddleware(lambda r: None)
    assert middleware.process_exception(request, UnknownRegion("'xx'")) is None
