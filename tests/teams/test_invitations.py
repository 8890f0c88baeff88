import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import signing
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.core import clock
from mailsoftly.teams.errors import PermissionRefused, TeamError
from mailsoftly.teams.models import Invitation, InvitationStatus, Membership, Role
from mailsoftly.teams.services import (
    invitation_accept,
    invitation_create,
    invitation_token,
    member_remove,
)
from tests.clients import signed_in
from tests.factories import UserFactory
from tests.teams.helpers import add_member


def _invite(workspace, actor, email="newbie@example.org", role=Role.MEMBER):
    return invitation_create(workspace=workspace, actor=actor, email=email, role=role)


def _open_url(invitation):
    return reverse("teams:invitation_open", kwargs={"token": invitation_token(invitation)})


def test_admin_invites_by_email_with_a_working_link(
    client, user, workspace, mailoutbox, django_capture_on_commit_callbacks
):
    admin, _ = add_member(workspace, Role.ADMIN)
    signed_in(client, admin, workspace)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("teams:invitations"), {"email": "Newbie@Example.ORG", "role": "admin"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("Newbie@example.org", Role.ADMIN)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert [m.to for m in mailoutbox] == [["Newbie@example.org"]]
    link = re.search(r"https?://\S+/team/invite/\S+/", mailoutbox[0].body).group(0)
    assert link.endswith(_open_url(invitation))
    event = AuditEvent.objects.get(action="invitation.created")
    assert event.actor_id == admin.pk and event.after["role"] == "admin"


def test_invitee_signs_up_then_accepts_once(client, user, workspace):
    invitation = _invite(workspace, user, role=Role.ADMIN)
    anonymous = client.get(_open_url(invitation))
    assert anonymous.status_code == 200
    assert "Sign in to accept" in anonymous.content.decode()
    newbie = UserFactory(email="newbie@example.org")
    client.force_login(newbie)
    response = client.post(_open_url(invitation), {"answer": "accept"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=newbie, workspace=workspace)
    assert membership.role == Role.ADMIN
    assert client.session["workspace_id"] == workspace.pk
    again = client.post(_open_url(invitation), {"answer": "accept"})
    assert again.status_code == 410
    assert "already been answered" in again.content.decode()
    assert Membership.objects.filter(workspace=workspace).count() == 2


def test_inviting_an_existing_account_links_it_and_shows_it_in_the_app(client, user, workspace):
    existing = UserFactory(email="someone@example.org")
    invitation = _invite(workspace, user, email="SOMEONE@example.org")
    assert invitation.user_id == existing.pk
    client.force_login(existing)
    page = client.get(reverse("teams:invitations_received"))
    assert "Acme" in page.content.decode()
    response = client.post(
        reverse("teams:invitation_answer", args=[invitation.pk]), {"answer": "accept"}
    )
    assert response.status_code == 302
    assert Membership.objects.active().filter(user=existing, workspace=workspace).exists()


def test_a_verified_secondary_address_links_the_account(user, workspace):
    existing = UserFactory(email="main@example.org")
    EmailAddress.objects.create(user=existing, email="alias@example.org", verified=True)
    assert _invite(workspace, user, email="alias@example.org").user_id == existing.pk


@pytest.mark.parametrize(
    "token",
    ["garbage", "a" * 300, "eyJpIjoxfQ:1abc:forged", "x:y:z"],
)
def test_forged_or_garbage_tokens_get_a_clear_page(client, user, workspace, token):
    _invite(workspace, user)
    response = client.get(reverse("teams:invitation_open", kwargs={"token": token}))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_token_signed_for_another_nonce_is_refused(client, user, workspace):
    invitation = _invite(workspace, user)
    forged = signing.dumps(
        {"i": invitation.pk, "n": "0" * 32}, salt="mailsoftly.teams.invitation", compress=False
    )
    response = client.get(reverse("teams:invitation_open", kwargs={"token": forged}))
    assert response.status_code == 404


def test_expired_invitation_gets_a_clear_page_and_can_be_reissued(client, user, workspace):
    invitation = _invite(workspace, user)
    newbie = UserFactory(email="newbie@example.org")
    client.force_login(newbie)
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1)):
        response = client.post(_open_url(invitation), {"answer": "accept"})
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert not Membership.objects.filter(user=newbie, workspace=workspace).exists()
        fresh = _invite(workspace, user)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert fresh.status == InvitationStatus.PENDING


