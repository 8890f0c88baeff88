"""Reads of core rows."""

from django.db.models import QuerySet

from mailsoftly.core.models import OutboxMessage


def outbox_list() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.all()
