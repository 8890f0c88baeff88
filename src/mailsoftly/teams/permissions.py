"""What each role may do. Services check these; templates only hide what would be refused.

* Primary Admin — everything, and only they transfer the role or restore removed members.
* Admin — manages members, invitations, settings, the domain and the billing contact.
* Member — creates and sends; cannot manage members, settings or billing.
"""

from __future__ import annotations

from enum import StrEnum

from mailsoftly.teams.models import Membership, Role


class Perm(StrEnum):
    CREATE_CONTENT = "create_content"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_BILLING = "manage_billing"
    VIEW_AUDIT = "view_audit"
    TRANSFER_PRIMARY = "transfer_primary"
    RESTORE_MEMBERS = "restore_members"


_ADMIN = {
    Perm.CREATE_CONTENT,
    Perm.MANAGE_MEMBERS,
    Perm.MANAGE_SETTINGS,
    Perm.MANAGE_BILLING,
    Perm.VIEW_AUDIT,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.PRIMARY_ADMIN: frozenset(_ADMIN | {Perm.TRANSFER_PRIMARY, Perm.RESTORE_MEMBERS}),
    Role.ADMIN: frozenset(_ADMIN),
    Role.MEMBER: frozenset({Perm.CREATE_CONTENT}),
}


def membership_can(membership: Membership | None, perm: Perm) -> bool:
    """True if an active membership's role grants ``perm``."""
    if membership is None or membership.disabled_at is not None:
        return False
    return perm in ROLE_PERMISSIONS.get(membership.role, frozenset())
