"""contacts_upsert_many: the batched write behind imports and the API's bulk upsert.

These run on SQLite and on PostgreSQL (where the COPY + staging-table path is used), so
both implementations are held to the same rules.
"""

import datetime as dt

import pytest

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.contacts import services
from mailsoftly.contacts.bulk import ContactRow, contacts_upsert_many
from mailsoftly.contacts.emails import email_normalize
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    ContactStatus,
    Subscription,
    SubscriptionStatus,
    SuppressionReason,
)
from mailsoftly.contacts.selectors import contact_tag_names
from tests.contacts.factories import ContactFactory, ContactListFactory


def row(n, email, **kwargs):
    address, key = email_normalize(email)
    return ContactRow(number=n, email=address, key=key, **kwargs)


def contact(workspace, email):
    return Contact.objects.for_workspace(workspace).get(email_key=email)


def test_new_contacts_get_list_tags_and_consent(workspace):
    contact_list = ContactListFactory(workspace=workspace)
    when = dt.datetime(2024, 1, 5, 10, tzinfo=dt.UTC)
    result = contacts_upsert_many(
        workspace=workspace,
        rows=[
            row(
                2,
                "Ann@Example.org",
                first_name="Ann",
                tags=["vip", "beta"],
                optin_time=when,
                optin_ip="192.0.2.7",
                fields={"city": "Oslo"},
            ),
            row(3, "bob@example.org"),
        ],
        contact_list_id=contact_list.pk,
        consent_text="Yes please",
        location="import:1:people.csv",
    )
    assert (result.created, result.updated, result.skipped) == (2, 0, 0)
    ann = contact(workspace, "ann@example.org")
    assert (ann.email, ann.first_name, ann.last_name, ann.fields) == (
        "Ann@example.org",
        "Ann",
        "",
        {"city": "Oslo"},
    )
    assert sorted(contact_tag_names(contact=ann)) == ["beta", "vip"]
    subs = Subscription.objects.for_workspace(workspace).filter(contact_list=contact_list)
    assert subs.filter(status=SubscriptionStatus.SUBSCRIBED).count() == 2
    consent = ConsentRecord.objects.for_workspace(workspace).get(contact=ann)
    assert consent.given_at == when and consent.ip_address == "192.0.2.7"
    assert (consent.consent_text, consent.location, consent.details) == (
        "Yes please",
        "import:1:people.csv",
        {"row": 2},
    )
    assert consent.contact_list_id == contact_list.pk


def test_update_merges_fields_and_keeps_names_it_was_not_given(workspace):
    ContactFactory(
        workspace=workspace,
        email="a@example.org",
        first_name="Old",
        last_name="Name",
        fields={"city": "Rome", "age": 40},
    )
    ContactFactory(workspace=workspace, email="same@example.org", first_name="Same")
    result = contacts_upsert_many(
        workspace=workspace,
        rows=[
            row(1, "a@example.org", first_name="New", fields={"city": "Oslo"}),
            row(2, "same@example.org", first_name="Same"),
        ],
        update=True,
        want_ids=True,
    )
    assert (result.created, result.updated, result.skipped) == (0, 1, 1)
    a = contact(workspace, "a@example.org")
    assert (a.first_name, a.last_name, a.fields) == ("New", "Name", {"city": "Oslo", "age": 40})
    assert [pk for pk, _ in result.updated_ids] == [a.pk]


def test_add_only_leaves_existing_contacts_alone(workspace):
    ContactFactory(workspace=workspace, email="a@example.org", first_name="Old")
    result = contacts_upsert_many(
        workspace=workspace, rows=[row(1, "a@example.org", first_name="New")]
    )
    assert (result.created, result.updated, result.skipped) == (0, 0, 1)
    assert contact(workspace, "a@example.org").first_name == "Old"


