from django.urls import reverse
from django.utils.translation import gettext as _

from mailsoftly.web.registry import Card, dashboard_card


@dashboard_card(order=40)
def campaign_cards(workspace) -> list[Card]:
    from mailsoftly.campaigns.selectors import campaign_status_counts

    counts = campaign_status_counts(workspace=workspace)
    url = reverse("campaigns:list")
    return [
        Card(_("Campaigns sent"), counts.get("sent", 0), url),
        Card(
            _("Campaigns sending or scheduled"),
            counts.get("sending", 0) + counts.get("scheduled", 0) + counts.get("paused", 0),
            url,
        ),
    ]
