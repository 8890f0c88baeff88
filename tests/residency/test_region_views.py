"""The data region page: where the data is, starting a move, progress, read-only refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailsoftly.contacts.models import Contact
from mailsoftly.residency import services
from mailsoftly.residency.models import MoveState, RegionMove
from mailsoftly.teams.models import Workspace
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.policy("P40")


def test_the_page_names_the_region_and_offers_a_move(logged_in_client):
    page = logged_in_client.get(reverse("residency:region"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "stored only in the <strong>United States</strong> region" in text
    assert '<option value="eu">European Union</option>' in text
    assert 'value="us"' not in text  # not a move to where it already is


def test_an_admin_starts_a_move_and_sees_it_finish(
    logged_in_client, workspace, django_capture_on_commit_callbacks
):
    ContactFactory(workspace=workspace, email="moving@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(
            reverse("residency:move"), {"target": "eu", "confirm": "on"}
        )
    assert response.status_code == 302
    move = RegionMove.objects.get()
    assert move.state == MoveState.DONE  # the task ran eagerly after commit
    assert Workspace.objects.get(pk=workspace.pk).region == "eu"
    page = logged_in_client.get(reverse("residency:region")).content.decode()
    assert "stored only in the <strong>European Union</strong> region" in page
    assert "Done" in page


def test_a_move_needs_the_confirmation_and_a_valid_region(logged_in_client):
    response = logged_in_client.post(reverse("residency:move"), {"target": "eu"})
    assert response.status_code == 400
    response = logged_in_client.post(reverse("residency:move"), {"target": "mars", "confirm": "on"})
    assert response.status_code == 400
    assert "mars" in response.content.decode()
    assert not RegionMove.objects.exists()


def test_progress_is_shown_while_a_move_runs(logged_in_client, workspace):
    move = services.region_move_request(workspace=workspace, target="eu")
    RegionMove.objects.filter(pk=move.pk).update(
        state=MoveState.COPYING, steps_done=move.steps_total // 2
    )
    panel = logged_in_client.get(reverse("residency:progress")).content.decode()
    assert "Moving from US to EU" in panel
    assert 'hx-trigger="every 2s"' in panel
    assert 'aria-valuenow="50"' in panel or 'aria-valuenow="49"' in panel


def test_a_write_to_a_moving_workspace_gets_a_clear_423(logged_in_client, workspace):
    services.region_move_request(workspace=workspace, target="eu")
    response = logged_in_client.post(
        reverse("contacts:contact_create"), {"email": "new@example.com"}
    )
    assert response.status_code == 423
    assert "moving from region US to EU and is read-only" in response.content.decode()
    assert not Contact.all_rows.for_workspace(workspace).exists()
    # Reading still works.
    assert logged_in_client.get(reverse("contacts:contact_list")).status_code == 200


@pytest.mark.parametrize("path", ["/contacts/", "/api/v1/contacts"])
def test_an_unreachable_region_database_is_a_clear_503(rf, eu_workspace, user, monkeypatch, path):
    from django.db import OperationalError, connections

    from mailsoftly.residency.middleware import WorkspaceReadOnlyMiddleware

    request = rf.get(path)
    request.user, request.workspace = user, eu_workspace
    eu = connections["eu"]
    monkeypatch.setattr(eu, "is_usable", lambda: False)
    monkeypatch.setattr(eu, "connection", eu.connection or object())
    middleware = WorkspaceReadOnlyMiddleware(lambda r: None)
    response = middleware.process_exception(request, OperationalError("connection refused"))
    assert response.status_code == 503
    body = response.content.decode()
    assert "(European Union) cannot be reached right now. Nothing was changed" in body
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"


def test_a_database_error_with_the_region_reachable_stays_a_500(rf, eu_workspace, user):
    from django.db import OperationalError

    from mailsoftly.residency.middleware import WorkspaceReadOnlyMiddleware

    request = rf.get("/contacts/")
    request.user, request.workspace = user, eu_workspace
    middleware = WorkspaceReadOnlyMiddleware(lambda r: None)
    assert middleware.process_exception(request, OperationalError("deadlock")) is None
