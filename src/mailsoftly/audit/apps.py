from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mailsoftly.audit"
    label = "audit"
    verbose_name = "Audit log"
