"""Writes about workspaces, memberships, invitations, domains and billing contacts.

Every service checks the actor's permission itself (views only hide what would be
refused), owns its transaction, writes the audit row and sends mail after commit.
"""

from mailsoftly.teams.services.billing import (
    billing_contact_set,
    billing_details_link,
    billing_details_request,
)
from mailsoftly.teams.services.domains import domain_claim, domain_remove, domain_verify
from mailsoftly.teams.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    invitation_token,
)
from mailsoftly.teams.services.members import (
    member_purge_expired,
    member_remove,
    member_restore,
    member_role_change,
    primary_admin_transfer,
)
from mailsoftly.teams.services.workspaces import workspace_create, workspace_rename

__all__ = [
    "billing_contact_set",
    "billing_details_link",
    "billing_details_request",
    "domain_claim",
    "domain_remove",
    "domain_verify",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_revoke",
    "invitation_token",
    "member_purge_expired",
    "member_remove",
    "member_restore",
    "member_role_change",
    "primary_admin_transfer",
    "workspace_create",
    "workspace_rename",
]
