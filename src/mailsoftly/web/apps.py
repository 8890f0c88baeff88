from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mailsoftly.web"
    label = "web"
    verbose_name = "Web UI"
