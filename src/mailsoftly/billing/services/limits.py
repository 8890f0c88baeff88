"""Plan limits, enforced in services: other apps call :func:`limit_check` before a write.

A workspace over a limit after a downgrade keeps all its data; the check only refuses
what would add more (a new contact, a campaign that would pass the monthly allowance, a
new seat) until the user makes room or moves up a plan. A campaign that is already
sending is never stopped: the check runs when a campaign starts, for its whole audience.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mailsoftly.billing import selectors
from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.models import Plan
from mailsoftly.billing.plans import RESOURCES

_COUNTED = {
    "contacts": ("contacts_limit", "contacts"),
    "emails_month": ("emails_month_limit", "emails_month"),
    "seats": ("seats_limit", "seats"),
    "smtp_pools": ("smtp_pools_limit", "smtp_pools"),
}
_FLAGS = {"eu_residency": "eu_residency", "ip_collection": "ip_collection", "api": "api_access"}


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


def _resource_label(resource: str) -> str:
    return {
        "contacts": _("contacts"),
        "emails_month": _("emails per month"),
        "seats": _("team seats"),
        "smtp_pools": _("SMTP pools"),
        "eu_residency": _("EU data residency"),
        "ip_collection": _("IP address collection"),
        "api": _("API access"),
    }[resource]


def _bigger_plan(current: Plan, allows) -> Plan | None:
    for plan in selectors.plan_list().filter(position__gt=current.position):
        if allows(plan):
            return plan
    return None


def _how_to_raise(current: Plan, allows) -> str:
    bigger = _bigger_plan(current, allows)
    if bigger is None:
        return _("Contact us to raise it.")
    return _('To raise it, choose the %(plan)s plan (or a bigger one) under "Plan & billing".') % {
        "plan": bigger.name
    }


def limit_check(*, workspace, resource: str, amount: int = 1, value: str | None = None) -> None:
    """Refuse, with :class:`LimitExceeded`, what would take ``workspace`` past its plan.

    ``resource`` is one of ``contacts``, ``emails_month``, ``seats``, ``smtp_pools`` (counted:
    ``amount`` more would be added), ``export_format`` (``value`` is the format, e.g.
    ``"xlsx"``) or ``eu_residency``, ``ip_collection``, ``api`` (features). Returns ``None``
    when allowed. Counts that the owning app does not track yet are not enforced.
    """
    if resource not in RESOURCES:
        raise ValueError(f"unknown billing resource {resource!r}; one of {', '.join(RESOURCES)}")
    plan = selectors.plan_for_workspace(workspace=workspace)
    if resource in _COUNTED:
        field, meter_name = _COUNTED[resource]
        limit = getattr(plan, field)
        if limit is None:
            return
        used = getattr(selectors.usage_get(workspace=workspace), meter_name).used
        if used is None or used + max(amount, 0) <= limit:
            return
        needed = used + amount

        def allows(other: Plan) -> bool:
            other_limit = getattr(other, field)
            return other_limit is None or other_limit >= needed

        message = _(
            "Your %(plan)s plan allows %(limit)s %(what)s and this workspace uses %(used)s, "
            "so %(amount)s more would go over the limit. %(how)s"
        ) % {
            "plan": plan.name,
            "limit": _n(limit),
            "what": _resource_label(resource),
            "used": _n(used),
            "amount": _n(amount),
            "how": _how_to_raise(plan, allows),
        }
        if resource == "emails_month":
            message += " " + _("The monthly allowance also resets on the 1st of each month.")
        raise LimitExceeded(message, resource=resource, limit=limit, usage=used, plan=plan.code)
    if resource == "export_format":
        wanted = str(value or "").strip().lower()
        formats = [str(f).lower() for f in plan.export_formats or []]
        if wanted in formats:
            return
        message = _(
            "Export as %(format)s is not included in your %(plan)s plan (it includes: "
            "%(formats)s). %(how)s"
        ) % {
            "format": wanted.upper() or "?",
            "plan": plan.name,
            "formats": ", ".join(f.upper() for f in formats) or _("none"),
            "how": _how_to_raise(
                plan, lambda other: wanted in [str(f).lower() for f in other.export_formats or []]
            ),
        }
        raise LimitExceeded(message, resource=resource, plan=plan.code)
    flag = _FLAGS[resource]
    if getattr(plan, flag):
        return
    message = _("%(feature)s is not included in your %(plan)s plan. %(how)s") % {
        "feature": _resource_label(resource),
        "plan": plan.name,
        "how": _how_to_raise(plan, lambda other: getattr(other, flag)),
    }
    raise LimitExceeded(message, resource=resource, plan=plan.code)
