"""Tasks of the core app."""

from celery import shared_task

from mailsoftly.core import mail


@shared_task(
    name="core.platform_mail_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def platform_mail_send_task(*, to: list[str], subject: str, text: str, html: str = "") -> int:
    """Send one platform (transactional) mail. Enqueued after commit by services."""
    return mail.platform_mail_send(to=to, subject=subject, text=text, html=html)
