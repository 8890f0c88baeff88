"""Writes about contacts, lists, custom fields, segments, consent and suppression.

Every function takes keyword-only arguments, owns its transaction on the workspace's region
database and raises ``ValidationError`` (keyed by form field) for bad input, so views show
the message next to the field and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mailsoftly.billing.services import limit_check
from mailsoftly.contacts.bulk import ContactRow, UpsertResult, contacts_upsert_many
from mailsoftly.contacts.emails import InvalidEmail, email_hash, email_normalize
from mailsoftly.contacts.fieldvalues import field_value_coerce
from mailsoftly.contacts.models import (
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactEvent,
    ContactList,
    ContactStatus,
    ContactTag,
    CustomField,
    FieldType,
    ListVisibility,
    Segment,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
    Tag,
)
from mailsoftly.contacts.segments import SegmentError, segment_compile
from mailsoftly.contacts.webhooks import contact_payload, contact_webhook_emit
from mailsoftly.core import clock

# ---------------------------------------------------------------- helpers


def _atomic(workspace):
    return transaction.atomic(using=workspace.database)


def _parents_lock(*, workspace, contact_id: int, contact_list_id: int | None = None) -> None:
    """Lock the contact (and list) that a new subscription, tag link or consent record will
    point to, or fail with IntegrityError if it is gone: what the foreign-key check did
    before those tables lost their constraints (``BulkOwned`` in the models). The lock
    conflicts with erasure's, not with the bulk writer's nor with other links."""
    for model, pk in ((Contact, contact_id), (ContactList, contact_list_id)):
        if pk is None:
            continue
        rows = model.all_rows.for_workspace(workspace).select_for_update(no_key=True)
        if not list(rows.filter(pk=pk).values_list("pk", flat=True)):
            raise IntegrityError(f"{model._meta.model_name} {pk} does not exist")


def custom_fields_clean(
    *, workspace, values: dict[str, Any], definitions: dict[str, CustomField] | None = None
) -> dict[str, Any]:
    """Coerce ``values`` (key -> raw) against the workspace's definitions; drop empties.

    ``definitions`` (key -> CustomField) saves the lookup when cleaning many contacts.
    """
    if definitions is None:
        definitions = {f.key: f for f in CustomField.objects.for_workspace(workspace)}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        field = definitions.get(key)
        if field is None:
            errors[f"field_{key}"] = _("Unknown custom field “%(key)s”.") % {"key": key[:60]}
            continue
        try:
            value = field_value_coerce(field_type=field.field_type, raw=raw, choices=field.choices)
        except ValueError as exc:
            errors[f"field_{key}"] = str(exc)
            continue
        if value is not None:
            clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _email(raw: str) -> tuple[str, str]:
    try:
        return email_normalize(raw)
    except InvalidEmail as exc:
        raise ValidationError({"email": str(exc)}) from None


def contact_event_record(*, contact: Contact, kind: str, data: dict | None = None) -> ContactEvent:
    """Add an entry to a contact's activity timeline (sending and tracking call this too)."""
    return ContactEvent.objects.for_workspace(contact.workspace).create(
        workspace=contact.workspace,
        contact=contact,
        kind=kind,
        occurred_at=clock.now(),
        data=data or {},
    )


# ---------------------------------------------------------------- contacts


