"""The Trash page: everything restorable in the workspace, with time left (policy P26, P27)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from mailsoftly.contacts.models import Subscription
from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import ExportJob
from mailsoftly.teams.services import workspace_create
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory
from tests.factories import UserFactory
from tests.lifecycle.factories import ExportJobFactory
from tests.lifecycle.isolation import _trashed_export

START = timezone.datetime(2026, 3, 1, 12, 0, tzinfo=timezone.UTC)


@pytest.mark.policy("P26")
def test_trash_page_lists_trashed_items_of_every_model_with_days_left(
    logged_in_client, workspace, user
):
    with time_machine.travel(START, tick=False) as traveller:
        contact = ContactFactory(workspace=workspace, email="gone@example.com")
        newsletter = ContactListFactory(workspace=workspace, name="Old newsletter")
        SubscriptionFactory(contact=ContactFactory(workspace=workspace), contact_list=newsletter)
        ContactFactory(workspace=workspace, email="live@example.com")
        services.trash_move(obj_or_queryset=contact, actor=user)
        services.trash_move(obj_or_queryset=newsletter, actor=user)
        traveller.shift(timedelta(days=10))
        page = logged_in_client.get(reverse("lifecycle:trash")).content.decode()
    assert "gone@example.com" in page and "Old newsletter" in page
    assert "live@example.com" not in page
    assert "deleted for good in 20 days" in page
    assert "Contact" in page and "List" in page
    # The list's subscription went with it and comes back with it: not listed on its own.
    assert "Subscription" not in page
    assert 'aria-label="Items in the trash"' in page


def test_trash_page_restore_brings_the_item_back(logged_in_client, workspace, user):
    newsletter = ContactListFactory(workspace=workspace, name="Weekly")
    SubscriptionFactory(contact=ContactFactory(workspace=workspace), contact_list=newsletter)
    services.trash_move(obj_or_queryset=newsletter, actor=user)
    response = logged_in_client.post(
        reverse("lifecycle:trash_restore", args=["contacts.contactlist", newsletter.pk]),
        follow=True,
    )
    assert "Restored “Weekly”." in response.content.decode()
    assert Subscription.objects.for_workspace(workspace).count() == 1


def test_trash_page_restore_conflict_is_a_message_not_a_500(logged_in_client, workspace, user):
    old = ContactFactory(workspace=workspace, email="ann@example.com")
    services.trash_move(obj_or_queryset=old, actor=user)
    ContactFactory(workspace=workspace, email="ann@example.com")
    response = logged_in_client.post(
        reverse("lifecycle:trash_restore", args=["contacts.contact", old.pk]), follow=True
    )
    assert response.status_code == 200
    assert "now uses the same name" in response.content.decode()


@pytest.mark.policy("P01")
def test_restoring_another_workspaces_item_is_404_and_changes_nothing(logged_in_client):
    stranger = UserFactory()
    theirs = workspace_create(owner=stranger, name="Theirs")
    kwargs = _trashed_export(theirs, stranger)
    response = logged_in_client.post(reverse("lifecycle:trash_restore", kwargs=kwargs))
    assert response.status_code == 404
    assert not ExportJob.objects.for_workspace(theirs).exists()


@pytest.mark.parametrize(
    ("key", "pk"),
    [
        ("lifecycle.exportjob", "abc"),
        ("lifecycle.exportjob", "-1"),
        ("lifecycle.exportjob", "99999999999999999999"),
        ("no.such", "1"),
        ("accounts.user", "1"),
    ],
)
def test_restore_with_garbage_is_404(logged_in_client, key, pk):
    response = logged_in_client.post(reverse("lifecycle:trash_restore", args=[key, pk]))
    assert response.status_code == 404


def test_restore_is_post_only(logged_in_client, workspace, user):
    kwargs = _trashed_export(workspace, user)
    assert (
        logged_in_client.get(reverse("lifecycle:trash_restore", kwargs=kwargs)).status_code == 405
    )


def test_trash_is_in_the_navigation(logged_in_client):
    page = logged_in_client.get(reverse("lifecycle:trash")).content.decode()
    assert f'href="{reverse("lifecycle:trash")}"' in page


def test_expired_items_are_no_longer_offered(logged_in_client, workspace, user):
    with time_machine.travel(START, tick=False) as traveller:
        job = ExportJobFactory(workspace=workspace)
        services.trash_move(obj_or_queryset=job, actor=user)
        traveller.shift(timedelta(days=31))
        page = logged_in_client.get(reverse("lifecycle:trash")).content.decode()
    assert "The trash is empty." in page
