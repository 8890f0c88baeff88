"""Teams routes that take an id or token, for the cross-workspace isolation test."""

from __future__ import annotations

from mailsoftly.teams.models import Membership, Role
from tests.factories import UserFactory
from tests.isolation.routes import route


def _member(workspace, user):
    other = UserFactory()
    return Membership.objects.create(user=other, workspace=workspace, role=Role.MEMBER)


@route("teams:member_role", methods=("post",), data={"role": "admin"})
def _role(workspace, user):
    return {"pk": _member(workspace, user).pk}


@route("teams:member_remove", methods=("post",))
def _remove(workspace, user):
    return {"pk": _member(workspace, user).pk}


@route("teams:primary_transfer", methods=("post",))
def _transfer(workspace, user):
    return {"pk": _member(workspace, user).pk}


@route("teams:member_restore", methods=("post",))
def _restore(workspace, user):
    from mailsoftly.teams.services import member_remove

    membership = _member(workspace, user)
    member_remove(workspace=workspace, actor=user, membership=membership)
    return {"pk": membership.pk}


def _invitation(workspace, user):
    from tests.billing.plans import workspace_unlimited

    workspace_unlimited(workspace)  # the Free plan's one seat is taken by the owner
    from mailsoftly.teams.services import invitation_create

    return invitation_create(
        workspace=workspace, actor=user, email="invitee@example.net", role=Role.ADMIN
    )


@route("teams:invitation_revoke", methods=("post",))
def _revoke(workspace, user):
    return {"pk": _invitation(workspace, user).pk}


@route("teams:invitation_answer", methods=("post",), data={"answer": "accept"})
def _answer(workspace, user):
    return {"pk": _invitation(workspace, user).pk}


@route("teams:invitation_open", methods=("get", "post"), data={"answer": "accept"})
def _open(workspace, user):
    from mailsoftly.teams.services import invitation_token

    return {"token": invitation_token(_invitation(workspace, user))}


def _domain(workspace, user):
    from mailsoftly.teams.services import domain_claim

    return {"pk": domain_claim(workspace=workspace, actor=user, domain="b-corp.example").pk}


route("teams:domain_verify", methods=("post",))(_domain)
route("teams:domain_remove", methods=("post",))(_domain)
route("teams:domain_accounts")(_domain)
