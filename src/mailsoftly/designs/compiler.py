"""Compiling a design's source into email-safe Jinja2 templates, once, on save.

Pipeline, the same for every format:

1. merge tags are checked (:mod:`.mergetags`) and swapped for inert placeholders, so no
   later step (Markdown, MJML, the sanitiser) can mangle or misread them;
2. the format becomes an HTML document: the visual editor's output (HTML + CSS, see
   :mod:`.visualdoc`) and HTML as they are, blocks → MJML → mrml, MJML → mrml, Markdown →
   ``markdown``, plain text → paragraphs; bare fragments get the standard layout;
3. CSS is inlined with css-inline, the body is sanitised with nh3;
4. an unsubscribe footer is added if the author left none, the preheader is added;
5. the plain-text alternative is made from the HTML, and the placeholders become merge
   tags again.

The result is two Jinja2 templates (HTML and text) that :mod:`.rendering` fills per
recipient. Errors carry a line and column so the form can show them next to the field.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass

import markdown
import mrml
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jinja2 import TemplateSyntaxError

from mailsoftly.designs import sanitise
from mailsoftly.designs.blocks import BlockError, blocks_to_mjml
from mailsoftly.designs.mergetags import (
    MergeTagError,
    html_environment,
    merge_tags_check,
    text_environment,
)
from mailsoftly.designs.models import SourceKind
from mailsoftly.designs.visualdoc import VisualSourceError, merge_tags_unescape, visual_parse

MAX_SOURCE_CHARS = 500_000
# A visual design's source also holds the editor's project data (a few times the HTML).
MAX_VISUAL_CHARS = 2_000_000


def _too_long(source_kind: str, source: str) -> int:
    limit = MAX_VISUAL_CHARS if source_kind == SourceKind.VISUAL else MAX_SOURCE_CHARS
    return limit if len(source) > limit else 0


_DOUBLE_QUOTED = re.compile(r'"([^"\'\\]*)"')
_URL_ATTRIBUTE = re.compile(r"\b(?:href|src)=\"([^\"]*)\"", re.IGNORECASE)
_TAG_END = re.compile(r"\s*(-?)\}\}\Z")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


class CompileError(ValueError):
    """The source cannot become an email. ``field`` names the form field to blame."""

    def __init__(self, message: str, *, field: str = "source"):
        self.message = str(message)
        self.field = field
        super().__init__(self.message)


@dataclass(frozen=True)
class CompiledSource:
    html: str  # a Jinja2 template (autoescaped when rendered)
    text: str  # a Jinja2 template (not escaped)


class _Placeholders:
    """Swaps merge tags for tokens like ``mt1a2b3c4dn0e`` and back."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(4)
        self.tags: dict[str, str] = {}
        self._token = re.compile(rf"mt{self.nonce}n\d+e")

    def protect(self, text: str, where: str = "") -> str:
        try:
            tags = merge_tags_check(text)
        except MergeTagError as exc:
            raise CompileError(f"{where}: {exc}" if where else str(exc)) from None
        parts: list[str] = []
        last = 0
        for tag in tags:
            parts.append(text[last : tag.start])
            if tag.kind != "{#":
                token = f"mt{self.nonce}n{len(self.tags)}e"
                # Single quotes survive inside double-quoted HTML attributes.
                self.tags[token] = _DOUBLE_QUOTED.sub(r"'\1'", tag.text)
                parts.append(token)
            last = tag.start + len(tag.text)
        parts.append(text[last:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        return self._token.sub(lambda m: self.tags.get(m.group(0), ""), text)

    def guard_urls(self, document: str) -> None:
        """Contact values that land in href/src pass ``safe_url`` (no javascript: links)."""
        for match in _URL_ATTRIBUTE.finditer(document):
            for token in self.tokens_in(match.group(1)):
                tag = self.tags[token]
                if tag.startswith("{{") and "contact." in tag and "safe_url" not in tag:
                    self.tags[token] = _TAG_END.sub(r" | safe_url \1}}", tag)

    def tokens_in(self, text: str) -> set[str]:
        return set(self._token.findall(text))

    def uses(self, name: str) -> bool:
        pattern = re.compile(rf"\b{name}\b")
        return any(pattern.search(tag) for tag in self.tags.values())


def _layout(body: str) -> str:
    """The standard responsive frame for fragments: a centred 600 px card."""
    return (
        "<html><head></head>"
        '<body style="margin:0;padding:0;background-color:#f4f4f5;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background-color:#f4f4f5;"><tr><td align="center" style="padding:24px 12px;">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:600px;background-color:#ffffff;border-radius:6px;">'
        '<tr><td style="padding:28px 28px;font-family:Helvetica,Arial,sans-serif;'
        'font-size:16px;line-height:1.55;color:#1f2937;word-break:break-word;">'
        f"{body}</td></tr></table></td></tr></table></body></html>"
    )


def _text_to_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        out.append('<p style="margin:0 0 16px 0;">' + linked.replace("\n", "<br>") + "</p>")
    return "".join(out)


def _mjml_to_html(mjml: str) -> str:
    options = mrml.ParserOptions(include_loader=mrml.noop_loader())
    try:
        return mrml.to_html(mjml, parser_options=options).content
    except OSError as exc:
        raise CompileError(_("The MJML could not be read: %(error)s") % {"error": exc}) from None


def _footer(placeholders: _Placeholders) -> str:
    unsubscribe = placeholders.protect("{{ unsubscribe_url }}")
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        '<tr><td align="center" style="padding:16px 12px 24px;font-family:Helvetica,Arial,'
        'sans-serif;font-size:12px;line-height:1.5;color:#6b7280;">'
        f'<a href="{unsubscribe}" style="color:#6b7280;">{html.escape(_("Unsubscribe"))}</a>'
        "</td></tr></table>"
    )


def _preheader(preheader: str, placeholders: _Placeholders) -> str:
    if not preheader.strip():
        return ""
    text = html.escape(placeholders.protect(preheader, _("Preheader")))
    return (
        '<div style="display:none;font-size:1px;line-height:1px;max-height:0px;'
        f'max-width:0px;opacity:0;overflow:hidden;" aria-hidden="true">{text}</div>'
    )


def subject_check(subject: str) -> None:
    """Subjects are one line; merge tags in them follow the same rules as the body."""
    if "\r" in subject or "\n" in subject:
        raise CompileError(_("The subject must be a single line."), field="subject")
    try:
        merge_tags_check(subject)
    except MergeTagError as exc:
        raise CompileError(str(exc), field="subject") from None


LAYOUT_MARKER = "<!-- content -->"
LAYOUT_KINDS = (SourceKind.HTML, SourceKind.MARKDOWN, SourceKind.TEXT)


def layout_check(layout: str) -> None:
    """A layout is HTML holding the content marker exactly once, with valid merge tags."""
    if layout.count(LAYOUT_MARKER) != 1:
        raise CompileError(
            _("A layout must contain the marker %(marker)s exactly once.")
            % {"marker": LAYOUT_MARKER},
            field="layout",
        )
    try:
        merge_tags_check(layout)
    except MergeTagError as exc:
        raise CompileError(_("The layout: %(error)s") % {"error": exc}, field="layout") from None


def _wrap(body: str, layout: str, placeholders: _Placeholders) -> str:
    if not layout:
        return _layout(body)
    before, _marker, after = layout.partition(LAYOUT_MARKER)
    document = placeholders.protect(before) + body + placeholders.protect(after)
    if not re.search(r"<body\b", document, re.IGNORECASE):
        document = f"<html><head></head><body>{document}</body></html>"
    return document


def _document(kind: SourceKind, source: str, placeholders: _Placeholders, layout: str = "") -> str:
    """Step 2: the source as one HTML document, merge tags still as placeholders."""
    if layout and kind not in LAYOUT_KINDS:
        raise CompileError(
            _(
                "Layouts wrap HTML, Markdown and plain-text bodies; visual, MJML and block "
                "designs bring their own."
            ),
            field="layout",
        )
    if kind == SourceKind.BLOCKS:
        try:
            return _mjml_to_html(blocks_to_mjml(source, protect=placeholders.protect))
        except BlockError as exc:
            raise CompileError(str(exc)) from None
    if kind == SourceKind.VISUAL:
        try:
            source = merge_tags_unescape(visual_parse(source).document())
        except VisualSourceError as exc:
            raise CompileError(str(exc)) from None
    protected = placeholders.protect(source)
    if kind == SourceKind.MJML:
        return _mjml_to_html(protected)
    if kind == SourceKind.MARKDOWN:
        body = markdown.markdown(protected, extensions=["extra", "sane_lists"])
        return _wrap(body, layout, placeholders)
    if kind == SourceKind.TEXT:
        return _wrap(_text_to_html(protected), layout, placeholders)
    if re.search(r"<body\b", protected, re.IGNORECASE):
        if layout:
            body = re.search(r"<body\b[^>]*>(.*)</body\s*>", protected, re.I | re.S)
            return _wrap(body.group(1) if body else protected, layout, placeholders)
        return protected
    return _wrap(protected, layout, placeholders)


def source_document(*, source_kind: str, source: str, layout: str = "") -> str:
    """The unsanitised HTML document of a source, merge tags restored (for the link checker)."""
    if _too_long(source_kind, source):
        raise CompileError(_("The content is too long."))
    placeholders = _Placeholders()
    return placeholders.restore(_document(SourceKind(source_kind), source, placeholders, layout))


def source_compile(
    *, source_kind: str, source: str, preheader: str = "", layout: str = ""
) -> CompiledSource:
    """Compile one design body. Raises :class:`CompileError` with a clear message."""
    if limit := _too_long(source_kind, source):
        raise CompileError(_("The content is longer than %(n)s characters.") % {"n": limit})
    if "\r" in preheader or "\n" in preheader:
        raise CompileError(_("The preheader must be a single line."), field="preheader")
    placeholders = _Placeholders()
    try:
        preheader_html = _preheader(preheader, placeholders)
    except CompileError as exc:
        raise CompileError(exc.message, field="preheader") from None
    kind = SourceKind(source_kind)
    if layout:
        layout_check(layout)
    document = _document(kind, source, placeholders, layout)
    structural = {token for token, tag in placeholders.tags.items() if tag.startswith("{%")}
    css, body = sanitise.inline_and_clean(document)
    if structural - placeholders.tokens_in(body):
        raise CompileError(
            _(
                "An {% if %} / {% endif %} tag sits where this format cannot keep it (for "
                "example between MJML sections or inside a removed element). Move it into "
                "the text."
            )
        )
    if not placeholders.uses("unsubscribe_url"):
        body += _footer(placeholders)
    body = preheader_html + body
    document = sanitise.html_document(body=body, css=css, lang=get_language() or "en")
    placeholders.guard_urls(document)
    if kind == SourceKind.TEXT:
        text = placeholders.restore(placeholders.protect(source)).strip() + "\n"
        if "unsubscribe_url" not in text:
            text += "\n" + _("Unsubscribe: {{ unsubscribe_url }}") + "\n"
    else:
        text = placeholders.restore(sanitise.html_to_text(document))
    compiled = CompiledSource(html=placeholders.restore(document), text=text)
    try:
        html_environment().parse(compiled.html)
        text_environment().parse(compiled.text)
    except TemplateSyntaxError as exc:
        raise CompileError(
            _("Merge tags do not fit together after conversion: %(error)s") % {"error": exc.message}
        ) from None
    return compiled
