from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mailsoftly.api"
    label = "api"
    verbose_name = "REST API"
