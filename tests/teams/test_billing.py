"""Billing contact (P21): distinct from the holder; a recorded request, disclosure, notice."""

import re

import pytest
from django.urls import reverse

from mailsoftly.audit.models import AuditEvent
from mailsoftly.teams.errors import PermissionRefused
from mailsoftly.teams.models import BillingContact, BillingDetailsRequest
from mailsoftly.teams.services import billing_contact_set, billing_details_link
from mailsoftly.teams.tasks import billing_details_send_task
from tests.audit.helpers import audit_rows
from tests.teams.helpers import add_member


def _set(workspace, actor, **overrides):
    values = {
        "name": "Bea Ledger",
        "email": "billing@acme.example",
        "address": "1 Counting House Lane\nLedgerton",
    }
    values.update(overrides)
    return billing_contact_set(workspace=workspace, actor=actor, **values)


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.policy("P21")
def test_billing_contact_requests_details_and_the_holder_is_told(
    client, user, workspace, mailoutbox, django_capture_on_commit_callbacks
):
    user.email = "owner@acme.example"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        contact = _set(workspace, user)
    assert contact.email != user.email
    link_mail = mailoutbox.pop()
    assert link_mail.to == ["billing@acme.example"]
    link = re.search(r"https?://\S+/team/billing-details/\S+/", link_mail.body).group(0)

    confirm = client.get(_path(link))
    assert confirm.status_code == 200 and "Email me the details" in confirm.content.decode()
    assert not BillingDetailsRequest.objects.for_workspace(workspace).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(_path(link), HTTP_USER_AGENT="Mail client", REMOTE_ADDR="192.0.2.9")
    assert done.status_code == 200
    record = BillingDetailsRequest.objects.for_workspace(workspace).get()
    assert (record.contact_email, record.ip) == ("billing@acme.example", "192.0.2.9")
    assert record.disclosed_at is not None and record.holder_notified_at is not None
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    details = by_recipient[("billing@acme.example",)].body
    assert "Acme" in details and user.username in details and "owner@acme.example" in details
    notice = by_recipient[("owner@acme.example",)].body
    assert "billing@acme.example" in notice and "asked for" in notice
    assert audit_rows(action="billing_details.requested")


@pytest.mark.policy("P21")
def test_sending_the_details_twice_sends_nothing_more(user, workspace, mailoutbox):
    contact = _set(workspace, user)
    record = BillingDetailsRequest.objects.for_workspace(workspace).create(
        workspace=workspace, contact_name=contact.name, contact_email=contact.email
    )
    billing_details_send_task.delay(workspace_id=workspace.pk, request_id=record.pk)
    sent = len(mailoutbox)
    billing_details_send_task.delay(workspace_id=workspace.pk, request_id=record.pk)
    assert sent == 2 and len(mailoutbox) == 2


def test_link_dies_when_the_contact_changes(client, user, workspace):
    contact = _set(workspace, user)
    old_link = billing_details_link(workspace=workspace, contact=contact)
    _set(workspace, user, email="new-billing@acme.example")
    response = client.post(_path(old_link))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert not BillingDetailsRequest.objects.for_workspace(workspace).exists()


@pytest.mark.parametrize("token", ["nonsense", "a:b:c", "x" * 500])
def test_forged_links_get_a_clear_page(client, token):
    url = reverse("teams:billing_details_request", kwargs={"token": token})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_members_cannot_change_the_billing_contact(user, workspace):
    member, _ = add_member(workspace)
    with pytest.raises(PermissionRefused):
        _set(workspace, member)
    assert not BillingContact.objects.for_workspace(workspace).exists()
    assert AuditEvent.objects.get(action="permission.refused").actor_id == member.pk


def test_audit_names_changed_fields_without_copying_personal_data(user, workspace):
    _set(workspace, user)
    _set(workspace, user, address="2 New Street")
    changes = [e.after for e in audit_rows(action="billing_contact.changed")]
    assert changes == [{"fields": ["address"]}, {"fields": ["address", "email", "name"]}]


def test_eu_workspace_keeps_the_billing_contact_in_the_eu(user, eu_workspace):
    _set(eu_workspace, user)
    assert BillingContact.objects.using("eu").filter(workspace_id=eu_workspace.pk).exists()
    assert not BillingContact.objects.using("default").filter(workspace_id=eu_workspace.pk).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("email", "nope"), ("address", ""), ("name", "x" * 201)],
)
def test_bad_billing_input_gets_a_field_message(logged_in_client, workspace, field, value):
    data = {"section": "billing", "name": "Bea", "email": "b@acme.example", "address": "1 Lane"}
    data[field] = value
    response = logged_in_client.post(reverse("teams:settings"), data)
    assert response.status_code == 400
    assert response.context["billing_form"].errors.get(field)
    assert not BillingContact.objects.for_workspace(workspace).exists()
