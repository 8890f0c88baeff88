"""The crawler behind tests/web/test_no_server_errors.py: bad input never gets a 500.

It walks the resolver the same way the isolation test does (tests/isolation), fills each
pattern's arguments with real ids of the signed-in user's own workspace (through the
isolation registry's builders) and with garbage the converter lets through, then sends a
GET and a set of hostile bodies to every URL. Anything answering 500, or raising out of the
view, is a failure; so is a refused request (4xx) or a form re-render that changed the
row counts of the key tables.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from django.urls import Resolver404, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter

from tests.isolation.test_isolation import _walk

LONG = "x" * 100_000

# Values the converters let through that no object has: unknown ids, wrong types, NUL,
# a huge integer (overflows a 64-bit column), very long strings.
GARBAGE_INT = ("999999999", "0", "99999999999999999999999")
GARBAGE_STR = ("abc", "%00", "a%0D%0Ab", "%E2%80%AE%D0%B0", "y" * 3000)
GARBAGE_UUID = ("00000000-0000-0000-0000-000000000000",)
GARBAGE_SLUG = ("abc", "z" * 3000)
GARBAGE_TOKEN = ("abc", "A" * 80, "..", "-")  # tracking's <trk:…> converter

# Field names most forms and API bodies use; sent alongside the fields found on the page.
COMMON_FIELDS = (
    "name",
    "email",
    "first_name",
    "last_name",
    "subject",
    "title",
    "url",
    "domain",
    "role",
    "action",
    "source",
    "html",
    "text",
    "from_email",
    "reply_to",
    "list_ids",
    "lists",
    "segment",
    "contact_list",
    "design",
    "scheduled_at",
    "page",
    "q",
    "next",
    "workspace",
    "region",
    "plan",
    "token",
    "password",
    "confirm",
    "reason",
    "events",
    "scopes",
    "rules",
    "host",
    "port",
)

# One value per kind of hostility; every field of the form gets it.
HOSTILE_VALUES: dict[str, object] = {
    "long": LONG,
    "crlf": "Eve\r\nBcc: victim@example.org\r\n",
    "nul": "nul\x00byte",
    "lookalike": "\uff41dmin\uff20\u0435xample.\u0441om\u202e",  # fullwidth, Cyrillic, RLO
    "negative": "-1",
    "huge": "99999999999999999999999999",
    "not_a_number": "abc",
    "many": ["1", "two", ""],
}

# JSON bodies for the API: malformed, wrong shapes, wrong types.
MALFORMED_JSON = ("{", "[]", "null", '"text"', "1e999", '{"a": 1', "\x00", "{}" * 10)
HOSTILE_JSON_VALUES: dict[str, object] = {
    "long": LONG,
    "nul": "nul\x00byte",
    "crlf": "Eve\r\nBcc: victim@example.org",
    "lookalike": "\uff41dmin\uff20\u0435xample.\u0441om",
    "negative": -1,
    "huge": 10**30,
    "float": 1e308,
    "list": [None, {}, "x"],
    "object": {"$gt": ""},
    "null": None,
    "bool": True,
}

# Obviously invalid whatever the form: a Django form rejects NUL in any CharField, and the
# value is no valid choice or number either. After these, a refusal or a re-render must
# not have written anything.
OBVIOUSLY_INVALID = ("-nul",)


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name", or "namespace:<unnamed pattern>"
    pattern: str
    converters: dict  # argument -> converter (None for regex groups)

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")


@dataclass
class Failure:
    method: str
    url: str
    body: str
    status: int
    last_frame: str = ""

    def __str__(self) -> str:
        frame = f" at {self.last_frame}" if self.last_frame else ""
        return f"{self.method} {self.url[:160]} [{self.body}] -> {self.status}{frame}"


@dataclass
class Findings:
    failures: list[Failure] = field(default_factory=list)
    half_writes: list[str] = field(default_factory=list)
    requests: int = 0


def patterns(urlconf=None) -> list[Pattern]:
    """Every URL pattern of the resolver, deduplicated by (name, pattern)."""
    seen: dict[tuple[str, str], Pattern] = {}
    for pattern, namespace, name, args in _walk(get_resolver(urlconf).url_patterns):
        full = f"{namespace}{name}" if name else f"{namespace}<unnamed {pattern}>"
        seen.setdefault((full, pattern), Pattern(full, pattern, args))
    return list(seen.values())


def _garbage_for(converter) -> tuple[str, ...]:
    if isinstance(converter, IntConverter):
        return GARBAGE_INT
    if isinstance(converter, UUIDConverter):
        return GARBAGE_UUID
    if isinstance(converter, SlugConverter):
        return GARBAGE_SLUG
    if isinstance(converter, PathConverter) or converter is None:
        return GARBAGE_STR
    regex = getattr(converter, "regex", "")
    if regex == "[^/]+":  # str
        return GARBAGE_STR
    return GARBAGE_TOKEN


def _fill(pattern: str, values: dict[str, str]) -> str:
    """Put raw (already URL-quoted) values into a route or regex pattern string."""
    import re

    url = pattern
    for arg, value in values.items():
        url = re.sub(rf"\(\?P<{arg}>[^)]*\)", lambda _m, v=value: v, url)
        url = re.sub(rf"<(?:[\w]+:)?{arg}>", lambda _m, v=value: v, url)
    url = url.replace("^", "").replace("$", "")
    return "/" + url


def urls_for(pat: Pattern, real_kwargs: dict | None) -> list[tuple[str, str]]:
    """(label, path) pairs: the real ids first (when known), then garbage per argument."""
    found: list[tuple[str, str]] = []
    if not pat.converters:
        return [("plain", _fill(pat.pattern, {}))]
    if real_kwargs:
        real = {k: quote(str(v), safe="") for k, v in real_kwargs.items()}
        found.append(("real", _fill(pat.pattern, real)))
    base = {
        arg: quote(str(real_kwargs[arg]), safe="")
        if real_kwargs and arg in real_kwargs
        else _garbage_for(conv)[0]
        for arg, conv in pat.converters.items()
    }
    for arg, conv in pat.converters.items():
        for garbage in _garbage_for(conv):
            label = f"{arg}={garbage[:12]}"
            found.append((label, _fill(pat.pattern, {**base, arg: garbage})))
    # keep only paths that really resolve to this pattern (a regex pattern may not match)
    kept = []
    for label, path in found:
        try:
            match = resolve(path.split("?")[0])
        except Resolver404:
            continue  # a regex group that refuses this garbage: nothing to send
        if match.route == pat.pattern.lstrip("^") or _same_name(match, pat):
            kept.append((label, path))
    return kept


def _same_name(match, pat: Pattern) -> bool:
    return bool(match.url_name) and match.view_name == pat.name


class _FormFields(HTMLParser):
    """Field names (and hidden values) of the POST forms on a page that post to ``path``."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.path).path or self.path
            if (attrs.get("method") or "get").lower() == "post" and action == self.path:
                self._current = {}
                self.forms.append(self._current)
            else:
                self._current = None
        elif self._current is not None and tag in ("input", "select", "textarea", "button"):
            name = attrs.get("name")
            if not name or name == "csrfmiddlewaretoken":
                return
            kind = (attrs.get("type") or "").lower()
            keep = kind in ("hidden", "submit") or tag == "button"
            self._current.setdefault(name, (attrs.get("value") or "") if keep else "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def form_fields(html: str, path: str) -> list[dict[str, str]]:
    parser = _FormFields(path)
    try:
        parser.feed(html)
    except (ValueError, AssertionError):  # a page we cannot parse has no forms for us
        return []
    return parser.forms[:3]


def hostile_form_bodies(forms: list[dict[str, str]], extra: dict | None):
    """(label, data) pairs: empty, blank fields, then every hostile value in every field."""
    names = {*COMMON_FIELDS, *(extra or {})}
    templates = forms or [{}]
    yield "empty", {}
    for number, form in enumerate(templates):
        visible = [n for n, v in form.items() if v == ""] + sorted(names - set(form))
        fixed = {n: v for n, v in form.items() if v != ""}
        yield f"form{number}-blank", {**fixed, **dict.fromkeys(visible, "")}
        yield f"form{number}-missing", fixed
        for label, value in HOSTILE_VALUES.items():
            yield f"form{number}-{label}", {**fixed, **dict.fromkeys(visible, value)}


def hostile_json_bodies(extra: dict | None, *, malformed: bool = True):
    """(label, raw body) pairs for JSON endpoints (the parser is shared: malformed JSON
    needs trying through one method only)."""
    names = {*COMMON_FIELDS, *(extra or {})}
    for number, raw in enumerate(MALFORMED_JSON if malformed else ()):
        yield f"malformed{number}", raw
    yield "empty-object", "{}"
    for label, value in HOSTILE_JSON_VALUES.items():
        yield f"json-{label}", json.dumps(dict.fromkeys(names, value))


def page_text(response) -> str:
    """The HTML of a page, or "" for anything else (files, streams, errors)."""
    if response.status_code != 200 or response.streaming:
        return ""
    if "html" not in response.get("Content-Type", ""):
        return ""
    return response.content.decode(errors="replace")


def last_frame(exc_info) -> str:
    if not exc_info:
        return ""
    frames = traceback.extract_tb(exc_info[2])
    if not frames:
        return repr(exc_info[1])
    frame = frames[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}: {exc_info[1]!r}"[:400]


def check(findings: Findings, method: str, url: str, body_label: str, response) -> None:
    findings.requests += 1
    if response.status_code >= 500:
        findings.failures.append(
            Failure(
                method,
                url,
                body_label,
                response.status_code,
                last_frame(getattr(response, "exc_info", None)),
            )
        )
