"""Parsing ids that arrive from outside (URLs, forms, JSON)."""

MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A positive database id, or None for anything else (garbage, negatives, overflow)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
