"""Dashboard figures of the address book."""

from django.urls import reverse
from django.utils.translation import gettext as _

from mailsoftly.web.registry import Card, dashboard_card


@dashboard_card(order=20)
def contact_cards(workspace) -> list[Card]:
    from mailsoftly.contacts import selectors

    return [
        Card(
            _("Contacts"),
            selectors.contact_count(workspace=workspace),
            reverse("contacts:contact_list"),
        )
    ]
