"""Making HTML email-safe: CSS inlining, the nh3 allow-list, and the plain-text alternative.

Every format ends here. The body goes through nh3 with an allow-list of email tags,
attributes and CSS properties (no script, iframe, form, object, embed or ``on*``
attributes, links only to http, https, mailto and tel). ``<style>`` blocks are kept in the
head for media queries, after dropping anything that loads or runs something.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import css_inline
import nh3

TAGS = (nh3.ALLOWED_TAGS | {"font", "center", "tfoot", "section"}) - {
    "details",
    "summary",
    "map",
    "area",
}
_GLOBAL_ATTRIBUTES = {
    "style",
    "class",
    "align",
    "valign",
    "width",
    "height",
    "bgcolor",
    "dir",
    "lang",
    "title",
    "role",
    "border",
    "cellpadding",
    "cellspacing",
    "aria-hidden",
    "aria-label",
    "aria-roledescription",
}
ATTRIBUTES = {
    "*": _GLOBAL_ATTRIBUTES,
    "a": {"href", "name", "target"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan", "headers", "scope"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "col": {"span"},
    "colgroup": {"span"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
STYLE_PROPERTIES = {
    *(f"{side}" for side in ("margin", "padding", "border")),
    *(
        f"{box}-{side}"
        for box in ("margin", "padding", "border")
        for side in ("top", "right", "bottom", "left")
    ),
    *(f"border-{part}" for part in ("color", "style", "width", "radius", "collapse", "spacing")),
    "background",
    "background-color",
    "background-image",
    "background-position",
    "background-repeat",
    "background-size",
    "color",
    "direction",
    "display",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style",
    "list-style-type",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "overflow",
    "text-align",
    "text-decoration",
    "text-transform",
    "vertical-align",
    "white-space",
    "width",
    "word-break",
    "word-spacing",
    "word-wrap",
    "table-layout",
    "mso-line-height-rule",
    "mso-padding-alt",
    "mso-table-lspace",
    "mso-table-rspace",
    "-webkit-text-size-adjust",
    "-ms-text-size-adjust",
}

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
_HEAD = re.compile(r"<head\b[^>]*>.*?</head\s*>", re.IGNORECASE | re.DOTALL)
# Anything in a stylesheet that fetches, runs or escapes: dropped with its whole rule text.
_CSS_DANGER = re.compile(
    r"@import[^;]*;?|expression\s*\(|javascript\s*:|behavior\s*:|-moz-binding|url\s*\([^)]*\)|<",
    re.IGNORECASE,
)
_INLINER = css_inline.CSSInliner(
    keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False
)


def clean_fragment(fragment: str, *, keep_ids: bool = False) -> str:
    """An HTML fragment reduced to the email allow-list.

    ``keep_ids`` keeps ``id`` attributes, for editor output whose stylesheet targets them
    (the compiler inlines that CSS before the final clean, which drops them).
    """
    attributes = {**ATTRIBUTES, "*": _GLOBAL_ATTRIBUTES | {"id"}} if keep_ids else ATTRIBUTES
    return nh3.clean(
        fragment,
        tags=TAGS,
        attributes=attributes,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "svg"},
        filter_style_properties=STYLE_PROPERTIES,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def clean_css(css: str) -> str:
    return _CSS_DANGER.sub("", css).strip()


def inline_and_clean(document: str) -> tuple[str, str]:
    """``(head_css, body_html)``: styles inlined into the body, which is then sanitised."""
    inlined = _INLINER.inline(document)
    css = "\n".join(clean_css(block) for block in _STYLE_BLOCK.findall(inlined))
    body_match = _BODY.search(inlined)
    body = body_match.group(1) if body_match else _HEAD.sub("", inlined)
    return css, clean_fragment(body)


def html_document(*, body: str, css: str, title: str = "", lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="x-apple-disable-message-reformatting">'
        f"<title>{html.escape(title)}</title>"
        + (f'<style type="text/css">{css}</style>' if css else "")
        + f'</head><body style="margin:0;padding:0;word-spacing:normal;">{body}</body></html>'
    )


# --- Plain-text alternative ------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
    "blockquote", "section", "center", "pre", "hr", "header", "footer", "article",
}  # fmt: skip
_SKIP_TAGS = {"head", "style", "script", "title"}


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.hidden_stack: list[str] = []
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        style = (attributes.get("style") or "").replace(" ", "").lower()
        if tag in _SKIP_TAGS or "display:none" in style:
            if tag not in ("br", "img", "hr"):
                self.skip_depth += 1
                self.hidden_stack.append(tag)
            return
        if self.skip_depth:
            if tag not in ("br", "img", "hr", "meta", "link"):
                self.hidden_stack.append(tag)
                self.skip_depth += 1
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        if tag in ("h1", "h2"):
            self.parts.append("")
        if tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("-" * 20 + "\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img" and attributes.get("alt"):
            self.parts.append(f"[{attributes['alt']}]")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len(self.parts)))

    def handle_endtag(self, tag):
        if self.skip_depth:
            if self.hidden_stack and self.hidden_stack[-1] == tag:
                self.hidden_stack.pop()
                self.skip_depth -= 1
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and href != label and not href.startswith("#"):
                self.parts.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(document: str) -> str:
    """A readable plain-text version of an HTML email."""
    maker = _TextMaker()
    maker.feed(document)
    maker.close()
    text = "".join(maker.parts)
    lines = [line.strip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
