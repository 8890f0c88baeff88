"""The one rendering path: preview, test send, the web version and the sending engine.

Stable API for the sending engine::

    from mailsoftly.designs.rendering import design_compile, design_render

    compiled = design_compile(design=design)          # once per campaign
    for contact in recipients:
        email = compiled.render({"contact": {...}, "unsubscribe_url": ..., ...})
        email.subject, email.html, email.text

    design_render(design=design, contact_context={...})   # one-off, same result

``contact_context`` keys: ``contact`` (a mapping of contact fields and custom attributes;
``{{ contact.<key> }}`` reads it), ``unsubscribe_url``, ``preferences_url`` and
``web_version_url``. Missing keys render as empty (or as the tag's ``default``). Values
are HTML-escaped in the HTML part. The subject comes out as one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from jinja2.exceptions import SecurityError, TemplateError

from mailsoftly.designs.mergetags import (
    MAX_OUTPUT_CHARS,
    URL_TAGS,
    ContactFields,
    RenderError,
    html_environment,
    text_environment,
)

__all__ = [
    "CompiledDesign",
    "RenderError",
    "RenderedEmail",
    "design_compile",
    "design_render",
    "neutral_context",
    "sample_context",
    "subject_render",
]


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _context(contact_context: Mapping[str, Any]) -> dict[str, Any]:
    contact = contact_context.get("contact") or {}
    if not isinstance(contact, Mapping):
        contact = {}
    context: dict[str, Any] = {"contact": ContactFields(contact)}
    for name in URL_TAGS:
        value = contact_context.get(name)
        context[name] = str(value) if value else ""
    return context


class CompiledDesign:
    """A design's subject, HTML and text as Jinja2 templates: compile once, render often."""

    __slots__ = ("_html", "_subject", "_text")

    def __init__(self, *, subject: str, html: str, text: str):
        self._subject = text_environment().from_string(subject)
        self._html = html_environment().from_string(html)
        self._text = text_environment().from_string(text)

    def render(self, contact_context: Mapping[str, Any]) -> RenderedEmail:
        context = _context(contact_context)
        try:
            subject = self._subject.render(context)
            html = self._html.render(context)
            text = self._text.render(context)
        except SecurityError as exc:
            raise RenderError(_("A merge tag tried something not allowed.")) from exc
        except TemplateError as exc:
            raise RenderError(str(exc)) from exc
        if len(html) + len(text) > MAX_OUTPUT_CHARS:
            raise RenderError(_("The rendered email is too large."))
        # A header can never be split by a merge value: one line, trimmed.
        subject = " ".join(subject.split())[:998]
        return RenderedEmail(subject=subject, html=html, text=text)


@lru_cache(maxsize=64)
def _compiled(subject: str, html: str, text: str) -> CompiledDesign:
    return CompiledDesign(subject=subject, html=html, text=text)


def design_compile(*, design) -> CompiledDesign:
    """The design's compiled form, cached by content (cheap to call per recipient too)."""
    html, text = design.compiled_html, design.compiled_text
    if not html:
        from mailsoftly.designs.compiler import source_compile

        compiled = source_compile(
            source_kind=design.source_kind, source=design.source, preheader=design.preheader
        )
        html, text = compiled.html, compiled.text
    return _compiled(design.subject, html, text)


def design_render(*, design, contact_context: dict) -> RenderedEmail:
    """Render ``design`` for one recipient. See the module docstring for the context keys."""
    return design_compile(design=design).render(contact_context)


def subject_render(*, design, contact_context: Mapping[str, Any]) -> str:
    """Only the subject line (for lists such as the public archive)."""
    subject = text_environment().from_string(design.subject).render(_context(contact_context))
    return " ".join(subject.split())[:998]


def sample_context() -> dict[str, Any]:
    """Made-up recipient data for previews."""
    return {
        "contact": {
            "email": "alex.sample@example.com",
            "first_name": "Alex",
            "last_name": "Sample",
            "company": "Example Ltd",
        },
        "unsubscribe_url": "https://example.com/unsubscribe",
        "preferences_url": "https://example.com/preferences",
        "web_version_url": "https://example.com/web-version",
    }


def neutral_context(*, web_version_url: str = "") -> dict[str, Any]:
    """No personal data at all: for the public web version of a published email."""
    return {"contact": {}, "web_version_url": web_version_url}
