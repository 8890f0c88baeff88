import pytest

from mailsoftly.audit.models import AuditEvent
from mailsoftly.teams.errors import PermissionRefused, TeamError
from mailsoftly.teams.models import Membership, Role
from mailsoftly.teams.permissions import Perm, membership_can
from mailsoftly.teams.services import (
    member_remove,
    member_role_change,
    primary_admin_transfer,
    workspace_create,
    workspace_rename,
)
from tests.teams.helpers import add_member, request_from


def _refusals(workspace):
    return AuditEvent.objects.filter(workspace_id=workspace.pk, action="permission.refused")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PRIMARY_ADMIN, set(Perm)),
        (
            Role.ADMIN,
            {
                Perm.CREATE_CONTENT,
                Perm.MANAGE_MEMBERS,
                Perm.MANAGE_SETTINGS,
                Perm.MANAGE_BILLING,
                Perm.VIEW_AUDIT,
            },
        ),
        (Role.MEMBER, {Perm.CREATE_CONTENT}),
    ],
)
def test_each_role_grants_exactly_its_permissions(workspace, role, allowed):
    _, membership = add_member(workspace, role) if role != Role.PRIMARY_ADMIN else (None, None)
    if membership is None:
        membership = Membership.objects.get(workspace=workspace, role=Role.PRIMARY_ADMIN)
    assert {p for p in Perm if membership_can(membership, p)} == allowed


def test_disabled_membership_grants_nothing(workspace):
    _, membership = add_member(workspace, Role.ADMIN)
    membership.disabled_at = membership.created_at
    assert not any(membership_can(membership, p) for p in Perm)


def test_new_workspace_has_exactly_one_primary_admin(user):
    ws = workspace_create(owner=user, name="  Fresh   team ")
    assert ws.name == "Fresh team"
    assert list(Membership.objects.filter(workspace=ws).values_list("user", "role")) == [
        (user.pk, Role.PRIMARY_ADMIN)
    ]


def test_admin_promotes_and_demotes_members_with_audit(user, workspace):
    admin, _ = add_member(workspace, Role.ADMIN)
    _, target = add_member(workspace)
    member_role_change(
        workspace=workspace,
        actor=admin,
        membership=target,
        role=Role.ADMIN,
        request=request_from(admin),
    )
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.before, event.after) == ({"role": "member"}, {"role": "admin"})
    assert event.actor_id == admin.pk and event.ip == "198.51.100.9"


@pytest.mark.policy("P36")
@pytest.mark.parametrize("new_role", [Role.ADMIN, Role.MEMBER, Role.PRIMARY_ADMIN])
def test_member_cannot_change_roles_and_the_attempt_is_logged(workspace, new_role):
    member, mine = add_member(workspace)
    _, other = add_member(workspace)
    with pytest.raises(PermissionRefused):
        member_role_change(
            workspace=workspace,
            actor=member,
            membership=mine,
            role=new_role,
            request=request_from(member, ip="192.0.2.44"),
        )
    with pytest.raises(PermissionRefused):
        member_role_change(workspace=workspace, actor=member, membership=other, role=new_role)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.role == other.role == Role.MEMBER
    refusals = list(_refusals(workspace).order_by("id"))
    assert len(refusals) == 2
    assert refusals[0].after == {"attempted": "member.role_change", "role": new_role}
    assert refusals[0].actor_id == member.pk and refusals[0].ip == "192.0.2.44"


def test_nobody_grants_primary_admin_through_a_role_change(user, workspace):
    _admin, admin_membership = add_member(workspace, Role.ADMIN)
    with pytest.raises(PermissionRefused):
        member_role_change(
            workspace=workspace, actor=user, membership=admin_membership, role=Role.PRIMARY_ADMIN
        )
    assert Membership.objects.get(pk=admin_membership.pk).role == Role.ADMIN
    assert _refusals(workspace).count() == 1


def test_admin_cannot_demote_the_primary_admin(user, workspace):
    admin, _ = add_member(workspace, Role.ADMIN)
    primary = Membership.objects.get(user=user, workspace=workspace)
    with pytest.raises(PermissionRefused):
        member_role_change(workspace=workspace, actor=admin, membership=primary, role=Role.MEMBER)
    assert Membership.objects.get(pk=primary.pk).role == Role.PRIMARY_ADMIN
    assert _refusals(workspace).count() == 1


def test_primary_admin_transfers_the_role_and_keeps_admin(user, workspace):
    other, target = add_member(workspace)
    primary_admin_transfer(workspace=workspace, actor=user, membership=target)
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("user", "role"))
    assert roles == {user.pk: Role.ADMIN, other.pk: Role.PRIMARY_ADMIN}
    event = AuditEvent.objects.get(action="primary_admin.transferred")
    assert event.before["primary_admin"] == user.pk and event.after["primary_admin"] == other.pk


def test_admin_cannot_take_or_give_the_primary_admin_role(user, workspace):
    admin, admin_membership = add_member(workspace, Role.ADMIN)
    with pytest.raises(PermissionRefused):
        primary_admin_transfer(workspace=workspace, actor=admin, membership=admin_membership)
    assert Membership.objects.get(user=user, workspace=workspace).role == Role.PRIMARY_ADMIN
    assert _refusals(workspace).get().after["attempted"] == "primary_admin.transfer"


def test_primary_admin_cannot_be_removed_by_anyone(user, workspace):
    admin, _ = add_member(workspace, Role.ADMIN)
    member, _ = add_member(workspace)
    primary = Membership.objects.get(user=user, workspace=workspace)
    for actor in (user, admin, member):
        with pytest.raises(PermissionRefused):
            member_remove(workspace=workspace, actor=actor, membership=primary)
    primary.refresh_from_db()
    assert primary.disabled_at is None and primary.role == Role.PRIMARY_ADMIN
    assert _refusals(workspace).count() == 3


def test_member_cannot_remove_others_and_is_logged(workspace):
    member, _ = add_member(workspace)
    _, other = add_member(workspace, Role.ADMIN)
    with pytest.raises(PermissionRefused):
        member_remove(workspace=workspace, actor=member, membership=other)
    assert Membership.objects.get(pk=other.pk).disabled_at is None
    assert _refusals(workspace).get().after == {"attempted": "member.remove", "role": "admin"}


def test_member_may_leave_on_their_own(workspace):
    member, mine = add_member(workspace)
    member_remove(workspace=workspace, actor=member, membership=mine)
    assert Membership.objects.get(pk=mine.pk).disabled_at is not None
    assert AuditEvent.objects.filter(action="member.left", actor=member).exists()


def test_rename_needs_settings_permission(user, workspace):
    member, _ = add_member(workspace)
    with pytest.raises(PermissionRefused):
        workspace_rename(workspace=workspace, actor=member, name="Hijacked")
    workspace.refresh_from_db()
    assert workspace.name == "Acme"
    workspace_rename(workspace=workspace, actor=user, name="Acme Ltd")
    workspace.refresh_from_db()
    assert workspace.name == "Acme Ltd"
    event = AuditEvent.objects.get(action="workspace.renamed")
    assert (event.before, event.after) == ({"name": "Acme"}, {"name": "Acme Ltd"})


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_bad_workspace_names_are_refused_with_a_field_message(user, workspace, name):
    with pytest.raises(TeamError) as info:
        workspace_rename(workspace=workspace, actor=user, name=name)
    assert info.value.field == "name"
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


def test_outsider_cannot_act_on_a_workspace(workspace):
    from tests.factories import UserFactory

    outsider = UserFactory()
    with pytest.raises(PermissionRefused):
        workspace_rename(workspace=workspace, actor=outsider, name="Mine now")
