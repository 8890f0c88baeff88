import pytest
from django.db import IntegrityError, transaction

from mailsoftly.contacts.models import Contact
from tests.contacts.factories import ContactFactory, ContactListFactory, SubscriptionFactory


def test_contact_lands_in_its_workspace_region(workspace, eu_workspace):
    ContactFactory(workspace=eu_workspace, email="eu@example.com")
    ContactFactory(workspace=workspace, email="us@example.com")
    assert list(Contact.objects.using("eu").values_list("email", flat=True)) == ["eu@example.com"]
    assert list(Contact.objects.using("default").values_list("email", flat=True)) == [
        "us@example.com"
    ]


def test_email_key_is_unique_among_live_contacts_only(workspace):
    first = ContactFactory(workspace=workspace, email="Ann@example.com")
    with pytest.raises(IntegrityError), transaction.atomic(using=workspace.database):
        ContactFactory(workspace=workspace, email="ann@example.com")
    Contact.objects.for_workspace(workspace).filter(pk=first.pk).move_to_trash()
    # A trashed contact no longer blocks the address.
    ContactFactory(workspace=workspace, email="ann@example.com")


def test_subscription_links_contact_and_list(workspace):
    contact = ContactFactory(workspace=workspace)
    contact_list = ContactListFactory(workspace=workspace)
    SubscriptionFactory(contact=contact, contact_list=contact_list)
    assert contact.subscriptions.get().contact_list == contact_list
