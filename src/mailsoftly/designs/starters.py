"""Built-in starter templates, written for this project. Responsive through MJML columns.

They live in code, not in the database, so every workspace in every region sees the same
set without seeding. Workspace templates (:class:`~.models.Template`) sit beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from mailsoftly.designs.models import SourceKind


def _image(shape: str, colour: str) -> str:
    """An absolute URL of one of our own placeholder images (no third-party requests)."""
    path = static(f"designs/placeholders/{shape}-{colour}.png")
    return settings.BASE_URL.rstrip("/") + path


_FOOTER = {
    "type": "footer",
    "text": "You receive this email because you subscribed to our list.",
    "address": "Example Ltd · 1 Sample Street · 12345 Sampletown",
}


@dataclass(frozen=True)
class Starter:
    key: str
    name: str
    description: str
    subject: str
    preheader: str
    source_kind: str
    source: str


def _doc(blocks: list[dict], **settings: str) -> str:
    return json.dumps({"settings": settings, "blocks": [*blocks, _FOOTER]}, indent=1)


def _raw_starters() -> list[dict]:
    return [
        {
            "key": "newsletter",
            "name": _("Newsletter"),
            "description": _("A headline story and two columns of shorter news."),
            "subject": "Our news this month",
            "preheader": "Three things worth your time",
            "source": _doc(
                [
                    {"type": "image", "src": _image("banner", "indigo"), "alt": "Monthly news"},
                    {
                        "type": "heading",
                        "text": "Hello {{ contact.first_name | default('there') }}",
                    },
                    {
                        "type": "text",
                        "text": "Here is what happened this month. **Our lead story** gets the "
                        "most room; the rest are short and sweet.",
                    },
                    {
                        "type": "button",
                        "text": "Read the lead story",
                        "href": "https://example.com/news",
                    },
                    {"type": "divider"},
                    {
                        "type": "columns",
                        "columns": [
                            {
                                "blocks": [
                                    {"type": "heading", "text": "Product update", "level": 3},
                                    {"type": "text", "text": "A new feature you asked for."},
                                ]
                            },
                            {
                                "blocks": [
                                    {"type": "heading", "text": "From the blog", "level": 3},
                                    {"type": "text", "text": "Five tips to get more done."},
                                ]
                            },
                        ],
                    },
                    {
                        "type": "social",
                        "align": "center",
                        "links": [
                            {"network": "web", "href": "https://example.com"},
                            {"network": "linkedin", "href": "https://www.linkedin.com/"},
                        ],
                    },
                ]
            ),
        },
        {
            "key": "announcement",
            "name": _("Announcement"),
            "description": _("One big message with a single call to action."),
            "subject": "Big news: something new is here",
            "preheader": "We could not wait to tell you",
            "source": _doc(
                [
                    {"type": "spacer", "height": 16},
                    {"type": "heading", "text": "Something new is here", "align": "center"},
                    {
                        "type": "text",
                        "align": "center",
                        "text": "We have been working on this for months, and it is finally ready.",
                    },
                    {
                        "type": "image",
                        "src": _image("banner", "violet"),
                        "alt": "",
                        "width": 500,
                        "align": "center",
                    },
                    {
                        "type": "button",
                        "text": "See what is new",
                        "href": "https://example.com",
                        "align": "center",
                    },
                    {"type": "spacer", "height": 16},
                ],
                accent="#7c3aed",
            ),
        },
        {
            "key": "promotion",
            "name": _("Promotion"),
            "description": _("A sale with a code and three featured products."),
            "subject": "20% off this week only",
            "preheader": "Use code SPRING20 at checkout",
            "source": _doc(
                [
                    {"type": "heading", "text": "20% off everything", "align": "center"},
                    {
                        "type": "text",
                        "align": "center",
                        "text": "Use code **SPRING20** at checkout. Ends Sunday.",
                    },
                    {
                        "type": "button",
                        "text": "Shop the sale",
                        "href": "https://example.com/shop",
                        "align": "center",
                    },
                    {
                        "type": "columns",
                        "columns": [
                            {
                                "blocks": [
                                    {
                                        "type": "image",
                                        "src": _image("square", "rose"),
                                        "alt": "Item 1",
                                    },
                                    {"type": "text", "align": "center", "text": "**Item one**"},
                                ]
                            },
                            {
                                "blocks": [
                                    {
                                        "type": "image",
                                        "src": _image("square", "rose"),
                                        "alt": "Item 2",
                                    },
                                    {"type": "text", "align": "center", "text": "**Item two**"},
                                ]
                            },
                            {
                                "blocks": [
                                    {
                                        "type": "image",
                                        "src": _image("square", "rose"),
                                        "alt": "Item 3",
                                    },
                                    {"type": "text", "align": "center", "text": "**Item three**"},
                                ]
                            },
                        ],
                    },
                ],
                accent="#dc2626",
            ),
        },
        {
            "key": "welcome",
            "name": _("Welcome"),
            "description": _("Greets a new subscriber and sets expectations."),
            "subject": "Welcome, {{ contact.first_name | default('friend') }}!",
            "preheader": "Thanks for joining us",
            "source": _doc(
                [
                    {
                        "type": "heading",
                        "text": "Welcome aboard, {{ contact.first_name | default('friend') }}!",
                    },
                    {
                        "type": "text",
                        "text": "Thanks for subscribing. Here is what to expect:\n\n"
                        "- one email a month, no more\n- early access to new things\n"
                        "- you can leave any time with one click",
                    },
                    {"type": "button", "text": "Get started", "href": "https://example.com/start"},
                ],
                accent="#059669",
            ),
        },
        {
            "key": "event",
            "name": _("Event invitation"),
            "description": _("Date, place and a button to register."),
            "subject": "You are invited: Spring meetup",
            "preheader": "Thursday, 6 pm, with snacks",
            "source": _doc(
                [
                    {
                        "type": "image",
                        "src": _image("banner", "amber"),
                        "alt": "Spring meetup",
                    },
                    {"type": "heading", "text": "Join us at the Spring meetup"},
                    {
                        "type": "columns",
                        "columns": [
                            {
                                "blocks": [
                                    {"type": "heading", "text": "When", "level": 3},
                                    {"type": "text", "text": "Thursday, 6 pm"},
                                ]
                            },
                            {
                                "blocks": [
                                    {"type": "heading", "text": "Where", "level": 3},
                                    {"type": "text", "text": "1 Sample Street, Sampletown"},
                                ]
                            },
                        ],
                    },
                    {
                        "type": "button",
                        "text": "Register now",
                        "href": "https://example.com/register",
                    },
                ],
                accent="#d97706",
            ),
        },
    ]


_PLAIN_LETTER = {
    "key": "letter",
    "name": _("Plain letter"),
    "description": _("Just text, like a personal note."),
    "subject": "A quick note",
    "preheader": "",
    "source_kind": SourceKind.TEXT,
    "source": (
        "Hi {{ contact.first_name | default('there') }},\n\n"
        "I wanted to write you a short note to say thank you for being with us.\n\n"
        "If you ever have a question, just reply to this email.\n\n"
        "Best wishes,\nSam"
    ),
}


def _build() -> list[Starter]:
    return [
        Starter(
            key=raw["key"],
            name=str(raw["name"]),
            description=str(raw["description"]),
            subject=raw["subject"],
            preheader=raw["preheader"],
            source_kind=raw.get("source_kind", SourceKind.BLOCKS),
            source=raw["source"],
        )
        for raw in [*_raw_starters(), _PLAIN_LETTER]
    ]


def starter_list() -> list[Starter]:
    """The built-in starters, names in the current language."""
    return _build()


def starter_get(key: str) -> Starter | None:
    return next((s for s in _build() if s.key == key), None)
