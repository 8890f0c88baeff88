"""The team flow in a real browser: invite → accept → remove → restore (P30)."""

import pytest

from mailsoftly.teams.models import Invitation, Membership
from mailsoftly.teams.services import invitation_token
from tests.factories import UserFactory
from tests.plugins.browser import signed_in_page

pytestmark = pytest.mark.browser


@pytest.mark.policy("P30")
def test_invite_accept_remove_restore(_chromium, live_server, user, workspace):
    invitee = UserFactory(username="ivy", email="ivy@example.org")
    owner_context, owner = signed_in_page(_chromium, live_server.url, user)
    ivy_context, ivy = signed_in_page(_chromium, live_server.url, invitee)
    try:
        owner.set_viewport_size({"width": 390, "height": 844})  # phone width
        owner.goto("/team/invitations/")
        owner.get_by_label("Email address").fill("ivy@example.org")
        owner.get_by_label("Role").select_option("member")
        owner.get_by_role("button", name="Send invitation").click()
        owner.get_by_text("Invitation sent to ivy@example.org.").wait_for()

        ivy.goto("/team/invite/" + invitation_token(Invitation.objects.get()) + "/")
        ivy.get_by_role("button", name="Accept invitation").click()
        ivy.get_by_text("Welcome to Acme.").wait_for()
        assert ivy.locator("h1").inner_text() == "Acme"

        owner.goto("/team/members/")
        owner.get_by_role("button", name="Remove ivy").click()
        owner.get_by_text("ivy was removed.").wait_for()
        assert owner.locator('[data-removed="ivy"]').count() == 1

        ivy.goto("/")
        assert ivy.locator("h1").inner_text() == "Dashboard"
        assert "not a member of any workspace" in ivy.locator("main").inner_text()

        owner.get_by_role("button", name="Restore ivy").click()
        owner.get_by_text("ivy was restored.").wait_for()
        assert owner.locator('[data-member="ivy"]').count() == 1

        ivy.goto("/")
        assert ivy.locator("h1").inner_text() == "Acme"
        assert Membership.objects.get(user=invitee, workspace=workspace).disabled_at is None
    finally:
        owner_context.close()
        ivy_context.close()
