import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsoftly.contacts import selectors, services
from mailsoftly.contacts.models import FieldType
from mailsoftly.contacts.segments import SegmentError, segment_compile
from mailsoftly.core import clock
from tests.contacts.factories import (
    ContactFactory,
    ContactListFactory,
    CustomFieldFactory,
    SegmentFactory,
)


def _emails(workspace, rules):
    return sorted(
        c.email
        for c in selectors.contact_list(
            workspace=workspace, segment=SegmentFactory(workspace=workspace, rules=rules)
        )
    )


def test_all_and_any_groups_with_custom_fields_lists_and_tags(workspace):
    CustomFieldFactory(workspace=workspace, key="city", field_type=FieldType.TEXT)
    CustomFieldFactory(workspace=workspace, key="age", field_type=FieldType.NUMBER)
    vip = ContactListFactory(workspace=workspace)
    ann = ContactFactory(
        workspace=workspace, email="ann@a.org", fields={"city": "Berlin", "age": 30}
    )
    ContactFactory(workspace=workspace, email="bob@b.org", fields={"city": "Paris", "age": 50})
    cat = ContactFactory(workspace=workspace, email="cat@a.org", fields={"age": 70})
    services.contact_subscribe(contact=cat, contact_list=vip)
    services.contact_tags_set(contact=ann, names=["beta"])
    rules = {
        "match": "any",
        "conditions": [
            {
                "match": "all",
                "conditions": [
                    {"field": "field:city", "op": "eq", "value": "berlin"},
                    {"field": "field:age", "op": "lt", "value": "40"},
                ],
            },
            {"field": "list", "op": "in", "value": vip.pk},
        ],
    }
    assert _emails(workspace, rules) == ["ann@a.org", "cat@a.org"]
    assert _emails(workspace, {"conditions": [{"field": "tag", "op": "has", "value": "beta"}]}) == [
        "ann@a.org"
    ]
    assert _emails(
        workspace,
        {
            "conditions": [
                {"field": "email", "op": "ends_with", "value": "@a.org"},
                {"field": "field:age", "op": "gte", "value": 50},
            ]
        },
    ) == ["cat@a.org"]
    assert _emails(workspace, {"conditions": [{"field": "field:city", "op": "is_empty"}]}) == [
        "cat@a.org"
    ]


def test_created_date_and_status_conditions(workspace):
    ContactFactory(workspace=workspace, email="new@x.org")
    today = clock.now().date().isoformat()
    assert _emails(
        workspace, {"conditions": [{"field": "created_at", "op": "on_or_after", "value": today}]}
    ) == ["new@x.org"]
    assert (
        _emails(workspace, {"conditions": [{"field": "status", "op": "eq", "value": "bounced"}]})
        == []
    )


@pytest.mark.policy("P27")
def test_trashed_contacts_never_match_a_segment(workspace):
    contact = ContactFactory(workspace=workspace, email="t@x.org")
    services.contact_trash(contact=contact)
    segment = SegmentFactory(workspace=workspace)
    assert not selectors.contact_list(workspace=workspace, segment=segment).exists()
    assert not selectors.contact_list_for_audience(
        workspace=workspace, segment_id=segment.pk
    ).exists()


@pytest.mark.parametrize(
    "rules",
    [
        {"conditions": [{"field": "password", "op": "eq", "value": "x"}]},
        {"conditions": [{"field": "email", "op": "regex", "value": ".*"}]},
        {"conditions": [{"field": "email", "op": "eq", "value": {"$gt": ""}}]},
        {"conditions": [{"field": "field:nope", "op": "eq", "value": "x"}]},
        {"conditions": [{"field": "email__contains", "op": "eq", "value": "x"}]},
        {"conditions": [{"field": "field:city__isnull", "op": "eq", "value": "x"}]},
        {"match": "xor", "conditions": []},
        {"conditions": "email = 1; DROP TABLE contacts_contact"},
        ["not", "a", "group"],
        {"conditions": [{"conditions": [{"conditions": [{"conditions": [{"conditions": []}]}]}]}]},
    ],
)
def test_bad_rules_are_refused_with_a_message(workspace, rules):
    with pytest.raises(SegmentError) as exc:
        segment_compile(workspace=workspace, rules=rules)
    assert str(exc.value)


def test_injection_text_is_only_ever_a_value(workspace):
    ContactFactory(workspace=workspace, email="a@x.org")
    rules = {"conditions": [{"field": "email", "op": "contains", "value": "' OR 1=1 --"}]}
    assert selectors.segment_count(workspace=workspace, rules=rules) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["match", "conditions", "field", "op", "value", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=json_values)
def test_any_json_either_compiles_or_gives_segment_error(workspace, rules):
    try:
        q = segment_compile(workspace=workspace, rules=rules)
    except SegmentError:
        return
    # What compiles also runs.
    selectors.segment_count(workspace=workspace, rules=rules)
    assert q is not None
