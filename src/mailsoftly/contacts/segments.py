"""The segment rule language: JSON in, Django ``Q`` out. Nothing user-written reaches SQL.

A rule set is a group::

    {"match": "all" | "any",
     "conditions": [
        {"field": "email", "op": "ends_with", "value": "@example.com"},
        {"field": "list", "op": "in", "value": 12},
        {"field": "field:city", "op": "eq", "value": "Berlin"},
        {"match": "any", "conditions": [...]}          # nested group
     ]}

Fields and operators come from allow-lists below; a custom field is ``field:<key>`` and
must be defined in the workspace; values are coerced to the field's type. Anything else is
a :class:`SegmentError` whose message can be shown to the user. Other apps (tracking) can
add engagement conditions with :func:`condition_type`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from mailsoftly.contacts.fieldvalues import field_value_coerce
from mailsoftly.contacts.models import (
    ContactList,
    ContactStatus,
    ContactTag,
    CustomField,
    FieldType,
    Subscription,
    SubscriptionStatus,
    Tag,
)
from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id

MAX_DEPTH = 4
MAX_CONDITIONS = 50
MAX_VALUE = 500


class SegmentError(ValueError):
    """The rule set is not valid; the message is for the person who wrote it."""


TEXT_OPS = {
    "eq": "iexact",
    "neq": "iexact",
    "contains": "icontains",
    "not_contains": "icontains",
    "starts_with": "istartswith",
    "ends_with": "iendswith",
}
NEGATED = {"neq", "not_contains"}
NUMBER_OPS = {"eq": "exact", "neq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}
DATE_OPS = {"before": "lt", "after": "gt", "on_or_before": "lte", "on_or_after": "gte"}
EMPTY_OPS = {"is_empty", "is_not_empty"}

CONTACT_TEXT_FIELDS = {"email": "email", "first_name": "first_name", "last_name": "last_name"}

# Extension point: name -> compile(workspace, op, value) -> Q
_EXTRA: dict[str, Callable[..., Q]] = {}


def condition_type(name: str) -> Callable:
    """Register another condition ``field`` (e.g. engagement from the tracking app)."""

    def register(func: Callable[..., Q]) -> Callable[..., Q]:
        _EXTRA[name] = func
        return func

    return register


def _value(condition: dict) -> Any:
    value = condition.get("value")
    if isinstance(value, str) and len(value) > MAX_VALUE:
        raise SegmentError(_("A value is longer than %(n)d characters.") % {"n": MAX_VALUE})
    if isinstance(value, (dict, list)):
        raise SegmentError(_("A value must be a single text, number or yes/no."))
    return value


def _text(path: str, op: str, value: Any) -> Q:
    if op in EMPTY_OPS:
        empty = Q(**{path: ""}) | Q(**{f"{path}__isnull": True})
        return empty if op == "is_empty" else ~empty
    if op not in TEXT_OPS:
        raise SegmentError(_("Unknown operator “%(op)s” for a text field.") % {"op": op})
    if value is None:
        raise SegmentError(_("This condition needs a value."))
    q = Q(**{f"{path}__{TEXT_OPS[op]}": str(value)})
    return ~q if op in NEGATED else q


def _date_value(value: Any) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SegmentError(_("“%(v)s” is not a date (use YYYY-MM-DD).") % {"v": value}) from None


def _created(op: str, value: Any) -> Q:
    if op == "within_days":
        days = parse_id(value)
        if days is None or days > 36500:
            raise SegmentError(_("Give a number of days."))
        return Q(created_at__gte=clock.now() - datetime.timedelta(days=days))
    if op not in DATE_OPS:
        raise SegmentError(_("Unknown operator “%(op)s” for a date.") % {"op": op})
    day = _date_value(value)
    return Q(**{f"created_at__date__{DATE_OPS[op]}": day})


def _status(op: str, value: Any) -> Q:
    if value not in ContactStatus.values:
        raise SegmentError(_("Unknown status “%(v)s”.") % {"v": value})
    if op == "eq":
        return Q(status=value)
    if op == "neq":
        return ~Q(status=value)
    raise SegmentError(_("Unknown operator “%(op)s” for the status.") % {"op": op})


def _list(workspace, op: str, value: Any) -> Q:
    list_id = parse_id(value)
    if list_id is None:
        raise SegmentError(_("Choose a list."))
    # The list's liveness is checked once here, not joined into every row's subquery.
    live = ContactList.objects.for_workspace(workspace).filter(pk=list_id).exists()
    members = (
        Subscription.objects.for_workspace(workspace)
        .filter(contact_list_id=list_id if live else None, status=SubscriptionStatus.SUBSCRIBED)
        .values("contact_id")
    )
    if op == "in":
        return Q(pk__in=members) if live else Q(pk__in=[])
    if op == "not_in":
        return ~Q(pk__in=members) if live else ~Q(pk__in=[])
    raise SegmentError(_("Unknown operator “%(op)s” for a list.") % {"op": op})


def _tag(workspace, op: str, value: Any) -> Q:
    if not isinstance(value, str) or not value.strip():
        raise SegmentError(_("Choose a tag."))
    tag_id = (
        Tag.objects.for_workspace(workspace)
        .filter(name=value.strip())
        .values_list("pk", flat=True)
        .first()
    )
    tagged = ContactTag.objects.for_workspace(workspace).filter(tag_id=tag_id).values("contact_id")
    if op == "has":
        return Q(pk__in=tagged) if tag_id else Q(pk__in=[])
    if op == "has_not":
        return ~Q(pk__in=tagged) if tag_id else ~Q(pk__in=[])
    raise SegmentError(_("Unknown operator “%(op)s” for a tag.") % {"op": op})


def _custom(field: CustomField, op: str, value: Any) -> Q:
    # The key is a slug from the workspace's own definitions, never free text.
    path = f"fields__{field.key}"
    if op in EMPTY_OPS:
        empty = Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
        return empty if op == "is_empty" else ~empty
    if field.field_type in (FieldType.TEXT, FieldType.CHOICE):
        return _text(path, op, value)
    try:
        typed = field_value_coerce(field_type=field.field_type, raw=value)
    except ValueError as exc:
        raise SegmentError(str(exc)) from None
    if typed is None:
        raise SegmentError(_("This condition needs a value."))
    if field.field_type == FieldType.NUMBER:
        if op not in NUMBER_OPS:
            raise SegmentError(_("Unknown operator “%(op)s” for a number.") % {"op": op})
        q = Q(**{f"{path}__{NUMBER_OPS[op]}": typed})
        return ~q if op == "neq" else q
    if field.field_type == FieldType.DATE:
        if op == "eq":
            return Q(**{path: typed})
        if op not in DATE_OPS:
            raise SegmentError(_("Unknown operator “%(op)s” for a date.") % {"op": op})
        # ISO dates compare correctly as text.
        return Q(**{f"{path}__{DATE_OPS[op]}": typed})
    if field.field_type == FieldType.BOOLEAN:
        if op != "eq":
            raise SegmentError(_("Unknown operator “%(op)s” for yes/no.") % {"op": op})
        return Q(**{path: typed})
    raise SegmentError(_("Unknown field type."))


def _condition(workspace, condition: dict, custom_fields: dict[str, CustomField]) -> Q:
    field = condition.get("field")
    op = condition.get("op")
    if not isinstance(field, str) or not isinstance(op, str):
        raise SegmentError(_("Each condition needs a field and an operator."))
    value = _value(condition)
    if field in CONTACT_TEXT_FIELDS:
        return _text(CONTACT_TEXT_FIELDS[field], op, value)
    if field == "status":
        return _status(op, value)
    if field == "created_at":
        return _created(op, value)
    if field == "list":
        return _list(workspace, op, value)
    if field == "tag":
        return _tag(workspace, op, value)
    if field.startswith("field:"):
        custom = custom_fields.get(field.removeprefix("field:"))
        if custom is None:
            raise SegmentError(_("Unknown custom field “%(f)s”.") % {"f": field[6:60]})
        return _custom(custom, op, value)
    if field in _EXTRA:
        return _EXTRA[field](workspace, op, value)
    raise SegmentError(_("Unknown field “%(f)s”.") % {"f": field[:60]})


def _group(workspace, group: Any, custom_fields, depth: int, counter: list[int]) -> Q:
    if not isinstance(group, dict):
        raise SegmentError(_("The rules must be a group of conditions."))
    if depth > MAX_DEPTH:
        raise SegmentError(_("Groups are nested too deeply."))
    match = group.get("match", "all")
    if match not in ("all", "any"):
        raise SegmentError(_("A group matches “all” or “any” of its conditions."))
    conditions = group.get("conditions", [])
    if not isinstance(conditions, list):
        raise SegmentError(_("The conditions must be a list."))
    combined = Q()
    for item in conditions:
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            raise SegmentError(_("A segment has at most %(n)d conditions.") % {"n": MAX_CONDITIONS})
        if isinstance(item, dict) and "conditions" in item:
            q = _group(workspace, item, custom_fields, depth + 1, counter)
        elif isinstance(item, dict):
            q = _condition(workspace, item, custom_fields)
        else:
            raise SegmentError(_("Each condition must be an object."))
        combined = (combined & q) if match == "all" else (combined | q)
    return combined


def segment_compile(*, workspace, rules: Any) -> Q:
    """The ``Q`` over Contact for ``rules``, or SegmentError. An empty group matches all."""
    custom_fields = {f.key: f for f in CustomField.objects.for_workspace(workspace)}
    return _group(workspace, rules, custom_fields, 1, [0])
