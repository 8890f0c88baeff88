from django.apps import AppConfig

# How often beat looks for holds to screen again (each row backs off on its own).
RETRY_SWEEP_SECONDS = 60.0


class ScreeningConfig(AppConfig):
    name = "mailsoftly.screening"
    label = "screening"
    verbose_name = "Abuse screening"

    def ready(self) -> None:
        from django.conf import settings

        # Holds because spamd was down or a check timed out are screened again with
        # backoff (screening.tasks.screening_retry_due_task). Registered here, by the app
        # that owns it; a deployment may override the entry in its settings.
        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if isinstance(schedule, dict):
            schedule.setdefault(
                "screening.retry_due",
                {"task": "screening.retry_due", "schedule": RETRY_SWEEP_SECONDS},
            )
