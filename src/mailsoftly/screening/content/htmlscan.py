"""A forgiving single pass over HTML that collects what the rules look at.

Built on the standard library's ``html.parser``, which accepts any string without raising
on bad markup. It never runs scripts or fetches anything. The pass stops early, and says
so, when a document is nested too deeply or the time budget runs out: the engine then
holds the content instead of passing something it did not read to the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from mailsoftly.screening.content.budget import Deadline

MAX_DEPTH = 256
FEED_CHUNK = 64 * 1024

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "basefont",
        "frame",
    ]
)
SKIP_TEXT = frozenset({"script", "style", "head", "title", "template", "noscript"})

_STYLE_HIDDEN = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!)"
    r"|(?:max-)?height\s*:\s*0(?:px)?\s*;\s*overflow\s*:\s*hidden",
    re.I,
)
_FONT_SIZE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)\s*(px|pt)?", re.I)
PREHEADER_CHARS = 300
_COLOR = re.compile(r"(?:^|[;\s])color\s*:\s*([#a-z0-9]+)", re.I)
_BG = re.compile(r"background(?:-color)?\s*:\s*([#a-z0-9]+)", re.I)


@dataclass
class Link:
    href: str
    text: str = ""
    tag: str = "a"


@dataclass
class HtmlScan:
    links: list[Link] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)  # form actions
    inputs: list[str] = field(default_factory=list)  # input types
    text: str = ""
    hidden_text: str = ""
    tiny_text: str = ""
    tag_count: int = 0
    font_tags: int = 0
    big_text: int = 0  # elements with very large type
    max_depth: int = 0
    too_deep: bool = False
    has_script: bool = False
    meta_refresh: list[str] = field(default_factory=list)


def _same_color(fg: str, bg: str) -> bool:
    norm = {"#fff": "#ffffff", "white": "#ffffff", "#000": "#000000", "black": "#000000"}
    return norm.get(fg.lower(), fg.lower()) == norm.get(bg.lower(), bg.lower())


class _Collector(HTMLParser):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__(convert_charrefs=True)
        self.deadline = deadline
        self.scan = HtmlScan()
        # (tag, hidden, zero_font, tiny, same_colour_as_background) per open element.
        self.stack: list[tuple[str, bool, bool, bool, bool]] = []
        self._preheader: list[str] = []
        self._seen_visible = False
        self._text: list[str] = []
        self._hidden: list[str] = []
        self._tiny: list[str] = []
        self._anchor: Link | None = None
        self._anchor_text: list[str] = []
        self._body_bg = ""

    # Context (hidden, tiny) is inherited from the innermost open element.
    def _state(self) -> tuple[bool, bool, bool, bool]:
        if not self.stack:
            return False, False, False, False
        return self.stack[-1][1:]

    def _is_hidden(self) -> bool:
        hidden, zero_font, _, colour = self._state()
        return hidden or zero_font or colour

    def _is_tiny(self) -> bool:
        return self._state()[2]

    def _skipping(self) -> bool:
        return any(entry[0] in SKIP_TEXT for entry in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        scan = self.scan
        scan.tag_count += 1
        if scan.tag_count % 512 == 0:
            self.deadline.check()
        a = {k.lower(): (v or "") for k, v in attrs}
        style = a.get("style", "")
        hidden, zero_font, tiny, colour_hidden = self._state()
        hidden = hidden or bool(_STYLE_HIDDEN.search(style)) or "hidden" in a
        size = _FONT_SIZE.search(style)
        if size:
            # A descendant's own size overrides its parent's (layout code often sets
            # font-size:0 on a wrapper and the real size inside).
            value, unit = float(size.group(1)), (size.group(2) or "px").lower()
            zero_font = value < 1
            tiny = not zero_font and value < (6 if unit == "px" else 5)
            if value >= (28 if unit == "px" else 21):
                scan.big_text += 1
        if tag == "body":
            self._body_bg = a.get("bgcolor", "") or (_BG.search(style) or [None, ""])[1]
        color = a.get("color", "") if tag == "font" else ""
        match = _COLOR.search(style)
        if match:
            color = match.group(1)
        if color:
            colour_hidden = _same_color(color, self._body_bg or "#ffffff")
        if tag == "font":
            scan.font_tags += 1
            size_attr = a.get("size", "").strip()
            if size_attr in {"1", "-2", "-3", "-4"}:
                tiny = True
            elif size_attr in {"5", "6", "7", "+3", "+4", "+5"}:
                scan.big_text += 1
        if tag == "a" and "href" in a:
            self._close_anchor()
            self._anchor = Link(href=a["href"].strip())
            self._anchor_text = []
        elif tag in {"area"} and "href" in a:
            scan.links.append(Link(href=a["href"].strip(), tag=tag))
        elif tag == "img":
            scan.images.append(a.get("src", ""))
            if self._anchor is not None and a.get("alt"):
                self._anchor_text.append(a["alt"])
        elif tag == "form":
            scan.forms.append(a.get("action", ""))
        elif tag in {"input", "button", "select", "textarea"}:
            scan.inputs.append((a.get("type") or tag).lower())
        elif tag == "script":
            scan.has_script = True
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            scan.meta_refresh.append(a.get("content", ""))
        elif tag in {"iframe", "frame", "embed", "object"}:
            src = a.get("src") or a.get("data") or ""
            if src:
                scan.links.append(Link(href=src.strip(), tag=tag))
        if tag not in VOID:
            self.stack.append((tag, hidden, zero_font, tiny, colour_hidden))
            depth = len(self.stack)
            if depth > scan.max_depth:
                scan.max_depth = depth
            if depth > MAX_DEPTH:
                scan.too_deep = True
                raise _TooDeep

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <img/>: never opens a scope.
        was = len(self.stack)
        self.handle_starttag(tag, attrs)
        del self.stack[was:]

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_anchor()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def _close_anchor(self) -> None:
        if self._anchor is not None:
            self._anchor.text = " ".join("".join(self._anchor_text).split())
            self.scan.links.append(self._anchor)
            self._anchor = None
            self._anchor_text = []

    def handle_data(self, data: str) -> None:
        if self._skipping():
            return
        if self._anchor is not None:
            self._anchor_text.append(data)
        if self._is_hidden():
            # Hidden text before anything visible is the inbox preview line (preheader),
            # a normal technique; hidden text anywhere else is not.
            if not self._seen_visible and sum(map(len, self._preheader)) < PREHEADER_CHARS:
                self._preheader.append(data)
            else:
                self._hidden.append(data)
        elif self._is_tiny():
            self._tiny.append(data)
            self._text.append(data)
        else:
            if data.strip():
                self._seen_visible = True
            self._text.append(data)

    def finish(self) -> HtmlScan:
        self._close_anchor()
        scan = self.scan
        scan.text = " ".join(" ".join(self._text).split())
        scan.hidden_text = " ".join(" ".join(self._hidden).split())
        scan.tiny_text = " ".join(" ".join(self._tiny).split())
        return scan


class _TooDeep(Exception):
    pass


def scan_html(html: str, deadline: Deadline) -> HtmlScan:
    """Collect links, forms, images and visible/hidden text from ``html``.

    Raises :class:`~mailsoftly.screening.content.budget.DeadlineExceeded` when the budget
    runs out; returns a scan with ``too_deep`` set when nesting passes :data:`MAX_DEPTH`.
    """
    collector = _Collector(deadline)
    try:
        for start in range(0, len(html), FEED_CHUNK):
            collector.feed(html[start : start + FEED_CHUNK])
            deadline.check()
        collector.close()
    except _TooDeep:
        pass
    return collector.finish()
