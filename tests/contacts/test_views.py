import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mailsoftly.contacts import services
from mailsoftly.contacts.models import Contact, ContactImport, ImportStatus, Segment
from tests.contacts.factories import ContactFactory, ContactListFactory, CustomFieldFactory
from tests.factories import UserFactory


def test_contact_pages_require_login(client):
    response = client.get(reverse("contacts:contact_list"))
    assert response.status_code == 302


def test_list_search_and_htmx_partial(logged_in_client, workspace):
    ContactFactory(workspace=workspace, email="ann@example.org", first_name="Ann")
    ContactFactory(workspace=workspace, email="bob@example.org", first_name="Bob")
    page = logged_in_client.get(reverse("contacts:contact_list"), {"q": "ann"})
    assert b"ann@example.org" in page.content
    assert b"bob@example.org" not in page.content
    partial = logged_in_client.get(
        reverse("contacts:contact_list"), {"q": "bob"}, headers={"HX-Request": "true"}
    )
    assert b"<html" not in partial.content
    assert b"bob@example.org" in partial.content


def test_create_contact_with_bad_address_shows_error_next_to_field(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("contacts:contact_create"), {"email": "nope@", "first_name": "X"}
    )
    assert response.status_code == 200
    assert b"is-invalid" in response.content
    assert not Contact.objects.for_workspace(workspace).exists()
    response = logged_in_client.post(
        reverse("contacts:contact_create"), {"email": "ok@example.org", "tags": "a, b"}
    )
    contact = Contact.objects.for_workspace(workspace).get()
    assert response.url == reverse("contacts:contact_detail", args=[contact.pk])


def test_edit_contact_custom_field_and_errors(logged_in_client, workspace):
    CustomFieldFactory(workspace=workspace, key="age", label="Age", field_type="number")
    contact = ContactFactory(workspace=workspace)
    url = reverse("contacts:contact_detail", args=[contact.pk])
    assert logged_in_client.get(url).status_code == 200
    bad = logged_in_client.post(
        url, {"email": contact.email, "status": "active", "field_age": "old"}
    )
    assert bad.status_code == 200
    assert b"not a number" in bad.content
    logged_in_client.post(url, {"email": contact.email, "status": "active", "field_age": "7"})
    contact.refresh_from_db()
    assert contact.fields == {"age": 7}


@pytest.mark.policy("P27")
def test_trashed_contact_disappears_from_list_and_export(logged_in_client, workspace):
    contact = ContactFactory(workspace=workspace, email="bye@example.org")
    logged_in_client.post(reverse("contacts:contact_trash", args=[contact.pk]))
    assert b"bye@example.org" not in logged_in_client.get(reverse("contacts:contact_list")).content
    export = logged_in_client.get(reverse("contacts:contact_export"), {"format": "csv"})
    assert b"bye@example.org" not in b"".join(export.streaming_content)
    assert (
        logged_in_client.get(reverse("contacts:contact_detail", args=[contact.pk])).status_code
        == 404
    )


def test_member_cannot_erase(client, workspace):
    from mailsoftly.teams.models import Membership

    member = UserFactory()
    Membership.objects.create(user=member, workspace=workspace, role="member")
    client.force_login(member)
    contact = ContactFactory(workspace=workspace)
    response = client.post(
        reverse("contacts:contact_erase", args=[contact.pk]), {"confirm": contact.email}
    )
    assert response.status_code == 403
    assert Contact.objects.for_workspace(workspace).filter(pk=contact.pk).exists()


