from celery import shared_task


@shared_task(name="ops.usage_flush")
def usage_flush_task() -> int:
    from mailsoftly.ops.usage import usage_flush

    return usage_flush()


@shared_task(name="ops.usage_purge")
def usage_purge_task() -> int:
    from mailsoftly.ops.usage import usage_purge_expired

    return usage_purge_expired()


@shared_task(name="ops.policy_notice_send")
def policy_notice_send_task(version_id: int) -> int:
    from mailsoftly.ops.services import policy_notice_send

    return policy_notice_send(version_id=version_id)


@shared_task(name="ops.newsletter_send")
def newsletter_send_task(subject: str, text: str) -> int:
    from mailsoftly.ops.newsletter import newsletter_send

    return newsletter_send(subject=subject, text=text)
