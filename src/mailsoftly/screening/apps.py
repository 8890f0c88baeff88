from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "mailsoftly.screening"
    label = "screening"
    verbose_name = "Abuse screening"
