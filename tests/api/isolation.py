"""Cross-workspace isolation for every API route that takes an id (P01, P02, P15).

API calls carry workspace A's key (``headers``); the ids belong to workspace B.
"""

from __future__ import annotations

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.contacts import services as contact_services
from tests.api.helpers import auth, make_key, subscribe_pro
from tests.campaigns.helpers import make_campaign, make_design, make_list, people
from tests.isolation.routes import ROUTES, Route, route


def _key_of_a(workspace, user):
    subscribe_pro(workspace)
    return auth(make_key(workspace, user)[1])


def _api(name, methods=("get",), data=None):
    def register(build):
        ROUTES[name] = Route(name, build, methods, data, _key_of_a)
        return build

    return register


@_api("api:contact", methods=("get", "patch", "delete"), data={"first_name": "Mallory"})
def _contact(workspace, user):
    return {
        "contact_id": contact_services.contact_create(workspace=workspace, email="b@example.org").pk
    }


@_api("api:list", methods=("get", "patch", "delete"), data={"name": "Taken"})
def _list(workspace, user):
    return {"list_id": contact_services.contact_list_create(workspace=workspace, name="B").pk}


@_api("api:segment")
def _segment(workspace, user):
    segment = contact_services.segment_create(
        workspace=workspace, name="B", rules={"conditions": []}
    )
    return {"segment_id": segment.pk}


@_api("api:design", methods=("get", "patch", "delete"), data={"name": "Taken"})
def _design(workspace, user):
    return {"design_id": make_design(workspace).pk}


@_api("api:design_versions")
def _design_versions(workspace, user):
    return {"design_id": make_design(workspace).pk}


@_api("api:design_render")
def _design_render(workspace, user):
    return {"design_id": make_design(workspace).pk}


@_api("api:design_publish", methods=("post",))
def _design_publish(workspace, user):
    return {"design_id": make_design(workspace).pk}


@_api("api:design_unpublish", methods=("post",))
def _design_unpublish(workspace, user):
    from mailsoftly.designs import services as design_services

    return {
        "design_id": design_services.design_publish(design=make_design(workspace), user=user).pk
    }


@_api("api:design_version_restore", methods=("post",))
def _design_version_restore(workspace, user):
    from mailsoftly.designs import selectors as design_selectors
    from tests.designs.factories import make_design as make_versioned_design

    design = make_versioned_design(workspace, user)
    version = design_selectors.design_version_list(design=design).first()
    return {"design_id": design.pk, "version_id": version.pk}


@_api("api:design_test_send", methods=("post",), data={"recipients": ["a@example.com"]})
def _design_test_send(workspace, user):
    return {"design_id": make_design(workspace).pk}


def _campaign(workspace, state="draft"):
    contact_list, _contacts = make_list(workspace, people(1))
    campaign = make_campaign(workspace, contact_list)
    if state in ("sending", "paused"):
        campaign_services.campaign_send(campaign=campaign, enqueue=False)
    if state == "paused":
        campaign_services.campaign_pause(campaign=campaign)
    return {"campaign_id": campaign.pk}


@_api("api:campaign")
def _campaign_get(workspace, user):
    return _campaign(workspace)


@_api("api:campaign_report")
def _campaign_report(workspace, user):
    return _campaign(workspace)


@_api("api:campaign_schedule", methods=("post",), data={"at": "2099-01-01T09:00:00Z"})
def _campaign_schedule(workspace, user):
    return _campaign(workspace)


@_api("api:campaign_pause", methods=("post",))
def _campaign_pause(workspace, user):
    return _campaign(workspace, "sending")


@_api("api:campaign_resume", methods=("post",))
def _campaign_resume(workspace, user):
    return _campaign(workspace, "paused")


@_api("api:campaign_cancel", methods=("post",))
def _campaign_cancel(workspace, user):
    return _campaign(workspace)


@route("api:key_revoke", methods=("post",))
def _key_revoke(workspace, user):
    return {"pk": make_key(workspace, user)[0].pk}


def _webhook_endpoint(workspace):
    from mailsoftly.webhooks.models import WebhookEndpoint

    # Built directly: creating through the service would resolve a real host name.
    return WebhookEndpoint.objects.for_workspace(workspace).create(
        workspace=workspace,
        url="https://hooks.example.com/b",
        events=["contact.created"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )


@_api("api:webhook", methods=("get", "delete"))
def _webhook(workspace, user):
    return {"endpoint_id": _webhook_endpoint(workspace).pk}


@_api("api:webhook_enable", methods=("post",))
def _webhook_enable(workspace, user):
    return {"endpoint_id": _webhook_endpoint(workspace).pk}


@_api("api:webhook_messages")
def _webhook_messages(workspace, user):
    return {"endpoint_id": _webhook_endpoint(workspace).pk}


@_api("api:webhook_message_retry", methods=("post",))
def _webhook_message_retry(workspace, user):
    from mailsoftly.webhooks.models import MessageStatus, WebhookMessage

    message = WebhookMessage.objects.for_workspace(workspace).create(
        workspace=workspace,
        endpoint=_webhook_endpoint(workspace),
        msg_id="msg_isolation",
        event="contact.created",
        payload={},
        status=MessageStatus.FAILED,
    )
    return {"message_id": message.pk}


def _contact_import(workspace):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mailsoftly.contacts import imports

    return imports.contact_import_upload(
        workspace=workspace,
        uploaded_file=SimpleUploadedFile("b.csv", b"Email\nb@example.org\n"),
    )


@_api("api:import")
def _import(workspace, user):
    return {"import_id": _contact_import(workspace).pk}


@_api("api:import_errors")
def _import_errors(workspace, user):
    return {"import_id": _contact_import(workspace).pk}


@_api("api:import_start", methods=("post",), data={"mapping": {"0": "email"}})
def _import_start(workspace, user):
    return {"import_id": _contact_import(workspace).pk}


def _export_job(workspace, user):
    from mailsoftly.lifecycle.models import ExportJob

    # Built directly and left pending: the isolation test only needs B's id.
    return ExportJob.objects.for_workspace(workspace).create(
        workspace=workspace, requested_by=user, format="json"
    )


@_api("api:export")
def _export(workspace, user):
    return {"export_id": _export_job(workspace, user).pk}


@_api("api:export_download")
def _export_download(workspace, user):
    return {"export_id": _export_job(workspace, user).pk}
