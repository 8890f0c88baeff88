"""``{{ reason|reason_message }}``: a stored reason in the reader's language."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def reason_message(reason: dict) -> str:
    """Translate the reason's template, then fill in its parameters (kept as text)."""
    template_text = reason.get("template") or ""
    params = reason.get("params") or {}
    if not template_text:
        return str(reason.get("message", ""))
    try:
        return gettext(template_text) % params
    except (KeyError, TypeError, ValueError):
        return str(reason.get("message", ""))
