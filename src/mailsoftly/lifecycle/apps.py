from django.apps import AppConfig
from django.db.models.signals import pre_save


class LifecycleConfig(AppConfig):
    name = "mailsoftly.lifecycle"
    label = "lifecycle"
    verbose_name = "Data lifecycle"

    def ready(self) -> None:
        from mailsoftly.core.regions import guard_region_change, guard_regional_write
        from mailsoftly.core.trash import trash_service_set
        from mailsoftly.lifecycle.services.trash import ModelTrashService

        # Every tenant model's move_to_trash() / restore_from_trash() goes through the one
        # trash service (children, legal holds, region check, audit row).
        trash_service_set(ModelTrashService())

        # Residency guards (policy P40): connected for every sender and filtered inside,
        # so models of apps loaded later are covered too.
        pre_save.connect(guard_regional_write, dispatch_uid="mailsoftly_guard_regional_write")
        pre_save.connect(
            guard_region_change,
            sender="teams.Workspace",
            dispatch_uid="mailsoftly_guard_region_change",
        )
