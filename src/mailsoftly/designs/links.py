"""The link checker: every link and image in a design, with what is wrong with it.

It reads the document *before* sanitising, because the sanitiser silently drops unsafe
links and the author should hear about them. It never fetches anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from mailsoftly.designs.compiler import CompileError, source_document

_MERGE_TAG = re.compile(r"^\{\{.*\}\}$", re.DOTALL)
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


@dataclass(frozen=True)
class Link:
    kind: str  # "link" or "image"
    url: str
    text: str
    problem: str = ""
    warning: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list] = []
        self._open: list[int] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self.found.append(["link", attributes["href"] or "", ""])
            self._open.append(len(self.found) - 1)
        elif tag == "img":
            self.found.append(["image", attributes.get("src") or "", attributes.get("alt") or ""])

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            self._open.pop()

    def handle_data(self, data):
        for index in self._open:
            self.found[index][2] += data


def _problem(url: str) -> tuple[str, str]:
    """(problem, warning) for one URL; empty strings when fine."""
    url = url.strip()
    if not url:
        return _("empty link"), ""
    if _MERGE_TAG.match(url):
        return "", ""
    if re.search(r"\s", url):
        return _("contains spaces"), ""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("javascript", "vbscript", "data", "file"):
        return _("unsafe %(scheme)s: link — it is removed from the email") % {"scheme": scheme}, ""
    if scheme in ("mailto", "tel"):
        return ("", "") if len(url) > len(scheme) + 1 else (_("nothing after %s:") % scheme, "")
    if scheme not in ("http", "https"):
        if url.startswith("#"):
            return "", _("jumps within the email; many inboxes ignore it")
        return _("not a full web address (it must start with https://)"), ""
    host = urlsplit(url).netloc.rsplit("@", 1)[-1]
    if not host or not _HOST.match(host) or "." not in host.split(":")[0]:
        return _("the web address has no valid host name"), ""
    if scheme == "http":
        return "", _("not encrypted (http://)")
    return "", ""


def design_links(*, source_kind: str, source: str) -> list[Link]:
    """Every link and image of a design's body, in order, each with its verdict."""
    try:
        document = source_document(source_kind=source_kind, source=source)
    except CompileError:
        return []
    collector = _Collector()
    collector.feed(document)
    collector.close()
    links = []
    for kind, url, text in collector.found:
        if kind == "link" and url.startswith(("{{ unsubscribe_url", "{{ preferences_url")):
            continue
        problem, warning = _problem(url)
        links.append(Link(kind, url, " ".join(text.split())[:120], problem, warning))
    return links
