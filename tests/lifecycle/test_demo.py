from mailsoftly.lifecycle.demo import lifecycle_demo
from mailsoftly.lifecycle.models import ExportJob, ExportStatus


def test_demo_step_is_idempotent_and_fills_exports_and_trash(workspace, user):
    lifecycle_demo(workspace=workspace, user=user)
    lifecycle_demo(workspace=workspace, user=user)
    assert ExportJob.objects.for_workspace(workspace).get().status == ExportStatus.DONE
    assert ExportJob.trashed.for_workspace(workspace).count() == 1
