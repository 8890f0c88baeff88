"""Platform marketing mail from the operator (P19).

Only accounts whose current marketing consent is "granted" receive it; the consent state
is re-read per recipient right before sending, so a withdrawal takes effect at once.
Every message carries a working unsubscribe link and RFC 8058 one-click headers.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives

from mailsoftly.accounts.tokens import unsubscribe_url


def newsletter_recipients():
    return (
        get_user_model()
        .objects.filter(is_active=True, marketing_opt_in=True)
        .exclude(email="")
        .order_by("pk")
    )


def newsletter_message(*, user, subject: str, text: str) -> EmailMultiAlternatives:
    url = unsubscribe_url(user_id=user.pk)
    body = f"{text.rstrip()}\n\n-- \nUnsubscribe: {url}\n"
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def newsletter_send(*, subject: str, text: str) -> int:
    """Send one operator newsletter to every consenting account. Returns messages sent."""
    sent = 0
    user_model = get_user_model()
    for user_id in newsletter_recipients().values_list("pk", flat=True).iterator():
        # Re-read: an unsubscribe that landed while this loop ran is honoured.
        user = user_model.objects.filter(pk=user_id, marketing_opt_in=True, is_active=True).first()
        if user is None:
            continue
        sent += newsletter_message(user=user, subject=subject, text=text).send()
    return sent


def newsletter_enqueue(*, request, subject: str, text: str) -> None:
    """Audit the newsletter and send it from a worker once the request commits."""
    from django.db import transaction

    from mailsoftly.audit.services import audit_record
    from mailsoftly.ops.tasks import newsletter_send_task

    with transaction.atomic():
        audit_record(request=request, action="newsletter.send", target=("newsletter", "-", subject))
        transaction.on_commit(lambda: newsletter_send_task.delay(subject, text))
