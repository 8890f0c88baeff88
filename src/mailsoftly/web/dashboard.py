"""The shell's own dashboard cards."""

from django.utils.translation import gettext as _

from mailsoftly.web.registry import Card, dashboard_card


@dashboard_card(order=900)
def workspace_cards(workspace) -> list[Card]:
    from mailsoftly.teams.models import Membership

    members = Membership.objects.filter(workspace=workspace, disabled_at__isnull=True).count()
    return [Card(_("Members"), members)]
