"""Empty segment groups are refused over the API with a 422 naming the path (P15)."""

from __future__ import annotations

import pytest

from mailsoftly.api.v1.segment_rules import segment_rules_problems
from mailsoftly.contacts import selectors

pytestmark = pytest.mark.policy("P15")

CONDITION = {"field": "email", "op": "ends_with", "value": "@example.org"}


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({"all": []}, "rules"),
        ({"match": "all", "conditions": []}, "rules"),
        ({"match": "any"}, "rules"),
        (
            {"match": "all", "conditions": [CONDITION, {"match": "any", "conditions": []}]},
            "rules.conditions[1]",
        ),
    ],
)
def test_an_empty_group_is_a_422_naming_its_path_and_nothing_is_saved(api, workspace, rules, path):
    response = api.post("/segments", {"name": "Everyone?", "rules": rules})
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "rules"
    assert error["message"].startswith(f"{path}: ")
    assert "match every contact" in error["message"]
    assert selectors.segment_list(workspace=workspace).count() == 0


def test_the_unknown_key_of_all_is_named():
    [unknown, empty] = segment_rules_problems({"all": []})
    assert unknown.startswith("rules: unknown key “all”")
    assert "no conditions" in empty


def test_a_group_with_conditions_is_accepted(api, workspace):
    rules = {"match": "any", "conditions": [CONDITION, {"conditions": [CONDITION]}]}
    assert segment_rules_problems(rules) == []
    response = api.post("/segments", {"name": "Example", "rules": rules})
    assert response.status_code == 201, response.content
    assert selectors.segment_list(workspace=workspace).count() == 1
