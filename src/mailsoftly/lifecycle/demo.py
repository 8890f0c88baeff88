"""Demo seeding: one finished export, and one in the trash so the Trash page has an item."""

from __future__ import annotations

from mailsoftly.demo import step


@step
def lifecycle_demo(*, workspace, user) -> None:
    from mailsoftly.lifecycle import services
    from mailsoftly.lifecycle.models import ExportJob

    if ExportJob.all_rows.for_workspace(workspace).exists():
        return
    ready = ExportJob.objects.for_workspace(workspace).create(
        workspace=workspace, requested_by=user, format="json"
    )
    services.export_run(export_id=ready.pk, region=workspace.region)
    old = ExportJob.objects.for_workspace(workspace).create(
        workspace=workspace, requested_by=user, format="csv"
    )
    services.trash_move(obj_or_queryset=old, actor=user)
