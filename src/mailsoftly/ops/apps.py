from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "mailsoftly.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import task_failure

        from mailsoftly.ops.metrics import task_failure_count

        task_failure.connect(task_failure_count, weak=False, dispatch_uid="ops-task-failures")
