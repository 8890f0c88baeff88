"""The designs card on the dashboard."""

from django.urls import reverse
from django.utils.translation import gettext as _

from mailsoftly.designs.models import Design
from mailsoftly.web.registry import Card, dashboard_card


@dashboard_card(order=30)
def design_cards(workspace) -> list[Card]:
    designs = Design.objects.for_workspace(workspace)
    return [
        Card(_("Email designs"), designs.count(), reverse("designs:list")),
        Card(_("Published emails"), designs.filter(published_at__isnull=False).count()),
    ]
