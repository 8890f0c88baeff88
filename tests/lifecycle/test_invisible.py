"""Deleted data is used for nothing but restoring it (policy P27): lists, search, audiences."""

from __future__ import annotations

import pytest

from mailsoftly.contacts import selectors as contact_selectors
from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import ExportJob
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory

pytestmark = pytest.mark.policy("P27")


def test_a_trashed_contact_is_not_listed_searched_or_mailed(workspace, user):
    newsletter = ContactListFactory(workspace=workspace)
    kept = ContactFactory(workspace=workspace, email="kept@example.com")
    gone = ContactFactory(workspace=workspace, email="gone@example.com")
    for contact in (kept, gone):
        SubscriptionFactory(contact=contact, contact_list=newsletter)
    services.trash_move(obj_or_queryset=gone, actor=user)
    assert list(contact_selectors.contact_list(workspace=workspace)) == [kept]
    assert not contact_selectors.contact_list(workspace=workspace, search="gone").exists()
    audience = contact_selectors.contact_list_for_audience(
        workspace=workspace, list_ids=[newsletter.pk]
    )
    assert list(audience) == [kept]


def test_a_trashed_list_mails_nobody_and_is_not_listed(workspace, user):
    newsletter = ContactListFactory(workspace=workspace)
    SubscriptionFactory(contact=ContactFactory(workspace=workspace), contact_list=newsletter)
    services.trash_move(obj_or_queryset=newsletter, actor=user)
    assert newsletter not in contact_selectors.contact_list_list(workspace=workspace)
    audience = contact_selectors.contact_list_for_audience(
        workspace=workspace, list_ids=[newsletter.pk]
    )
    assert not audience.exists()


def test_a_trashed_export_cannot_be_downloaded(logged_in_client, workspace, user):
    from django.urls import reverse

    job = ExportJob.objects.for_workspace(workspace).create(workspace=workspace, format="json")
    job = services.export_run(export_id=job.pk, region="us")
    token = services.export_link_token(job=job)
    services.trash_move(obj_or_queryset=job, actor=user)
    response = logged_in_client.get(reverse("lifecycle:export_download", args=[job.pk, token]))
    assert response.status_code == 404
    page = logged_in_client.get(reverse("lifecycle:exports")).content.decode()
    assert token not in page