def test_revoked_invitation_link_is_dead(client, user, workspace):
    invitation = _invite(workspace, user)
    signed_in(client, user, workspace)
    client.post(reverse("teams:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    newbie = UserFactory(email="newbie@example.org")
    client.force_login(newbie)
    response = client.post(_open_url(invitation), {"answer": "accept"})
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert AuditEvent.objects.filter(action="invitation.revoked").exists()


def test_another_account_cannot_use_the_link(client, user, workspace):
    invitation = _invite(workspace, user)
    client.force_login(UserFactory(email="intruder@example.org"))
    response = client.post(_open_url(invitation), {"answer": "accept"})
    assert response.status_code == 403
    assert "different email address" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_anyone_with_the_link_may_decline(client, user, workspace):
    invitation = _invite(workspace, user)
    response = client.post(_open_url(invitation), {"answer": "decline"})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert client.get(_open_url(invitation)).status_code == 410


@pytest.mark.policy("P36")
def test_member_cannot_invite_and_the_attempt_is_logged(client, workspace):
    member, _ = add_member(workspace)
    with pytest.raises(PermissionRefused):
        _invite(workspace, member, role=Role.ADMIN)
    signed_in(client, member, workspace)
    assert client.post(
        reverse("teams:invitations"), {"email": "x@example.org", "role": "admin"}
    ).status_code in (403, 302)
    assert not Invitation.objects.exists()
    refusals = AuditEvent.objects.filter(action="permission.refused", actor=member)
    assert refusals.first().after["attempted"] == "invitation.create"


def test_nobody_is_invited_as_primary_admin(user, workspace):
    with pytest.raises(PermissionRefused):
        _invite(workspace, user, role=Role.PRIMARY_ADMIN)
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="permission.refused").count() == 1


@pytest.mark.parametrize("email", ["", "not-an-address", "a@", "@example.org", "x" * 300])
def test_bad_addresses_get_a_message_next_to_the_field(logged_in_client, email):
    response = logged_in_client.post(
        reverse("teams:invitations"), {"email": email, "role": "member"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.get("email")
    assert not Invitation.objects.exists()


def test_duplicate_and_existing_member_invitations_are_refused(logged_in_client, user, workspace):
    _member, _ = add_member(workspace, email="member@example.org")
    _invite(workspace, user)
    for email in ("newbie@example.org", "member@example.org"):
        response = logged_in_client.post(
            reverse("teams:invitations"), {"email": email, "role": "member"}
        )
        assert response.status_code == 400
        assert response.context["form"].errors["email"]
    assert Invitation.objects.count() == 1


def test_a_removed_member_invited_again_is_restored(user, workspace):
    member, membership = add_member(workspace, email="back@example.org")
    member_remove(workspace=workspace, actor=user, membership=membership)
    invitation = _invite(workspace, user, email="back@example.org", role=Role.ADMIN)
    invitation_accept(user=member, invitation=invitation)
    membership.refresh_from_db()
    assert membership.disabled_at is None and membership.trashed_at is None
    assert membership.role == Role.ADMIN


def test_service_refuses_to_accept_twice(user, workspace):
    newbie = UserFactory(email="newbie@example.org")
    invitation = _invite(workspace, user)
    invitation_accept(user=newbie, token=invitation_token(invitation))
    with pytest.raises(TeamError):
        invitation_accept(user=newbie, token=invitation_token(invitation))


def test_an_unverified_address_neither_links_nor_accepts(client, user, workspace):
    squatter = UserFactory(email="victim@example.org")
    EmailAddress.objects.create(user=squatter, email="victim@example.org", verified=False)
    invitation = _invite(workspace, user, email="victim@example.org")
    assert invitation.user_id is None
    client.force_login(squatter)
    assert client.post(_open_url(invitation), {"answer": "accept"}).status_code == 403
    assert not Membership.objects.filter(user=squatter, workspace=workspace).exists()


def test_received_list_shows_only_invitations_to_proven_addresses(client, user, workspace):
    squatter = UserFactory(email="victim@example.org")
    EmailAddress.objects.create(user=squatter, email="victim@example.org", verified=False)
    _invite(workspace, user, email="victim@example.org")
    client.force_login(squatter)
    assert list(client.get(reverse("teams:invitations_received")).context["invitations"]) == []
