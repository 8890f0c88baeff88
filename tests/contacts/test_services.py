import pytest
from django.core.exceptions import ValidationError

from mailsoftly.contacts import selectors, services
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    ContactStatus,
    FieldType,
    Suppression,
    SuppressionReason,
)
from tests.contacts.factories import ContactFactory, ContactListFactory, CustomFieldFactory


def test_contact_create_normalises_and_records_consent(workspace, user):
    contact_list = ContactListFactory(workspace=workspace)
    contact = services.contact_create(
        workspace=workspace,
        email="  Ann.Smith@EXAMPLE.org ",
        first_name=" Ann ",
        list_ids=[contact_list.pk],
        by_user=user,
    )
    assert contact.email == "Ann.Smith@example.org"
    assert contact.email_key == "ann.smith@example.org"
    consent = ConsentRecord.objects.for_workspace(workspace).get(contact=contact)
    assert consent.source == "manual"
    assert consent.ip_address is None
    assert consent.location == f"user:{user.pk}"
    assert list(selectors.contact_list(workspace=workspace, list_id=contact_list.pk)) == [contact]


def test_duplicate_address_is_refused_case_insensitively(workspace):
    services.contact_create(workspace=workspace, email="ann@example.org")
    with pytest.raises(ValidationError) as exc:
        services.contact_create(workspace=workspace, email="ANN@example.ORG")
    assert "email" in exc.value.message_dict
    assert Contact.objects.for_workspace(workspace).count() == 1


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a..b@x.org", "x@y.com.", "\u0430pple@x.org"])
def test_invalid_address_gives_a_field_error(workspace, bad):
    with pytest.raises(ValidationError) as exc:
        services.contact_create(workspace=workspace, email=bad)
    assert exc.value.message_dict["email"]
    assert not Contact.objects.for_workspace(workspace).exists()


def test_custom_field_values_are_typed_and_checked(workspace):
    CustomFieldFactory(workspace=workspace, key="age", field_type=FieldType.NUMBER)
    CustomFieldFactory(workspace=workspace, key="vip", field_type=FieldType.BOOLEAN)
    contact = services.contact_create(
        workspace=workspace, email="a@x.org", fields={"age": "42", "vip": "yes"}
    )
    assert contact.fields == {"age": 42, "vip": True}
    with pytest.raises(ValidationError) as exc:
        services.contact_update(contact=contact, fields={"age": "old"})
    assert "field_age" in exc.value.message_dict


def test_unsubscribe_all_suppresses_the_address(workspace):
    contact = ContactFactory(workspace=workspace)
    services.contact_subscribe(
        contact=contact, contact_list=ContactListFactory(workspace=workspace)
    )
    services.contact_unsubscribe_all(contact=contact)
    contact.refresh_from_db()
    assert contact.status == ContactStatus.UNSUBSCRIBED
    assert selectors.suppression_contains(workspace=workspace, email=contact.email.upper())


@pytest.mark.policy("P38")
def test_erasure_removes_contact_events_consents_and_keeps_only_a_hash(workspace):
    contact = services.contact_create(workspace=workspace, email="gone@example.org")
    services.contact_trash(contact=contact)  # erasure reaches trashed rows too
    contact = Contact.all_rows.for_workspace(workspace).get(pk=contact.pk)
    services.contact_erase(contact=contact)
    assert not Contact.all_rows.for_workspace(workspace).exists()
    assert not ConsentRecord.all_rows.for_workspace(workspace).exists()
    assert not ContactEvent.all_rows.for_workspace(workspace).exists()
    suppression = Suppression.objects.for_workspace(workspace).get()
    assert suppression.email == ""
    assert suppression.reason == SuppressionReason.ERASED
    assert "gone" not in suppression.email_hash
    assert selectors.suppression_contains(workspace=workspace, email="GONE@example.org")
    # Re-added later by mistake, the address is still never mailed.
    again = services.contact_create(workspace=workspace, email="gone@example.org")
    contact_list = ContactListFactory(workspace=workspace)
    services.contact_subscribe(contact=again, contact_list=contact_list)
    assert not selectors.contact_list_for_audience(
        workspace=workspace, list_ids=[contact_list.pk]
    ).exists()


@pytest.mark.policy("P27")
def test_audience_excludes_trashed_unsubscribed_suppressed_and_inactive(workspace):
    contact_list = ContactListFactory(workspace=workspace)
    keep, trashed, unsub, suppressed, bounced, other_list = (
        ContactFactory(workspace=workspace) for _ in range(6)
    )
    for c in (keep, trashed, suppressed, bounced):
        services.contact_subscribe(contact=c, contact_list=contact_list)
    services.contact_subscribe(contact=unsub, contact_list=contact_list)
    services.contact_unsubscribe(contact=unsub, contact_list=contact_list)
    services.contact_subscribe(
        contact=other_list, contact_list=ContactListFactory(workspace=workspace)
    )
    services.contact_trash(contact=trashed)
    services.suppression_add(workspace=workspace, email=suppressed.email, reason="manual")
    services.contact_update(contact=bounced, status=ContactStatus.BOUNCED)
    audience = selectors.contact_list_for_audience(workspace=workspace, list_ids=[contact_list.pk])
    assert list(audience) == [keep]
    # A trashed list selects nobody.
    services.contact_list_trash(contact_list=contact_list)
    assert not selectors.contact_list_for_audience(
        workspace=workspace, list_ids=[contact_list.pk]
    ).exists()


@pytest.mark.policy("P02")
def test_audience_never_reaches_another_workspace(workspace, eu_workspace):
    mine = ContactListFactory(workspace=workspace)
    theirs = ContactListFactory(workspace=eu_workspace)
    services.contact_subscribe(
        contact=ContactFactory(workspace=eu_workspace, email="eu@x.org"), contact_list=theirs
    )
    # Asking for the other workspace's list id from my workspace selects nobody.
    assert not selectors.contact_list_for_audience(
        workspace=workspace, list_ids=[theirs.pk, mine.pk]
    ).exists()


def test_audience_without_lists_or_segment_is_empty(workspace):
    ContactFactory(workspace=workspace)
    assert not selectors.contact_list_for_audience(workspace=workspace).exists()


@pytest.mark.policy("P38")
def test_links_to_a_contact_erased_meanwhile_are_refused_not_orphaned(workspace):
    """The child tables have no foreign-key constraint: the services check the parent."""
    from django.db import IntegrityError

    from mailsoftly.contacts.models import ContactTag, Subscription

    contact_list = ContactListFactory(workspace=workspace)
    stale = services.contact_create(workspace=workspace, email="gone@example.org")
    services.contact_erase(contact=Contact.objects.for_workspace(workspace).get(pk=stale.pk))
    writes = (
        lambda: services.contact_subscribe(contact=stale, contact_list=contact_list),
        lambda: services.contact_tags_set(contact=stale, names=["vip"]),
        lambda: services.consent_record_create(contact=stale, source="manual"),
    )
    for write in writes:
        with pytest.raises(IntegrityError):
            write()
    for model in (Subscription, ContactTag, ConsentRecord):
        assert not model.all_rows.for_workspace(workspace).exists(), model.__name__
