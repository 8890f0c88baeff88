"""Regional factories for designs (created in the workspace's own region database)."""

from __future__ import annotations

import json

from mailsoftly.designs.models import SourceKind
from mailsoftly.designs.services import design_create


def blocks_source(*blocks: dict) -> str:
    return json.dumps(
        {"blocks": [*blocks, {"type": "footer", "text": "You subscribed.", "address": "1 Road"}]}
    )


def make_design(workspace, user=None, **fields):
    fields.setdefault("name", "Spring news")
    fields.setdefault("subject", "Hello {{ contact.first_name }}")
    fields.setdefault("source_kind", SourceKind.BLOCKS)
    fields.setdefault(
        "source",
        blocks_source(
            {"type": "heading", "text": "Hi {{ contact.first_name | default('there') }}"},
            {"type": "text", "text": "Our **spring** news."},
        ),
    )
    return design_create(workspace=workspace, user=user, **fields)


def design_form(design, **changes) -> dict:
    """What the design edit form posts for ``design`` unchanged, with ``changes`` applied."""
    data = {
        "name": design.name,
        "subject": design.subject,
        "preheader": design.preheader,
        "from_name": "",
        "from_email": "",
        "reply_to": "",
        "source_kind": design.source_kind,
        "source": design.source,
    }
    if design.track_opens_clicks:
        data["track_opens_clicks"] = "on"  # a ticked checkbox; an unticked one posts nothing
    return {**data, **changes}
