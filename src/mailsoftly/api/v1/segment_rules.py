"""API-side checks of segment rules, before the contacts app compiles them.

The rule compiler treats an empty group as "no condition", which matches every contact.
That is a fine neutral element inside the editor, but over the API an empty group is
almost always a mistake (``{"all": []}`` is the classic one: an unknown key and no
conditions), and sending a campaign to "everyone" by accident is costly. So the API refuses
an empty group, and keys a group does not have, with a 422 naming the path.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

GROUP_KEYS = {"match", "conditions"}


def _walk(group: Any, path: str, problems: list[str]) -> None:
    if not isinstance(group, dict):
        return  # not a group: the compiler reports it with its own message
    if "conditions" not in group and "field" in group:
        return  # a condition, checked by the compiler
    unknown = sorted(set(group) - GROUP_KEYS)
    if unknown:
        problems.append(
            _("%(path)s: unknown key “%(key)s”; a group has “match” and “conditions”.")
            % {"path": path, "key": str(unknown[0])[:40]}
        )
    conditions = group.get("conditions")
    if conditions is None or (isinstance(conditions, list) and not conditions):
        problems.append(
            _(
                "%(path)s: the group has no conditions, so it would match every contact; "
                "add a condition or remove the group."
            )
            % {"path": path}
        )
        return
    if isinstance(conditions, list):
        for index, item in enumerate(conditions[:100]):
            if isinstance(item, dict) and "conditions" in item:
                _walk(item, f"{path}.conditions[{index}]", problems)
            elif isinstance(item, dict) and not item:
                problems.append(
                    _("%(path)s: an empty condition.") % {"path": f"{path}.conditions[{index}]"}
                )


def segment_rules_problems(rules: Any) -> list[str]:
    """Messages (each starting with its path, e.g. ``rules.conditions[1]``); empty if fine."""
    problems: list[str] = []
    _walk(rules, "rules", problems)
    return problems


def _check(rules: dict[str, Any]) -> dict[str, Any]:
    problems = segment_rules_problems(rules)
    if problems:
        raise PydanticCustomError("segment_rules", " ".join(problems[:5]))
    return rules


SegmentRules = Annotated[dict[str, Any], AfterValidator(_check)]