def contact_create(
    *,
    workspace,
    email: str,
    first_name: str = "",
    last_name: str = "",
    fields: dict[str, Any] | None = None,
    list_ids: Iterable[int] = (),
    tags: Iterable[str] = (),
    consent: dict | None = None,
    by_user=None,
    source: str = ConsentSource.MANUAL,
) -> Contact:
    """Add a contact, optionally subscribe it to lists, and record how consent was given.

    ``consent`` holds ``consent_text``, ``location`` and, for the contact's own action only,
    ``ip_address``. A manual add records the team member, never their IP. Raises
    :class:`~mailsoftly.billing.errors.LimitExceeded` (nothing written) at the plan's
    contact limit.
    """
    address, key = _email(email)
    clean_fields = custom_fields_clean(workspace=workspace, values=fields or {})
    lists = list(ContactList.objects.for_workspace(workspace).filter(pk__in=list(list_ids)))
    with _atomic(workspace):
        if Contact.objects.for_workspace(workspace).filter(email_key=key).exists():
            raise ValidationError({"email": _("A contact with this address already exists.")})
        limit_check(workspace=workspace, resource="contacts", amount=1)
        try:
            with transaction.atomic(using=workspace.database):
                contact = Contact.objects.for_workspace(workspace).create(
                    workspace=workspace,
                    email=address,
                    email_key=key,
                    email_hash=email_hash(key),
                    first_name=first_name.strip()[:150],
                    last_name=last_name.strip()[:150],
                    fields=clean_fields,
                    source=source,
                )
        except IntegrityError:
            raise ValidationError(
                {"email": _("A contact with this address already exists.")}
            ) from None
        for contact_list in lists:
            contact_subscribe(contact=contact, contact_list=contact_list)
        if tags:
            contact_tags_set(contact=contact, names=tags)
        consent = consent or {}
        consent_record_create(
            contact=contact,
            source=source,
            consent_text=consent.get("consent_text", ""),
            location=consent.get("location")
            or (f"user:{by_user.pk}" if by_user is not None else ""),
            ip_address=consent.get("ip_address"),
            contact_list=lists[0] if len(lists) == 1 else None,
        )
        contact_event_record(contact=contact, kind="created", data={"source": source})
        contact_webhook_emit(
            workspace=workspace,
            event="contact.created",
            data={"contact": contact_payload(contact), "source": source},
        )
    return contact


