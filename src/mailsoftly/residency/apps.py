from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_delete


class ResidencyConfig(AppConfig):
    name = "mailsoftly.residency"
    label = "residency"
    verbose_name = "Data residency"

    def ready(self) -> None:
        from mailsoftly.core.region_ids import on_post_migrate
        from mailsoftly.core.regions import guard_regional_delete, register_read_only_checker
        from mailsoftly.residency.selectors import workspace_move_message

        # A workspace moving region is read-only: saves (core.regions guard) and deletes.
        register_read_only_checker(workspace_move_message)
        pre_delete.connect(guard_regional_delete, dispatch_uid="mailsoftly_guard_regional_delete")
        # Each region numbers its rows in its own id band, so moves keep ids.
        post_migrate.connect(on_post_migrate, dispatch_uid="mailsoftly_region_id_bands")