def test_suppressed_addresses_are_not_created_and_suppressed_contacts_not_subscribed(
    workspace,
):
    contact_list = ContactListFactory(workspace=workspace)
    services.suppression_add(
        workspace=workspace, email="gone@example.org", reason=SuppressionReason.UNSUBSCRIBED
    )
    kept = ContactFactory(workspace=workspace, email="kept@example.org", first_name="K")
    services.suppression_add(
        workspace=workspace, email="kept@example.org", reason=SuppressionReason.BOUNCED
    )
    result = contacts_upsert_many(
        workspace=workspace,
        rows=[
            row(1, "GONE@example.org"),
            row(2, "kept@example.org", first_name="Kept"),
            row(3, "new@example.org"),
        ],
        update=True,
        contact_list_id=contact_list.pk,
    )
    assert [r.number for r in result.suppressed] == [1]
    assert (result.created, result.updated) == (1, 1)
    assert not Contact.objects.for_workspace(workspace).filter(email_key="gone@example.org")
    kept.refresh_from_db()
    assert kept.first_name == "Kept"  # details may be corrected...
    subscribed = Subscription.objects.for_workspace(workspace).values_list(
        "contact__email_key", flat=True
    )
    assert list(subscribed) == ["new@example.org"]  # ...but it is never put on a list


def test_erased_address_is_not_brought_back(workspace):
    erased = ContactFactory(workspace=workspace, email="erased@example.org")
    services.contact_erase(contact=erased)
    result = contacts_upsert_many(workspace=workspace, rows=[row(1, "erased@example.org")])
    assert result.created == 0 and len(result.suppressed) == 1
    assert Contact.all_rows.for_workspace(workspace).count() == 0


def test_never_resubscribes_or_subscribes_inactive_contacts(workspace):
    contact_list = ContactListFactory(workspace=workspace)
    out = ContactFactory(workspace=workspace, email="out@example.org")
    Subscription.objects.for_workspace(workspace).create(
        workspace=workspace, contact=out, contact_list=contact_list, status="unsubscribed"
    )
    ContactFactory(workspace=workspace, email="bounced@example.org", status=ContactStatus.BOUNCED)
    contacts_upsert_many(
        workspace=workspace,
        rows=[row(1, "out@example.org"), row(2, "bounced@example.org")],
        contact_list_id=contact_list.pk,
    )
    subs = Subscription.objects.for_workspace(workspace)
    assert list(subs.values_list("contact__email_key", "status")) == [
        ("out@example.org", "unsubscribed")
    ]


def test_timeline_entries_when_asked(workspace):
    ContactFactory(workspace=workspace, email="old@example.org", first_name="A")
    contacts_upsert_many(
        workspace=workspace,
        rows=[row(1, "old@example.org", first_name="B"), row(2, "new@example.org")],
        update=True,
        timeline=True,
    )
    kinds = ContactEvent.objects.for_workspace(workspace).values_list("contact__email_key", "kind")
    assert sorted(kinds) == [("new@example.org", "created"), ("old@example.org", "updated")]


def test_duplicate_addresses_are_refused(workspace):
    with pytest.raises(ValueError, match="distinct"):
        contacts_upsert_many(
            workspace=workspace, rows=[row(1, "a@example.org"), row(2, "A@example.org")]
        )
    assert Contact.objects.for_workspace(workspace).count() == 0


def test_past_the_plan_limit_nothing_is_written(workspace):
    from mailsoftly.billing.models import Plan

    Plan.objects.filter(code="free").update(contacts_limit=2)
    ContactFactory(workspace=workspace, email="one@example.org")
    with pytest.raises(LimitExceeded):
        contacts_upsert_many(
            workspace=workspace,
            rows=[row(1, "one@example.org"), row(2, "b@example.org"), row(3, "c@example.org")],
        )
    assert Contact.objects.for_workspace(workspace).count() == 1
    # Updating the existing one and adding one more fits.
    result = contacts_upsert_many(
        workspace=workspace, rows=[row(1, "one@example.org"), row(2, "b@example.org")]
    )
    assert result.created == 1