def contact_update(
    *,
    contact: Contact,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    status: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Contact:
    """Change a contact's address, name, status or custom field values."""
    workspace = contact.workspace
    changed: list[str] = []
    if email is not None:
        address, key = _email(email)
        if key != contact.email_key:
            taken = (
                Contact.objects.for_workspace(workspace)
                .filter(email_key=key)
                .exclude(pk=contact.pk)
                .exists()
            )
            if taken:
                raise ValidationError({"email": _("A contact with this address already exists.")})
            contact.email_key, contact.email_hash = key, email_hash(key)
            changed += ["email_key", "email_hash"]
        contact.email = address
        changed.append("email")
    if first_name is not None:
        contact.first_name = first_name.strip()[:150]
        changed.append("first_name")
    if last_name is not None:
        contact.last_name = last_name.strip()[:150]
        changed.append("last_name")
    if status is not None:
        if status not in ContactStatus.values:
            raise ValidationError({"status": _("Unknown status.")})
        contact.status = status
        changed.append("status")
    if fields is not None:
        contact.fields = custom_fields_clean(workspace=workspace, values=fields)
        changed.append("fields")
    if changed:
        try:
            with _atomic(workspace):
                contact.save(update_fields=[*changed, "updated_at"])
                contact_event_record(contact=contact, kind="updated", data={"fields": changed})
                contact_webhook_emit(
                    workspace=workspace,
                    event="contact.updated",
                    data={"contact": contact_payload(contact), "changed": sorted(set(changed))},
                )
        except IntegrityError:
            raise ValidationError(
                {"email": _("A contact with this address already exists.")}
            ) from None
    return contact


def contact_trash(*, contact: Contact, by_user=None) -> None:
    """Move a contact to the trash: it leaves every list, segment, send and export at once."""
    workspace = contact.workspace
    with _atomic(workspace):
        moved = (
            Contact.objects.for_workspace(workspace)
            .filter(pk=contact.pk)
            .move_to_trash(by_user_id=getattr(by_user, "pk", None))
        )
        if moved:
            contact_webhook_emit(
                workspace=workspace,
                event="contact.deleted",
                data={"contact": {"id": contact.pk, "email": contact.email}, "trashed": True},
            )


def contact_erase(*, contact: Contact) -> None:
    """Erase a contact completely on the workspace's request (P38).

    The contact, its subscriptions, tags, events and consent records are deleted; only the
    SHA-256 of its address stays in the suppression list so it is never mailed again.
    """
    workspace = contact.workspace
    with _atomic(workspace):
        # Lock the contact before its rows are collected: a bulk write that links a
        # subscription or tag to it (which locks it FOR KEY SHARE, there being no foreign-key
        # constraint) either finishes first, and its rows are collected here, or waits and
        # then finds the contact gone.
        list(
            Contact.all_rows.for_workspace(workspace)
            .select_for_update()
            .filter(pk=contact.pk)
            .values_list("pk", flat=True)
        )
        Suppression.all_rows.for_workspace(workspace).filter(email_hash=contact.email_hash).delete()
        Suppression.objects.for_workspace(workspace).create(
            workspace=workspace,
            email_hash=contact.email_hash,
            email="",
            reason=SuppressionReason.ERASED,
        )
        # Rows in trash too: erasure means every copy.
        Contact.all_rows.for_workspace(workspace).filter(pk=contact.pk).delete()
        # By id only: the address is exactly what erasure removes.
        contact_webhook_emit(
            workspace=workspace,
            event="contact.deleted",
            data={"contact": {"id": contact.pk}, "erased": True},
        )


def contact_tags_set(*, contact: Contact, names: Iterable[str]) -> None:
    """Make ``names`` the contact's tags (created in the workspace when new)."""
    workspace = contact.workspace
    wanted = {n.strip()[:100] for n in names if n and n.strip()}
    with _atomic(workspace):
        _parents_lock(workspace=workspace, contact_id=contact.pk)
        tags = {t.name: t for t in Tag.objects.for_workspace(workspace).filter(name__in=wanted)}
        for name in wanted - tags.keys():
            tags[name] = Tag.objects.for_workspace(workspace).create(workspace=workspace, name=name)
        links = ContactTag.all_rows.for_workspace(workspace).filter(contact=contact)
        links.exclude(tag__name__in=wanted).delete()
        have = set(links.values_list("tag__name", flat=True))
        ContactTag.objects.for_workspace(workspace).bulk_create(
            [ContactTag(workspace=workspace, contact=contact, tag=tags[n]) for n in wanted - have]
        )


BULK_MAX_ERRORS = 100


def contact_bulk_upsert(
    *, workspace, items: list[dict[str, Any]], location: str = ""
) -> UpsertResult:
    """Create or update contacts by address (the API's bulk upsert); all or nothing.

    Each item has ``email`` and optionally ``first_name``, ``last_name`` (absent or None
    keeps the stored value) and ``fields`` (merged into the stored ones). Every item is
    checked before anything is written: ValidationError keyed ``items[i].<field>`` (at most
    100 messages). Then one :func:`~mailsoftly.contacts.bulk.contacts_upsert_many` call
    checks the plan limit for the new addresses, writes contacts, consent records and
    timeline entries, and emits ``contact.created`` / ``contact.updated`` per contact.
    Addresses on the suppression list are not created (``UpsertResult.suppressed``).
    """
    definitions = {f.key: f for f in CustomField.objects.for_workspace(workspace)}
    errors: dict[str, str] = {}
    rows: list[ContactRow] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if len(errors) >= BULK_MAX_ERRORS:
            break
        try:
            address, key = email_normalize(item.get("email") or "")
        except InvalidEmail as exc:
            errors[f"items[{index}].email"] = str(exc)
            continue
        if key in seen:
            errors[f"items[{index}].email"] = _("Repeats an earlier item.")
            continue
        seen.add(key)
        try:
            fields = custom_fields_clean(
                workspace=workspace, values=item.get("fields") or {}, definitions=definitions
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"items[{index}].{name}"] = messages[0]
            continue
        first, last = item.get("first_name"), item.get("last_name")
        rows.append(
            ContactRow(
                number=index,
                email=address,
                key=key,
                first_name=None if first is None else first.strip()[:150],
                last_name=None if last is None else last.strip()[:150],
                fields=fields,
            )
        )
    if errors:
        raise ValidationError(errors)
    return contacts_upsert_many(
        workspace=workspace,
        rows=rows,
        update=True,
        source=ConsentSource.API,
        location=location,
        details_key="item",
        timeline=True,
        webhooks=True,
    )


# ---------------------------------------------------------------- lists and subscriptions


def contact_list_create(
    *,
    workspace,
    name: str,
    description: str = "",
    visibility: str = ListVisibility.PRIVATE,
    double_opt_in: bool = True,
    consent_text: str = "",
) -> ContactList:
    """Create a list."""
    if not name.strip():
        raise ValidationError({"name": _("Give the list a name.")})
    if visibility not in ListVisibility.values:
        raise ValidationError({"visibility": _("Unknown visibility.")})
    return ContactList.objects.for_workspace(workspace).create(
        workspace=workspace,
        name=name.strip()[:150],
        description=description,
        visibility=visibility,
        double_opt_in=double_opt_in,
        consent_text=consent_text,
    )


def contact_list_update(*, contact_list: ContactList, **changes: Any) -> ContactList:
    """Change a list's name, description, visibility, double opt-in or consent text."""
    allowed = {"name", "description", "visibility", "double_opt_in", "consent_text"}
    if set(changes) - allowed:
        raise TypeError(f"unknown fields {set(changes) - allowed}")
    if "name" in changes and not str(changes["name"]).strip():
        raise ValidationError({"name": _("Give the list a name.")})
    if "visibility" in changes and changes["visibility"] not in ListVisibility.values:
        raise ValidationError({"visibility": _("Unknown visibility.")})
    for key, value in changes.items():
        setattr(contact_list, key, value.strip() if key == "name" else value)
    contact_list.save(update_fields=[*changes, "updated_at"])
    return contact_list


def contact_list_trash(*, contact_list: ContactList, by_user=None) -> None:
    """Move a list to the trash; its contacts stay, its subscriptions stop counting."""
    ContactList.objects.for_workspace(contact_list.workspace).filter(
        pk=contact_list.pk
    ).move_to_trash(by_user_id=getattr(by_user, "pk", None))


def contact_subscribe(
    *,
    contact: Contact,
    contact_list: ContactList,
    status: str = SubscriptionStatus.SUBSCRIBED,
) -> Subscription:
    """Put a contact on a list (or change its subscription there)."""
    if contact.workspace_id != contact_list.workspace_id:
        raise ValueError("contact and list belong to different workspaces")
    workspace = contact.workspace
    now = clock.now()
    with _atomic(workspace):
        _parents_lock(workspace=workspace, contact_id=contact.pk, contact_list_id=contact_list.pk)
        subscription, _created = Subscription.all_rows.for_workspace(workspace).get_or_create(
            contact=contact,
            contact_list=contact_list,
            defaults={"workspace": workspace, "status": status},
        )
        subscription.status = status
        subscription.trashed_at = None
        if status == SubscriptionStatus.SUBSCRIBED:
            subscription.subscribed_at = subscription.subscribed_at or now
            subscription.confirmed_at = subscription.confirmed_at or now
            subscription.unsubscribed_at = None
        elif status == SubscriptionStatus.UNCONFIRMED:
            subscription.subscribed_at = now
        else:
            subscription.unsubscribed_at = now
        subscription.save()
        contact_event_record(
            contact=contact,
            kind=f"list_{status}",
            data={"list_id": contact_list.pk, "list": contact_list.name},
        )
        if status == SubscriptionStatus.UNSUBSCRIBED:
            contact_webhook_emit(
                workspace=workspace,
                event="contact.unsubscribed",
                data={
                    "contact": contact_payload(contact),
                    "list": {"id": contact_list.pk, "name": contact_list.name},
                },
            )
    return subscription


def contact_unsubscribe(*, contact: Contact, contact_list: ContactList) -> Subscription:
    """Take a contact off one list; it stays a contact and on other lists."""
    return contact_subscribe(
        contact=contact, contact_list=contact_list, status=SubscriptionStatus.UNSUBSCRIBED
    )


def contact_unsubscribe_all(*, contact: Contact) -> None:
    """The contact asked to hear nothing more: every list, status and the suppression list."""
    workspace = contact.workspace
    now = clock.now()
    with _atomic(workspace):
        Subscription.objects.for_workspace(workspace).filter(contact=contact).exclude(
            status=SubscriptionStatus.UNSUBSCRIBED
        ).update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now)
        Contact.objects.for_workspace(workspace).filter(pk=contact.pk).update(
            status=ContactStatus.UNSUBSCRIBED, updated_at=now
        )
        contact.status = ContactStatus.UNSUBSCRIBED
        suppression_add(
            workspace=workspace, email=contact.email, reason=SuppressionReason.UNSUBSCRIBED
        )
        contact_event_record(contact=contact, kind="unsubscribed_all")
        contact_webhook_emit(
            workspace=workspace,
            event="contact.unsubscribed",
            data={"contact": contact_payload(contact), "list": None, "all_lists": True},
        )


