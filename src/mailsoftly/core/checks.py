"""System checks that reject bad configuration combinations at start."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_mail_is_real(app_configs, **kwargs):
    errors = []
    if (
        settings.PRODUCTION
        and settings.MAILERS["default"]["BACKEND"] == "mailsoftly.core.mail.OutboxBackend"
    ):
        errors.append(
            Error(
                "Production has no SMTP_URL: platform mail would only be captured, never sent.",
                hint="Set SMTP_URL=smtp+starttls://user:password@host:587",
                id="mailsoftly.E001",
            )
        )
    if settings.PRODUCTION and settings.CELERY_BROKER_URL.startswith("filesystem://"):
        errors.append(
            Error(
                "Production uses the embedded file broker.",
                hint="Set REDIS_URL so workers on several machines share one queue.",
                id="mailsoftly.E002",
            )
        )
    return errors
