"""Billing's dashboard cards: the plan and the two usage figures people watch."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mailsoftly.web.registry import Card, dashboard_card


def _of(used: int | None, limit: int | None) -> str:
    if used is None:
        return "—"
    shown = number_format(used, force_grouping=True)
    if limit is None:
        return shown
    return _("%(used)s of %(limit)s") % {
        "used": shown,
        "limit": number_format(limit, force_grouping=True),
    }


@dashboard_card(order=800)
def billing_cards(workspace) -> list[Card]:
    from mailsoftly.billing.selectors import usage_get

    usage = usage_get(workspace=workspace)
    # No links: members see the figures, only admins may open the billing pages.
    return [
        Card(_("Plan"), usage.plan.name),
        Card(_("Contacts"), _of(usage.contacts.used, usage.contacts.limit)),
        Card(_("Emails this month"), _of(usage.emails_month.used, usage.emails_month.limit)),
    ]
