"""Demo seeding for teams: a colleague, a pending invitation, a billing contact, a domain."""

from __future__ import annotations

from mailsoftly import demo
from mailsoftly.teams.models import Invitation, InvitationStatus, Membership, Role

COLLEAGUE = "demo-colleague"
INVITEE = "new.hire@example.com"


@demo.step
def seed_team(*, workspace, user) -> None:
    from mailsoftly.accounts.models import User
    from mailsoftly.teams.services import billing_contact_set, domain_claim, invitation_create
    from mailsoftly.teams.services.billing import billing_contact_get

    colleague, _ = User.objects.get_or_create(
        username=COLLEAGUE, defaults={"email": "colleague@example.com"}
    )
    if not colleague.has_usable_password():
        colleague.set_unusable_password()
    Membership.objects.get_or_create(
        user=colleague, workspace=workspace, defaults={"role": Role.ADMIN}
    )
    if not Invitation.objects.filter(
        workspace=workspace, email=INVITEE, status=InvitationStatus.PENDING
    ).exists():
        invitation_create(workspace=workspace, actor=user, email=INVITEE, role=Role.MEMBER)
    if billing_contact_get(workspace=workspace) is None:
        billing_contact_set(
            workspace=workspace,
            actor=user,
            name="Bea Ledger",
            email="billing@example.com",
            address="1 Counting House Lane\nLedgerton",
        )
    if not workspace.domains.exists():
        domain_claim(workspace=workspace, actor=user, domain="example.com")
