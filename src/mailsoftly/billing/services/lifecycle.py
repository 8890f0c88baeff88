"""What an admin does to the subscription: choose a plan, cancel, open the portal.

Gateway calls happen outside database transactions; the resulting state arrives through
the gateway's webhooks (:mod:`mailsoftly.billing.services.webhooks`), so the gateway stays
the one source of truth about money (proration included).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.billing import selectors
from mailsoftly.billing.errors import BillingError
from mailsoftly.billing.gateways import gateway_get
from mailsoftly.billing.models import Subscription, SubscriptionStatus


def _require_billing_admin(*, workspace, actor) -> None:
    from mailsoftly.teams.models import Membership
    from mailsoftly.teams.permissions import Perm, membership_can

    membership = Membership.objects.filter(
        workspace_id=workspace.pk, user_id=getattr(actor, "pk", None)
    ).first()
    if not membership_can(membership, Perm.MANAGE_BILLING):
        raise BillingError(_("Only the workspace's admins can manage billing."))


def _audit(*, workspace, actor, action: str, after: dict | None = None) -> None:
    from mailsoftly.audit.services import audit_record

    audit_record(actor=actor, workspace=workspace, action=action, after=after)


def subscription_ensure(*, workspace) -> Subscription:
    """The workspace's subscription row, created on the free plan when missing."""
    sub = selectors.subscription_get(workspace=workspace)
    if sub is not None:
        return sub
    sub, _created = Subscription.objects.get_or_create(
        workspace=workspace, defaults={"plan": selectors.plan_free()}
    )
    return sub


def customer_ensure(*, workspace) -> Subscription:
    """Make sure the configured gateway knows this workspace as a customer."""
    gateway = gateway_get()
    sub = subscription_ensure(workspace=workspace)
    if sub.customer_id and sub.gateway == gateway.name:
        return sub
    profile = selectors.billing_profile_get(workspace=workspace)
    address = {}
    if profile is not None:
        address = {
            "line1": profile.line1,
            "line2": profile.line2,
            "city": profile.city,
            "postal_code": profile.postal_code,
            "state": profile.state,
            "country": profile.country.code,
        }
    # The key is stable per workspace and gateway: a retried request makes no second customer.
    customer_id = gateway.customer_create(
        workspace=workspace,
        name=profile.name if profile else workspace.name,
        email=profile.email if profile else selectors.primary_admin_email(workspace=workspace),
        address={k: v for k, v in address.items() if v},
        idempotency_key=f"mailsoftly-customer-{gateway.name}-{workspace.pk}",
    )
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=sub.pk)
        if sub.customer_id and sub.gateway == gateway.name:
            return sub
        sub.gateway = gateway.name
        sub.customer_id = customer_id
        sub.subscription_id = ""
        sub.save(update_fields=["gateway", "customer_id", "subscription_id", "updated_at"])
    return sub


def plan_choose(
    *, workspace, actor, plan_code: str, success_url: str, cancel_url: str
) -> str | None:
    """Move the workspace to ``plan_code``.

    Without a paid subscription this starts the gateway's hosted checkout and returns its
    URL. With one, the gateway changes the plan (prorating) and ``None`` is returned.
    Choosing the free plan cancels the paid one at the end of the period.
    """
    _require_billing_admin(workspace=workspace, actor=actor)
    plan = selectors.plan_get(code=plan_code)
    if plan is None:
        raise BillingError(_("Choose one of the plans offered."), field="plan")
    current = selectors.subscription_get(workspace=workspace)
    paying = (
        current is not None
        and current.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
        and bool(current.subscription_id)
    )
    if plan.is_free:
        if paying:
            subscription_cancel(workspace=workspace, actor=actor)
        return None
    if paying:
        if current.plan_id == plan.pk:
            raise BillingError(_("The workspace is already on this plan."), field="plan")
        gateway_get(current.gateway).subscription_change(
            subscription_id=current.subscription_id,
            plan=plan,
            idempotency_key=f"mailsoftly-change-{current.subscription_id}-{plan.code}-"
            f"{uuid.uuid4().hex}",
        )
        _audit(
            workspace=workspace,
            actor=actor,
            action="billing.plan_change_requested",
            after={"from": current.plan.code, "to": plan.code},
        )
        return None
    sub = customer_ensure(workspace=workspace)
    url = gateway_get(sub.gateway).checkout_start(
        workspace=workspace,
        customer_id=sub.customer_id,
        plan=plan,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"mailsoftly-checkout-{workspace.pk}-{plan.code}-{uuid.uuid4().hex}",
    )
    _audit(
        workspace=workspace,
        actor=actor,
        action="billing.checkout_started",
        after={"plan": plan.code},
    )
    return url


def subscription_cancel(*, workspace, actor) -> None:
    """Cancel the paid plan at the end of the period already paid for."""
    _require_billing_admin(workspace=workspace, actor=actor)
    sub = selectors.subscription_get(workspace=workspace)
    if sub is None or not sub.subscription_id or sub.status == SubscriptionStatus.CANCELED:
        raise BillingError(_("There is no paid subscription to cancel."))
    if sub.cancel_at_period_end:
        return
    gateway_get(sub.gateway).subscription_cancel(
        subscription_id=sub.subscription_id,
        at_period_end=True,
        idempotency_key=f"mailsoftly-cancel-{sub.subscription_id}",
    )
    _audit(workspace=workspace, actor=actor, action="billing.cancel_requested")


def portal_url(*, workspace, actor, return_url: str) -> str:
    """The gateway's customer portal, where the payment method is changed."""
    _require_billing_admin(workspace=workspace, actor=actor)
    sub = selectors.subscription_get(workspace=workspace)
    if sub is None or not sub.customer_id:
        raise BillingError(_("Choose a paid plan first; the payment method is entered there."))
    return gateway_get(sub.gateway).portal_url(customer_id=sub.customer_id, return_url=return_url)
