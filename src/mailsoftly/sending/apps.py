from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "mailsoftly.sending"
    label = "sending"
    verbose_name = "Sending"
