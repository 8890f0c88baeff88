from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "mailsoftly.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