# ---------------------------------------------------------------- consent and suppression


def consent_record_create(
    *,
    contact: Contact,
    source: str,
    consent_text: str = "",
    location: str = "",
    ip_address: str | None = None,
    contact_list: ContactList | None = None,
    details: dict | None = None,
    given_at=None,
) -> ConsentRecord:
    """Record how, where and when a contact agreed (P20, P39)."""
    with _atomic(contact.workspace):
        _parents_lock(
            workspace=contact.workspace,
            contact_id=contact.pk,
            contact_list_id=contact_list.pk if contact_list else None,
        )
        return ConsentRecord.objects.for_workspace(contact.workspace).create(
            workspace=contact.workspace,
            contact=contact,
            contact_list=contact_list,
            source=source,
            given_at=given_at or clock.now(),
            consent_text=consent_text,
            location=location[:500],
            ip_address=ip_address or None,
            details=details or {},
        )


def suppression_add(*, workspace, email: str, reason: str) -> Suppression:
    """Put an address on the workspace's suppression list (idempotent)."""
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    address, key = _email(email)
    digest = email_hash(key)
    with _atomic(workspace):
        existing = Suppression.objects.for_workspace(workspace).filter(email_hash=digest).first()
        if existing is not None:
            return existing
        return Suppression.objects.for_workspace(workspace).create(
            workspace=workspace, email_hash=digest, email=address, reason=reason
        )