def test_many_rows_in_one_call(workspace, unlimited_plan):
    contact_list = ContactListFactory(workspace=workspace)
    rows = [row(i, f"p{i}@example.org", tags=["t"]) for i in range(3000)]
    result = contacts_upsert_many(workspace=workspace, rows=rows, contact_list_id=contact_list.pk)
    assert result.created == 3000
    assert Subscription.objects.for_workspace(workspace).count() == 3000
    assert ConsentRecord.objects.for_workspace(workspace).count() == 3000
    # Contacts get ids in row order.
    ids = list(
        Contact.objects.for_workspace(workspace).order_by("pk").values_list("email", flat=True)
    )
    assert ids[:3] == ["p0@example.org", "p1@example.org", "p2@example.org"]


def test_an_address_added_meanwhile_is_treated_as_existing(workspace, monkeypatch):
    """Someone adds one of the addresses between the lookup and the insert (PostgreSQL:
    ON CONFLICT skips it and the batch links to the other writer's contact)."""
    from django.db import connections

    from mailsoftly.contacts import bulk

    if connections[workspace.database].vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the batch's lock keeps others out")
    contact_list = ContactListFactory(workspace=workspace)

    def meanwhile(_workspace):
        def check(new):
            ContactFactory(workspace=workspace, email="race@example.org", first_name="Other")

        return check

    monkeypatch.setattr(bulk, "_limit_checker", meanwhile)
    result = contacts_upsert_many(
        workspace=workspace,
        rows=[row(1, "race@example.org", first_name="Mine"), row(2, "calm@example.org")],
        contact_list_id=contact_list.pk,
    )
    assert (result.created, result.skipped) == (1, 1)
    race = contact(workspace, "race@example.org")
    assert race.first_name == "Other"
    subscribed = Subscription.objects.for_workspace(workspace).values_list(
        "contact__email_key", flat=True
    )
    assert sorted(subscribed) == ["calm@example.org", "race@example.org"]
    # No consent record claims the import created the other writer's contact.
    assert not ConsentRecord.objects.for_workspace(workspace).filter(contact=race).exists()


def test_an_address_added_meanwhile_fails_the_batch_when_conflicts_raise(workspace, monkeypatch):
    """The import's cheaper insert (no ON CONFLICT) rolls the whole batch back instead of
    skipping the address; the import then retries the batch."""
    from django.db import IntegrityError, connections

    from mailsoftly.contacts import bulk

    if connections[workspace.database].vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the batch's lock keeps others out")

    def meanwhile(_workspace):
        def check(new):
            ContactFactory(workspace=workspace, email="race@example.org")

        return check

    monkeypatch.setattr(bulk, "_limit_checker", meanwhile)
    with pytest.raises(IntegrityError):
        contacts_upsert_many(
            workspace=workspace,
            rows=[row(1, "race@example.org"), row(2, "calm@example.org")],
            conflicts_raise=True,
        )
    assert not Contact.objects.for_workspace(workspace).filter(email_key="calm@example.org")


def test_a_batch_for_a_list_that_is_gone_writes_nothing(workspace):
    """The subscriptions' list has no foreign-key constraint: the batch checks it."""
    from django.db import IntegrityError

    contact_list = ContactListFactory(workspace=workspace)
    missing = contact_list.pk
    contact_list.delete()
    with pytest.raises(IntegrityError):
        contacts_upsert_many(
            workspace=workspace, rows=[row(1, "ann@example.org")], contact_list_id=missing
        )
    assert not Contact.objects.for_workspace(workspace).exists()
    assert not Subscription.all_rows.for_workspace(workspace).exists()


@pytest.mark.policy("P38")
def test_erasing_a_bulk_written_contact_removes_its_subscription_tags_and_consent(workspace):
    """No database constraint cascades any more: the erasure itself must reach every row."""
    from mailsoftly.contacts.models import ContactTag

    contact_list = ContactListFactory(workspace=workspace)
    contacts_upsert_many(
        workspace=workspace,
        rows=[row(1, "gone@example.org", tags=["vip"]), row(2, "kept@example.org", tags=["vip"])],
        contact_list_id=contact_list.pk,
    )
    services.contact_erase(contact=contact(workspace, "gone@example.org"))
    kept = contact(workspace, "kept@example.org")
    for model in (Subscription, ContactTag, ConsentRecord):
        rows = model.all_rows.for_workspace(workspace)
        assert list(rows.values_list("contact_id", flat=True)) == [kept.pk], model.__name__
