"""Adapters to the apps that own what plans limit. Billing only reads through these.

Each returns ``None`` when its app (or the selector billing relies on) is not installed,
so billing works in a partial build and the usage page says "not tracked" instead of 0.
The preferred contract for each app is a selector; the fallbacks read the model through
the app registry, always scoped with ``for_workspace``.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from django.apps import apps


def _selector(module: str, name: str):
    try:
        return getattr(import_module(module), name, None)
    except ImportError:
        return None


def _model(app_label: str, model_name: str):
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def contacts_count(workspace) -> int | None:
    """Live contacts (trash excluded): ``contacts.selectors.contact_count``."""
    count = _selector("mailsoftly.contacts.selectors", "contact_count")
    if count is not None:
        return count(workspace=workspace)
    contact = _model("contacts", "Contact")
    return contact.objects.for_workspace(workspace).count() if contact else None


def emails_sent_since(workspace, since: datetime) -> int | None:
    """Campaign messages handed to a server since ``since``.

    Contract: ``campaigns.selectors.delivery_sent_count(workspace=, since=)``; until that
    exists, deliveries with ``sent_at`` in the period.
    """
    count = _selector("mailsoftly.campaigns.selectors", "delivery_sent_count")
    if count is not None:
        return count(workspace=workspace, since=since)
    delivery = _model("campaigns", "Delivery")
    if delivery is None:
        return None
    return delivery.objects.for_workspace(workspace).filter(sent_at__gte=since).count()


def seats_count(workspace) -> int:
    """Active memberships plus pending invitations (an invitation holds a seat)."""
    from mailsoftly.teams.models import Membership

    used = Membership.objects.filter(workspace_id=workspace.pk, disabled_at__isnull=True).count()
    invitation = _model("teams", "Invitation")
    if invitation is not None and any(f.name == "status" for f in invitation._meta.fields):
        used += invitation.objects.filter(workspace_id=workspace.pk, status="pending").count()
    return used


def smtp_pools_count(workspace) -> int | None:
    """The workspace's own SMTP servers: ``sending.selectors.smtp_server_list``."""
    listing = _selector("mailsoftly.sending.selectors", "smtp_server_list")
    if listing is not None:
        return listing(workspace=workspace).count()
    server = _model("sending", "SmtpServer")
    return server.objects.for_workspace(workspace).count() if server else None
