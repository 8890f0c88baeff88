from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "mailsoftly.tracking"
    label = "tracking"
    verbose_name = "Tracking and analytics"

    def ready(self) -> None:
        # Segments can select contacts by engagement level (registers a condition type).
        from mailsoftly.tracking import segments  # noqa: F401
