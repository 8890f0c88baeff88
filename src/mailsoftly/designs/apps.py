from django.apps import AppConfig


class DesignsConfig(AppConfig):
    name = "mailsoftly.designs"
    label = "designs"
    verbose_name = "Email designs"
