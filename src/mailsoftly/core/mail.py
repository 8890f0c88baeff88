"""The embedded mail path: messages are captured in the Outbox instead of sent."""

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = "", ""
    if message.content_subtype == "html":
        html = str(message.body)
    else:
        text = str(message.body)
    if isinstance(message, EmailMultiAlternatives):
        for alternative in message.alternatives:
            if alternative[1] == "text/html":
                html = str(alternative[0])
    return text, html


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from mailsoftly.core.models import OutboxMessage

        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            text, html = _parts(message)
            OutboxMessage.objects.create(
                from_email=message.from_email,
                to=list(message.recipients()),
                subject=message.subject,
                body_text=text,
                body_html=html,
                raw=message.message().as_string(),
            )
            sent += 1
        return sent


def platform_mail_send(*, to: list[str], subject: str, text: str, html: str = "") -> int:
    """Send a platform mail (welcome, notices) through the configured backend.

    Transactional mail ignores marketing preferences by design (policy P18).
    """
    from django.conf import settings

    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def platform_mail_enqueue(*, to: list[str], subject: str, text: str, html: str = "") -> None:
    """Queue a platform mail once the current transaction commits."""
    from django.db import transaction

    from mailsoftly.core.tasks import platform_mail_send_task

    # Celery logs a task's arguments when it fails; show a count, never addresses or text.
    shown = repr({"to": f"<{len(to)} recipient(s)>", "subject": "…", "text": "…"})
    transaction.on_commit(
        lambda: platform_mail_send_task.apply_async(
            kwargs={"to": to, "subject": subject, "text": text, "html": html}, kwargsrepr=shown
        )
    )
