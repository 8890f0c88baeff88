"""The one clock. Every "now" in the project comes from here so tests can travel in time."""

from datetime import datetime, timedelta

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def days_from_now(days: int) -> datetime:
    return now() + timedelta(days=days)
