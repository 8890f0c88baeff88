"""Billing's periodic job: end grace periods (Celery beat, hourly)."""

from celery import shared_task


@shared_task(name="billing.grace_expire")
def grace_expire_task() -> int:
    from mailsoftly.billing.services import subscription_grace_expire

    return subscription_grace_expire()
