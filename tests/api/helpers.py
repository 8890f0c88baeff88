"""API test helpers: a key for a workspace and a client that sends it."""

from __future__ import annotations

from mailsoftly.api.services import ALL_SCOPES, api_key_create


def make_key(workspace, user, scopes=ALL_SCOPES, **kwargs):
    key, token = api_key_create(
        workspace=workspace, user=user, name="Integration", scopes=list(scopes), **kwargs
    )
    return key, token


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def subscribe_pro(workspace) -> None:
    """Put the workspace on a plan with API access (the free plan has none)."""
    from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus

    Subscription.objects.update_or_create(
        workspace=workspace,
        defaults={
            "plan": Plan.objects.get(code="pro"),
            "status": SubscriptionStatus.ACTIVE,
            "subscription_id": "s",
        },
    )
