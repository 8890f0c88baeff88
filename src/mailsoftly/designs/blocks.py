"""The visual editor's block document, validated and turned into MJML.

The editor posts JSON: ``{"settings": {...}, "blocks": [{"type": "heading", ...}, ...]}``.
:func:`blocks_to_mjml` checks every field (types, lengths, colours, link schemes) and
writes MJML, which mrml turns into responsive, table-based HTML. Text fields may carry
merge tags; the caller passes ``protect`` to swap them for inert placeholders first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import escape

import markdown
from django.utils.translation import gettext as _

MAX_BLOCKS = 150
MAX_TEXT = 20_000
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?\Z")
_SAFE_URL = re.compile(r"(https?://|mailto:|tel:)[^\s\"'<>]*\Z", re.IGNORECASE)
BLOCK_TYPES = (
    "heading", "text", "image", "button", "divider", "spacer", "columns", "social", "footer",
)  # fmt: skip
COLUMN_BLOCK_TYPES = ("heading", "text", "image", "button")
SOCIAL_NETWORKS = ("facebook", "x", "linkedin", "instagram", "youtube", "github", "web")

DEFAULT_SETTINGS = {
    "background": "#f4f4f5",
    "content_background": "#ffffff",
    "text_color": "#1f2937",
    "accent": "#2563eb",
    "font": "Helvetica, Arial, sans-serif",
}
_FONTS = (
    "Helvetica, Arial, sans-serif",
    "Georgia, 'Times New Roman', serif",
    "Verdana, Geneva, sans-serif",
    "'Trebuchet MS', Tahoma, sans-serif",
    "'Courier New', monospace",
)


class BlockError(ValueError):
    pass


def _text(block: dict, key: str, path: str, *, required: bool = False, limit: int = 2000) -> str:
    value = block.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BlockError(_("%(path)s: “%(key)s” must be text") % {"path": path, "key": key})
    if len(value) > limit:
        raise BlockError(
            _("%(path)s: “%(key)s” is longer than %(limit)s characters")
            % {"path": path, "key": key, "limit": limit}
        )
    if required and not value.strip():
        raise BlockError(_("%(path)s: “%(key)s” is empty") % {"path": path, "key": key})
    return value


def _url(block: dict, key: str, path: str, protect: Callable, *, required: bool) -> str:
    value = _text(block, key, path, required=required).strip()
    if not value:
        return ""
    if value.startswith("{{") and value.endswith("}}"):
        return protect(value, path)
    if not _SAFE_URL.match(value):
        raise BlockError(
            _("%(path)s: “%(value)s” is not a web, mailto: or tel: link")
            % {"path": path, "value": value[:80]}
        )
    return value


def _colour(settings: dict, key: str) -> str:
    value = settings.get(key) or DEFAULT_SETTINGS[key]
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise BlockError(_("settings: “%(key)s” must be a colour like #336699") % {"key": key})
    return value


def _int(block: dict, key: str, path: str, default: int, low: int, high: int) -> int:
    value = block.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BlockError(_("%(path)s: “%(key)s” must be a number") % {"path": path, "key": key})
    try:
        number = int(value)
    except ValueError:
        raise BlockError(
            _("%(path)s: “%(key)s” must be a number") % {"path": path, "key": key}
        ) from None
    return max(low, min(high, number))


def _align(block: dict) -> str:
    value = block.get("align", "left")
    return value if value in ("left", "center", "right") else "left"


def _attr(value: str) -> str:
    return escape(value, quote=True)


def parse_document(source: str) -> dict:
    try:
        document = json.loads(source or '{"blocks": []}')
    except json.JSONDecodeError as exc:
        raise BlockError(
            _("the block document is not valid JSON (line %(line)s, column %(col)s)")
            % {"line": exc.lineno, "col": exc.colno}
        ) from None
    if isinstance(document, list):
        document = {"blocks": document}
    if not isinstance(document, dict) or not isinstance(document.get("blocks", []), list):
        raise BlockError(_("the block document must hold a list of blocks"))
    return document


def blocks_to_mjml(source: str, *, protect: Callable[[str, str], str]) -> str:
    """MJML for a block document. ``protect(text, path)`` swaps merge tags for placeholders."""
    document = parse_document(source)
    settings = document.get("settings") or {}
    if not isinstance(settings, dict):
        raise BlockError(_("settings must be an object"))
    blocks = document.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        raise BlockError(_("a design holds at most %(n)s blocks") % {"n": MAX_BLOCKS})
    colours = {key: _colour(settings, key) for key in DEFAULT_SETTINGS if key != "font"}
    font = settings.get("font") if settings.get("font") in _FONTS else DEFAULT_SETTINGS["font"]
    if not any(isinstance(b, dict) and b.get("type") == "footer" for b in blocks):
        raise BlockError(_("add a footer block: every email needs its unsubscribe link"))

    def inner(block: object, path: str, allowed: tuple[str, ...]) -> str:
        if not isinstance(block, dict) or block.get("type") not in allowed:
            kind = block.get("type") if isinstance(block, dict) else block
            raise BlockError(
                _("%(path)s: unknown block type “%(type)s”") % {"path": path, "type": kind}
            )
        kind = block["type"]
        align = _align(block)
        if kind == "heading":
            text = escape(protect(_text(block, "text", path, required=True, limit=300), path))
            level = _int(block, "level", path, 1, 1, 3)
            size = {1: "28px", 2: "22px", 3: "18px"}[level]
            return (
                f'<mj-text align="{align}" font-size="{size}" font-weight="700" '
                f'line-height="1.25" padding="12px 24px"><h{level} style="margin:0;'
                f'font-size:{size}">{text}</h{level}></mj-text>'
            )
        if kind == "text":
            text = protect(_text(block, "text", path, limit=MAX_TEXT), path)
            rendered = markdown.markdown(text, extensions=["sane_lists"])
            return f'<mj-text align="{align}" padding="8px 24px">{rendered}</mj-text>'
        if kind == "image":
            src = _url(block, "src", path, protect, required=True)
            alt = escape(protect(_text(block, "alt", path, limit=300), path), quote=True)
            href = _url(block, "href", path, protect, required=False)
            width = _int(block, "width", path, 600, 16, 600)
            link = f' href="{_attr(href)}"' if href else ""
            # Full width unless the author asked for less; always fluid on phones.
            size = f' width="{width}px"' if width < 600 else ""
            image_align = (
                block.get("align") if block.get("align") in ("left", "right") else "center"
            )
            return (
                f'<mj-image src="{_attr(src)}" alt="{alt}"{size} align="{image_align}"'
                f'{link} fluid-on-mobile="true" padding="8px 24px" />'
            )
        if kind == "button":
            label = escape(protect(_text(block, "text", path, required=True, limit=200), path))
            href = _url(block, "href", path, protect, required=True)
            return (
                f'<mj-button href="{_attr(href)}" align="{align}" '
                f'background-color="{colours["accent"]}" color="#ffffff" font-size="16px" '
                f'font-weight="600" border-radius="6px" inner-padding="12px 24px" '
                f'padding="12px 24px">{label}</mj-button>'
            )
        raise BlockError(_("%(path)s: this block cannot go here") % {"path": path})

    sections: list[str] = []
    for index, block in enumerate(blocks, start=1):
        path = _("Block %(n)s") % {"n": index}
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else block
            raise BlockError(
                _("%(path)s: unknown block type “%(type)s”") % {"path": path, "type": kind}
            )
        kind = block["type"]
        if kind == "divider":
            body = '<mj-divider border-color="#e5e7eb" border-width="1px" padding="12px 24px" />'
        elif kind == "spacer":
            body = f'<mj-spacer height="{_int(block, "height", path, 24, 4, 120)}px" />'
        elif kind == "columns":
            columns = block.get("columns") or []
            if not isinstance(columns, list) or not 2 <= len(columns) <= 3:
                raise BlockError(_("%(path)s: columns hold 2 or 3 columns") % {"path": path})
            parts = []
            for col_index, column in enumerate(columns, start=1):
                col_blocks = column.get("blocks", []) if isinstance(column, dict) else None
                if not isinstance(col_blocks, list):
                    raise BlockError(
                        _("%(path)s: a column holds a list of blocks") % {"path": path}
                    )
                col_path = _("%(path)s, column %(n)s") % {"path": path, "n": col_index}
                parts.append(
                    "<mj-column>"
                    + "".join(inner(b, col_path, COLUMN_BLOCK_TYPES) for b in col_blocks)
                    + "</mj-column>"
                )
            sections.append(
                f'<mj-section background-color="{colours["content_background"]}" '
                f'padding="0 0">{"".join(parts)}</mj-section>'
            )
            continue
        elif kind == "social":
            links = block.get("links") or []
            if not isinstance(links, list) or len(links) > 10:
                raise BlockError(_("%(path)s: up to 10 social links") % {"path": path})
            elements = []
            for link in links:
                if not isinstance(link, dict) or link.get("network") not in SOCIAL_NETWORKS:
                    raise BlockError(_("%(path)s: unknown social network") % {"path": path})
                href = _url(link, "href", path, protect, required=True)
                label = {"x": "X", "web": _("Website"), "github": "GitHub"}.get(
                    link["network"], link["network"].capitalize()
                )
                elements.append(
                    f'<mj-social-element href="{_attr(href)}" '
                    f'background-color="{colours["accent"]}">{escape(label)}</mj-social-element>'
                )
            body = (
                f'<mj-social mode="horizontal" align="{_align(block)}" icon-size="0px" '
                f'font-size="14px" color="#ffffff" inner-padding="6px 12px" padding="12px 24px">'
                f"{''.join(elements)}</mj-social>"
            )
        elif kind == "footer":
            text = protect(_text(block, "text", path, limit=2000), path)
            address = escape(protect(_text(block, "address", path, limit=500), path))
            rendered = markdown.markdown(text) if text.strip() else ""
            unsubscribe = escape(_("Unsubscribe"))
            preferences = escape(_("Email preferences"))
            body = (
                '<mj-text align="center" font-size="12px" color="#6b7280" padding="16px 24px">'
                f"{rendered}"
                + (f"<p>{address}</p>" if address else "")
                + f'<p><a href="{protect("{{ unsubscribe_url }}", path)}" style="color:#6b7280">'
                f"{unsubscribe}</a> · "
                f'<a href="{protect("{{ preferences_url }}", path)}" style="color:#6b7280">'
                f"{preferences}</a></p></mj-text>"
            )
        else:
            body = inner(block, path, BLOCK_TYPES)
        sections.append(
            f'<mj-section background-color="{colours["content_background"]}" padding="0">'
            f"<mj-column>{body}</mj-column></mj-section>"
        )

    return (
        "<mjml><mj-head><mj-attributes>"
        f'<mj-all font-family="{_attr(font)}" />'
        f'<mj-text color="{colours["text_color"]}" font-size="16px" line-height="1.55" />'
        "</mj-attributes></mj-head>"
        f'<mj-body background-color="{colours["background"]}" width="600px">'
        '<mj-wrapper padding="24px 0">' + "".join(sections) + "</mj-wrapper></mj-body></mjml>"
    )
