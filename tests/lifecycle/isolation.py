"""Lifecycle routes that take an object id, for the cross-workspace isolation test."""

from __future__ import annotations

from mailsoftly.lifecycle.models import ExportJob
from tests.isolation.routes import route


@route("lifecycle:trash_restore", methods=("post",))
def _trashed_export(workspace, user):
    job = ExportJob.objects.for_workspace(workspace).create(workspace=workspace, format="csv")
    ExportJob.objects.for_workspace(workspace).filter(pk=job.pk).move_to_trash(by_user_id=user.pk)
    return {"key": "lifecycle.exportjob", "pk": job.pk}


@route("lifecycle:legal_hold_export")
def _legal_hold(workspace, user):
    from mailsoftly.lifecycle.services import legal_hold_place

    hold = legal_hold_place(
        actor=user, scope="workspace", reason="Court order", reference="CASE-1", workspace=workspace
    )
    return {"pk": hold.pk}


def _finished_export(workspace, user):
    from mailsoftly.lifecycle.services import export_request

    return export_request(workspace=workspace, actor=user, format="csv")


@route("lifecycle:export_status")
def _export_status(workspace, user):
    return {"pk": _finished_export(workspace, user).pk}


@route("lifecycle:export_download")
def _export_download(workspace, user):
    from mailsoftly.lifecycle.services import export_link_token

    job = _finished_export(workspace, user)
    return {"pk": job.pk, "token": export_link_token(job=job)}
