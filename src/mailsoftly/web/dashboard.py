"""The dashboard's cards. Each capability adds its figures here as it lands."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Card:
    label: str
    value: int | str


def cards_for(*, workspace) -> list[Card]:
    from mailsoftly.teams.models import Membership

    members = Membership.objects.filter(workspace=workspace, disabled_at__isnull=True).count()
    return [
        Card(_("Members"), members),
        Card(_("Data region"), workspace.get_region_display()),
    ]
