"""The contacts services tell subscribed webhook endpoints what happened (P15), and an
import that finishes tells screening how many contacts it added (P16)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from mailsoftly.contacts import imports, services
from mailsoftly.contacts.models import ContactImport, ImportStatus
from mailsoftly.webhooks.models import WebhookMessage
from mailsoftly.webhooks.services import webhook_endpoint_create
from tests.contacts.factories import ContactFactory, ContactListFactory
from tests.webhooks.conftest import Receiver

CONTACT_EVENTS = [
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.unsubscribed",
    "import.finished",
]


@pytest.fixture
def endpoint(workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return webhook_endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=CONTACT_EVENTS
    )


def messages(workspace, event=None):
    qs = WebhookMessage.objects.for_workspace(workspace).order_by("pk")
    if event:
        qs = qs.filter(event=event)
    return list(qs)


def _import(workspace, text, **options):
    job = imports.contact_import_upload(
        workspace=workspace, uploaded_file=SimpleUploadedFile("people.csv", text.encode())
    )
    with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
        imports.contact_import_start(
            contact_import=job, mapping={"0": "email"}, mode="add", **options
        )
    job.refresh_from_db()
    return job


@pytest.mark.policy("P15")
def test_contact_lifecycle_events_are_emitted_by_the_services(workspace, endpoint):
    contact = services.contact_create(workspace=workspace, email="ann@example.org")
    services.contact_update(contact=contact, first_name="Ann")
    contact_list = ContactListFactory(workspace=workspace)
    services.contact_subscribe(contact=contact, contact_list=contact_list)
    services.contact_unsubscribe(contact=contact, contact_list=contact_list)
    services.contact_unsubscribe_all(contact=contact)
    services.contact_trash(contact=contact)
    services.contact_trash(contact=contact)  # already in the trash: nothing more to say
    assert [m.event for m in messages(workspace)] == [
        "contact.created",
        "contact.updated",
        "contact.unsubscribed",
        "contact.unsubscribed",
        "contact.deleted",
    ]
    created, updated, one_list, all_lists, deleted = (
        m.payload["data"] for m in messages(workspace)
    )
    assert created["contact"]["email"] == "ann@example.org"
    assert updated["contact"]["first_name"] == "Ann" and updated["changed"] == ["first_name"]
    assert one_list["list"]["id"] == contact_list.pk
    assert all_lists["all_lists"] is True
    assert deleted == {"contact": {"id": contact.pk, "email": "ann@example.org"}, "trashed": True}


@pytest.mark.policy("P15")
def test_an_erased_contact_is_announced_by_id_only(workspace, endpoint):
    contact = ContactFactory(workspace=workspace, email="erase.me@example.org")
    services.contact_erase(contact=contact)
    [message] = messages(workspace, "contact.deleted")
    assert message.payload["data"] == {"contact": {"id": contact.pk}, "erased": True}
    assert "erase.me" not in json.dumps(message.payload)


def test_a_failed_write_announces_nothing(workspace, endpoint):
    ContactFactory(workspace=workspace, email="taken@example.org")
    with pytest.raises(ValidationError, match="already exists"):
        services.contact_create(workspace=workspace, email="taken@example.org")
    assert messages(workspace) == []


@pytest.mark.policy("P15")
def test_import_finished_is_emitted_once_with_the_counts(workspace, endpoint):
    job = _import(workspace, "email\na@example.org\nbroken\nb@example.org\n")
    assert job.status == ImportStatus.DONE
    [message] = messages(workspace)  # no per-contact events for an import
    data = message.payload["data"]["import"]
    assert message.event == "import.finished"
    assert (data["id"], data["status"], data["created"], data["errors"]) == (
        job.pk,
        "done",
        2,
        1,
    )


@pytest.mark.policy("P15")
def test_a_subscribed_endpoint_receives_the_event_over_http(workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()
    try:
        webhook_endpoint_create(
            workspace=workspace, url=receiver.url + "/hook", events=["contact.created"]
        )
        with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
            services.contact_create(workspace=workspace, email="live@example.org")
        [request] = receiver.requests
        body = json.loads(request["body"])
        assert body["type"] == "contact.created"
        assert body["data"]["contact"]["email"] == "live@example.org"
    finally:
        receiver.close()


@pytest.mark.policy("P16")
def test_a_large_first_import_raises_the_account_risk(workspace, monkeypatch):
    from mailsoftly.screening.models import AccountRisk
    from mailsoftly.screening.services import risk

    monkeypatch.setattr(risk, "LARGE_FIRST_IMPORT", 3)
    job = _import(workspace, "email\n" + "".join(f"p{i}@example.org\n" for i in range(3)))
    assert job.created_count == 3
    signals = AccountRisk.objects.get(workspace=workspace).signals
    assert signals.get("large_first_import") == "3"


def test_a_small_import_records_no_risk_signal(workspace):
    from mailsoftly.screening.models import AccountRisk

    job = _import(workspace, "email\na@example.org\n")
    assert job.status == ImportStatus.DONE
    risk = AccountRisk.objects.filter(workspace=workspace).first()
    assert risk is not None  # assessed after the import...
    assert "large_first_import" not in risk.signals  # ...without the signal


def test_import_of_a_suppressed_address_is_reported_not_added(workspace):
    services.suppression_add(workspace=workspace, email="no@example.org", reason="manual")
    job = _import(workspace, "email\nno@example.org\nyes@example.org\n")
    assert (job.created_count, job.error_count) == (1, 1)
    [error] = ContactImport.objects.for_workspace(workspace).get(pk=job.pk).row_errors.all()
    assert (error.row_number, error.email) == (2, "no@example.org")
    assert "suppression list" in error.reason
