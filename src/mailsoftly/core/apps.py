from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mailsoftly.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from mailsoftly.config import celery  # noqa: F401  (binds shared tasks to our app)
        from mailsoftly.core import checks  # noqa: F401  (registers system checks)
