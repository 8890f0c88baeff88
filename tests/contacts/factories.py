"""Factories for contacts rows. Each row is created through ``for_workspace`` so it lands in
its workspace's region database."""

from __future__ import annotations

import factory

from mailsoftly.contacts import models
from mailsoftly.contacts.emails import email_hash, email_normalize


class RegionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        workspace = kwargs["workspace"]
        return model_class.objects.for_workspace(workspace).create(*args, **kwargs)


class ContactFactory(RegionalFactory):
    class Meta:
        model = models.Contact

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    email_key = factory.LazyAttribute(lambda o: email_normalize(o.email)[1])
    email_hash = factory.LazyAttribute(lambda o: email_hash(o.email_key))
    first_name = "Ada"
    last_name = "Lovelace"


class ContactListFactory(RegionalFactory):
    class Meta:
        model = models.ContactList

    name = factory.Sequence(lambda n: f"List {n}")
    visibility = models.ListVisibility.PUBLIC
    consent_text = "Yes, send me the monthly newsletter."


class SubscriptionFactory(RegionalFactory):
    class Meta:
        model = models.Subscription

    workspace = factory.LazyAttribute(lambda o: o.contact.workspace)
    status = models.SubscriptionStatus.SUBSCRIBED


class CustomFieldFactory(RegionalFactory):
    class Meta:
        model = models.CustomField

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    field_type = models.FieldType.TEXT


class SegmentFactory(RegionalFactory):
    class Meta:
        model = models.Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    rules = factory.LazyFunction(lambda: {"match": "all", "conditions": []})
