from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "mailsoftly.tracking"
    label = "tracking"
    verbose_name = "Tracking and analytics"