def test_import_wizard_end_to_end_with_error_report(logged_in_client, workspace):
    contact_list = ContactListFactory(workspace=workspace)
    upload = SimpleUploadedFile(
        "messy.csv", "Email Address;First Name\nok@example.org;Ok\nbroken;Bad\n".encode("cp1252")
    )
    response = logged_in_client.post(reverse("contacts:import_new"), {"file": upload})
    job = ContactImport.objects.for_workspace(workspace).get()
    assert response.url == reverse("contacts:import_detail", args=[job.pk])
    page = logged_in_client.get(response.url)
    assert b"Email Address" in page.content
    assert b'value="email" selected' in page.content  # preset mapping
    with __import__("django.test", fromlist=["TestCase"]).TestCase.captureOnCommitCallbacks(
        using=workspace.database, execute=True
    ):
        logged_in_client.post(
            response.url,
            {
                "col_0": "email",
                "col_1": "first_name",
                "mode": "add",
                "contact_list": contact_list.pk,
            },
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    progress = logged_in_client.get(reverse("contacts:import_progress", args=[job.pk]))
    assert b"Download the error report" in progress.content
    report = logged_in_client.get(reverse("contacts:import_errors", args=[job.pk]))
    rows = list(
        csv.reader(io.StringIO(b"".join(report.streaming_content).decode().lstrip("\ufeff")))
    )
    assert rows[0] == ["row", "email", "reason"]
    assert rows[1][:2] == ["3", "broken"]


def test_upload_of_empty_file_shows_error(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("contacts:import_new"), {"file": SimpleUploadedFile("e.csv", b"")}
    )
    assert response.status_code == 200
    assert b"is-invalid" in response.content or b"empty" in response.content


def test_mapping_without_email_shows_error(logged_in_client, workspace):
    logged_in_client.post(
        reverse("contacts:import_new"), {"file": SimpleUploadedFile("a.csv", b"name\nx\n")}
    )
    job = ContactImport.objects.for_workspace(workspace).get()
    response = logged_in_client.post(
        reverse("contacts:import_detail", args=[job.pk]), {"col_0": "first_name", "mode": "add"}
    )
    assert response.status_code == 200
    assert b"email address" in response.content
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_segment_builder_saves_and_counts(logged_in_client, workspace):
    ContactFactory(workspace=workspace, email="a@corp.example")
    ContactFactory(workspace=workspace, email="b@home.example")
    data = {
        "name": "Corp",
        "match": "all",
        "field_0": "email",
        "op_0": "ends_with",
        "value_0": "corp.example",
    }
    count = logged_in_client.post(reverse("contacts:segment_count"), data)
    assert b"1 contact matches" in count.content
    bad = logged_in_client.post(reverse("contacts:segment_count"), {**data, "op_0": "drop_table"})
    assert b"Unknown operator" in bad.content
    response = logged_in_client.post(reverse("contacts:segment_create"), data)
    segment = Segment.objects.for_workspace(workspace).get()
    assert response.url == reverse("contacts:segment_detail", args=[segment.pk])
    assert logged_in_client.get(response.url).status_code == 200
    listed = logged_in_client.get(reverse("contacts:contact_list"), {"segment": segment.pk})
    assert b"a@corp.example" in listed.content
    assert b"b@home.example" not in listed.content


def test_a_segment_without_conditions_is_refused_with_a_message(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("contacts:segment_create"), {"name": "Everyone?", "match": "all"}
    )
    assert response.status_code == 200
    assert "would match every contact" in response.content.decode()
    assert not Segment.objects.for_workspace(workspace).exists()


def test_lists_fields_and_suppression_pages(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("contacts:list_list"),
        {"name": "News", "visibility": "public", "double_opt_in": "on", "consent_text": "Hi"},
    )
    assert response.status_code == 302
    assert logged_in_client.get(response.url).status_code == 200
    response = logged_in_client.post(
        reverse("contacts:field_list"),
        {"label": "Favourite colour", "field_type": "choice", "choices": ""},
    )
    assert b"at least one choice" in response.content
    logged_in_client.post(reverse("contacts:field_list"), {"label": "City", "field_type": "text"})
    assert b"city" in logged_in_client.get(reverse("contacts:field_list")).content
    logged_in_client.post(
        reverse("contacts:suppression_list"), {"email": "x@example.org", "reason": "manual"}
    )
    assert b"x@example.org" in logged_in_client.get(reverse("contacts:suppression_list")).content


def test_dashboard_card_and_nav(logged_in_client, workspace):
    ContactFactory(workspace=workspace)
    page = logged_in_client.get(reverse("web:dashboard"))
    assert reverse("contacts:contact_list").encode() in page.content


def test_demo_step_is_idempotent(workspace, user):
    from mailsoftly.contacts.demo import contacts_demo

    contacts_demo(workspace=workspace, user=user)
    contacts_demo(workspace=workspace, user=user)
    assert Contact.objects.for_workspace(workspace).count() == 50
    assert services  # imported for side effects of registration


def test_import_whose_file_is_gone_shows_failed_with_the_reason(logged_in_client, workspace):
    from django.core.files.storage import default_storage

    logged_in_client.post(
        reverse("contacts:import_new"),
        {"file": SimpleUploadedFile("a.csv", b"email\nann@example.org\n")},
    )
    job = ContactImport.objects.for_workspace(workspace).get()
    default_storage.delete(job.file_path)
    url = reverse("contacts:import_detail", args=[job.pk])
    for page in (
        logged_in_client.post(url, {"col_0": "email", "mode": "add"}),
        logged_in_client.get(url),
    ):
        assert page.status_code == 200
        assert b"can no longer be read" in page.content
        assert b"Resume the import" not in page.content
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
