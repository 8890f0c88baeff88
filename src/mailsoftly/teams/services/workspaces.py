"""Writes about workspaces and memberships."""

from __future__ import annotations

from django.db import transaction

from mailsoftly.core.regions import Region
from mailsoftly.teams.models import Membership, Role, Workspace


def workspace_create(
    *, owner, name: str, region: str = Region.US, is_personal: bool = False
) -> Workspace:
    """Create a workspace with ``owner`` as its Primary Admin."""
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=name.strip(), region=Region(region), is_personal=is_personal
        )
        Membership.objects.create(user=owner, workspace=workspace, role=Role.PRIMARY_ADMIN)
    return workspace
