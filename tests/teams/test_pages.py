import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.teams.models import Membership, Role
from tests.clients import signed_in
from tests.teams.helpers import add_member


def test_members_page_lists_members_and_hides_management_from_members(client, user, workspace):
    member, _ = add_member(workspace, username="mia")
    signed_in(client, member, workspace)
    page = client.get(reverse("teams:members")).content.decode()
    assert user.username in page and "mia" in page
    assert "Invite people" not in page and ">Remove<" not in page
    assert "Leave workspace" in page  # a member may leave on their own
    signed_in(client, user, workspace)
    page = client.get(reverse("teams:members")).content.decode()
    assert "Invite people" in page and ">Remove<" in page and "Make Primary Admin" in page


def test_remove_and_restore_through_the_pages(client, user, workspace):
    _member, membership = add_member(workspace, username="rob")
    signed_in(client, user, workspace)
    response = client.post(reverse("teams:member_remove", args=[membership.pk]), follow=True)
    assert "rob was removed" in response.content.decode()
    assert 'data-removed="rob"' in response.content.decode()
    response = client.post(reverse("teams:member_restore", args=[membership.pk]), follow=True)
    assert "rob was restored" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).disabled_at is None


@pytest.mark.policy("P36")
def test_member_posting_a_role_change_gets_403_and_a_log_row(client, workspace):
    member, _ = add_member(workspace)
    _, other = add_member(workspace)
    signed_in(client, member, workspace)
    response = client.post(
        reverse("teams:member_role", args=[other.pk]), {"role": "admin"}, REMOTE_ADDR="203.0.113.50"
    )
    assert response.status_code == 403
    assert "recorded" in response.content.decode()
    assert Membership.objects.get(pk=other.pk).role == Role.MEMBER
    refusal = AuditEvent.objects.get(action="permission.refused")
    assert refusal.ip == "203.0.113.50" and refusal.actor_id == member.pk


def test_transfer_through_the_page(client, user, workspace):
    _other, membership = add_member(workspace, Role.ADMIN)
    signed_in(client, user, workspace)
    client.post(reverse("teams:primary_transfer", args=[membership.pk]))
    assert Membership.objects.get(pk=membership.pk).role == Role.PRIMARY_ADMIN
    assert Membership.objects.get(user=user, workspace=workspace).role == Role.ADMIN


def test_settings_page_renames_the_workspace(logged_in_client, workspace):
    page = logged_in_client.get(reverse("teams:settings"))
    assert page.status_code == 200
    response = logged_in_client.post(
        reverse("teams:settings"), {"section": "rename", "name": "Acme Europe"}, follow=True
    )
    assert "now called Acme Europe" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.name == "Acme Europe"


@pytest.mark.parametrize("data", [{"section": "rename", "name": "   "}, {"section": "zzz"}])
def test_settings_bad_input_is_not_a_500(logged_in_client, data):
    response = logged_in_client.post(reverse("teams:settings"), data)
    assert response.status_code in (302, 400)


def test_settings_and_invitations_are_admin_only(client, workspace):
    member, _ = add_member(workspace)
    signed_in(client, member, workspace)
    assert client.get(reverse("teams:settings")).status_code == 403
    assert client.get(reverse("teams:invitations")).status_code == 403


def test_navigation_shows_team_pages_by_role(client, user, workspace):
    member, _ = add_member(workspace)
    signed_in(client, member, workspace)
    labels = [i["label"] for i in client.get(reverse("teams:members")).context["nav_items"]]
    assert "Members" in labels and "Workspace" not in labels and "Audit log" not in labels
    signed_in(client, user, workspace)
    labels = [i["label"] for i in client.get(reverse("teams:members")).context["nav_items"]]
    assert {"Members", "Invitations", "Workspace", "Audit log"} <= set(labels)


def test_pages_need_a_login(client):
    for name in ("teams:members", "teams:settings", "teams:invitations", "audit:log"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_creates_and_switches_to_a_second_workspace(logged_in_client, user):
    response = logged_in_client.post(
        reverse("teams:workspace_new"), {"name": "Side project", "region": "eu"}, follow=True
    )
    assert response.context["current_workspace"].name == "Side project"
    assert response.context["current_workspace"].region == "eu"
    assert Membership.objects.filter(user=user, role=Role.PRIMARY_ADMIN).count() == 2


@pytest.mark.parametrize("data", [{"name": "", "region": "us"}, {"name": "X", "region": "mars"}])
def test_bad_new_workspace_input_gets_field_messages(logged_in_client, user, data):
    response = logged_in_client.post(reverse("teams:workspace_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert Membership.objects.filter(user=user).count() == 1


def test_demo_seed_step_is_idempotent(user, workspace):
    from mailsoftly.teams.demo import seed_team
    from mailsoftly.teams.models import Invitation, OrganisationDomain

    seed_team(workspace=workspace, user=user)
    seed_team(workspace=workspace, user=user)
    assert Membership.objects.filter(workspace=workspace).count() == 2
    assert Invitation.objects.filter(workspace=workspace).count() == 1
    assert OrganisationDomain.objects.filter(workspace=workspace).count() == 1
