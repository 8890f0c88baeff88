"""Cross-workspace isolation: every contacts URL that takes an id (P02)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from mailsoftly.contacts import imports
from mailsoftly.contacts.models import ListVisibility
from tests.contacts.factories import (
    ContactFactory,
    ContactListFactory,
    CustomFieldFactory,
    SegmentFactory,
)
from tests.isolation.routes import route


@route("contacts:contact_detail", methods=("get", "post"))
def _contact(workspace, user):
    return {"pk": ContactFactory(workspace=workspace).pk}


@route("contacts:contact_subscription", methods=("post",))
def _contact_subscription(workspace, user):
    return {"pk": ContactFactory(workspace=workspace).pk}


@route("contacts:contact_trash", methods=("post",))
def _contact_trash(workspace, user):
    return {"pk": ContactFactory(workspace=workspace).pk}


@route("contacts:contact_erase", methods=("post",))
def _contact_erase(workspace, user):
    return {"pk": ContactFactory(workspace=workspace).pk}


@route("contacts:list_detail", methods=("get", "post"))
def _list(workspace, user):
    return {"pk": ContactListFactory(workspace=workspace).pk}


@route("contacts:list_trash", methods=("post",))
def _list_trash(workspace, user):
    return {"pk": ContactListFactory(workspace=workspace).pk}


@route("contacts:field_trash", methods=("post",))
def _field_trash(workspace, user):
    return {"pk": CustomFieldFactory(workspace=workspace).pk}


@route("contacts:segment_detail", methods=("get", "post"))
def _segment(workspace, user):
    return {"pk": SegmentFactory(workspace=workspace).pk}


@route("contacts:segment_trash", methods=("post",))
def _segment_trash(workspace, user):
    return {"pk": SegmentFactory(workspace=workspace).pk}


@route("contacts:suppression_remove", methods=("post",))
def _suppression(workspace, user):
    from mailsoftly.contacts.services import suppression_add

    return {"pk": suppression_add(workspace=workspace, email="s@example.org", reason="manual").pk}


def _import(workspace, user):
    return imports.contact_import_upload(
        workspace=workspace,
        uploaded_file=SimpleUploadedFile("a.csv", b"email\nx@example.org\n"),
    )


for _name, _methods in (
    ("contacts:import_detail", ("get", "post")),
    ("contacts:import_progress", ("get",)),
    ("contacts:import_resume", ("post",)),
    ("contacts:import_errors", ("get",)),
):
    route(_name, methods=_methods)(lambda workspace, user: {"pk": _import(workspace, user).pk})


@route("contacts:subscribe", methods=("get", "post"))
def _subscribe(workspace, user):
    # A public list's form is public by design; a private list has no form for anyone.
    contact_list = ContactListFactory(workspace=workspace, visibility=ListVisibility.PRIVATE)
    return {"form_key": contact_list.form_key}


@route("contacts:subscribe_confirm", methods=("get", "post"))
def _confirm(workspace, user):
    # Tokens are signed capabilities: one not issued by us (tampered) is a 404.
    return {"token": "eyJ3IjoxLCJzIjoxfQ:1tampered:signature"}