def suppression_remove(*, suppression: Suppression) -> None:
    """Take an address off the suppression list (erased addresses stay)."""
    if suppression.reason == SuppressionReason.ERASED:
        raise ValidationError(_("An erased address stays suppressed."))
    Suppression.all_rows.for_workspace(suppression.workspace).filter(pk=suppression.pk).delete()


# ---------------------------------------------------------------- custom fields and segments


def custom_field_create(
    *, workspace, key: str, label: str, field_type: str, choices: Iterable[str] = ()
) -> CustomField:
    """Define a custom field for the workspace's contacts."""
    from django.utils.text import slugify

    slug = slugify(key or label).replace("-", "_")[:64]
    errors = {}
    if not slug or not slug[0].isalpha():
        errors["key"] = _("The key must start with a letter (a-z, 0-9 and _ allowed).")
    if not label.strip():
        errors["label"] = _("Give the field a label.")
    if field_type not in FieldType.values:
        errors["field_type"] = _("Unknown type.")
    clean_choices = [c.strip() for c in choices if c and c.strip()]
    if field_type == FieldType.CHOICE and not clean_choices:
        errors["choices"] = _("A choice field needs at least one choice.")
    if slug in {"email", "first_name", "last_name", "status", "tags", "list", "created_at"}:
        errors["key"] = _("“%(key)s” is a built-in field.") % {"key": slug}
    if not errors and CustomField.objects.for_workspace(workspace).filter(key=slug).exists():
        errors["key"] = _("A field with this key exists.")
    if errors:
        raise ValidationError(errors)
    return CustomField.objects.for_workspace(workspace).create(
        workspace=workspace,
        key=slug,
        label=label.strip()[:100],
        field_type=field_type,
        choices=clean_choices,
    )


def custom_field_trash(*, custom_field: CustomField, by_user=None) -> None:
    """Trash a field definition; stored values stay on contacts for a restore."""
    CustomField.objects.for_workspace(custom_field.workspace).filter(
        pk=custom_field.pk
    ).move_to_trash(by_user_id=getattr(by_user, "pk", None))


def _rules_check(workspace, rules) -> None:
    try:
        segment_compile(workspace=workspace, rules=rules)
    except SegmentError as exc:
        raise ValidationError({"rules": str(exc)}) from None


def segment_create(*, workspace, name: str, rules: dict) -> Segment:
    """Save a segment after checking its rules compile."""
    if not name.strip():
        raise ValidationError({"name": _("Give the segment a name.")})
    _rules_check(workspace, rules)
    return Segment.objects.for_workspace(workspace).create(
        workspace=workspace, name=name.strip()[:150], rules=rules
    )


def segment_update(*, segment: Segment, name: str | None = None, rules=None) -> Segment:
    """Rename a segment or replace its rules."""
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Give the segment a name.")})
        segment.name = name.strip()[:150]
    if rules is not None:
        _rules_check(segment.workspace, rules)
        segment.rules = rules
    segment.save(update_fields=["name", "rules", "updated_at"])
    return segment


def segment_trash(*, segment: Segment, by_user=None) -> None:
    """Move a segment to the trash."""
    Segment.objects.for_workspace(segment.workspace).filter(pk=segment.pk).move_to_trash(
        by_user_id=getattr(by_user, "pk", None)
    )
