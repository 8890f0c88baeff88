from celery import shared_task

from mailsoftly.tracking import recorder


@shared_task(name="tracking.drain_events", ignore_result=True)
def drain_events_task() -> int:
    """Move buffered tracking events from the Redis stream into the database."""
    return recorder.drain(consumer="worker")
