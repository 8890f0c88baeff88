"""Merge tags: a deliberately tiny, sandboxed subset of Jinja2.

Users write ``{{ contact.first_name | default("there") }}``, ``{{ unsubscribe_url }}`` and
``{% if contact.company %}…{% endif %}``. Nothing else: no loops, no macros, no calls, no
operators, no attribute chains. :func:`merge_tags_check` walks every tag's syntax tree
against that allow-list *on save*, so errors reach the user with a line and column, and a
template that reaches the renderer cannot loop, recurse, or reach Python internals. The
renderer still runs in Jinja2's immutable sandbox with an allow-list of filters, as a
second wall, and caps the size of what it produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _
from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Names a template may use. ``contact`` only as ``contact.<field>``.
URL_TAGS = ("unsubscribe_url", "preferences_url", "web_version_url")
ALLOWED_NAMES = frozenset({"contact", *URL_TAGS})
ALLOWED_STATEMENTS = frozenset({"if", "elif", "else", "endif"})
MAX_LITERAL = 1000
MAX_OUTPUT_CHARS = 2_000_000
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
_OPENERS = re.compile(r"\{[{%#]")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


class MergeTagError(ValueError):
    """A template problem, with a 1-based line and column when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column is None:
            return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return _("Line %(line)s, column %(column)s: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class RenderError(RuntimeError):
    """Rendering refused at send or preview time (output too large, sandbox violation)."""


@dataclass(frozen=True)
class Tag:
    text: str  # the tag exactly as written, e.g. '{{ contact.first_name }}'
    start: int  # offset in the source
    line: int
    column: int

    @property
    def kind(self) -> str:
        return self.text[:2]


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def merge_tags_scan(source: str) -> list[Tag]:
    """Every ``{{ }}``, ``{% %}`` and ``{# #}`` tag, in order. Unclosed tags raise."""
    tags: list[Tag] = []
    offset = 0
    while True:
        match = _OPENERS.search(source, offset)
        if match is None:
            return tags
        opener = match.group()
        end = source.find(_CLOSERS[opener], match.end())
        line, column = _position(source, match.start())
        nested = _OPENERS.search(source, match.end(), end if end != -1 else len(source))
        if end == -1 or (nested is not None and opener != "{#"):
            raise MergeTagError(
                _("the tag %(opener)s is not closed with %(closer)s")
                % {"opener": opener, "closer": _CLOSERS[opener]},
                line=line,
                column=column,
            )
        end += 2
        tags.append(Tag(source[match.start() : end], match.start(), line, column))
        offset = end


def _inner(tag: Tag) -> str:
    return tag.text[2:-2].strip("-+ \t\r\n")


def _check_expression(node: nodes.Node, tag: Tag, *, in_condition: bool) -> None:
    def fail(message: str) -> None:
        raise MergeTagError(message, line=tag.line, column=tag.column)

    if isinstance(node, nodes.Const):
        if not isinstance(node.value, str | int | bool | type(None)) or isinstance(
            node.value, float
        ):
            fail(_("only text and whole numbers may be used as values"))
        if isinstance(node.value, str) and len(node.value) > MAX_LITERAL:
            fail(_("text values are limited to %(n)s characters") % {"n": MAX_LITERAL})
        if (
            isinstance(node.value, int)
            and not isinstance(node.value, bool)
            and abs(node.value) > 100_000
        ):
            fail(_("numbers are limited to 100000"))
        return
    if isinstance(node, nodes.Name):
        if node.name not in ALLOWED_NAMES:
            fail(_("unknown merge tag “%(name)s”") % {"name": node.name})
        if node.name == "contact":
            fail(_("write contact.<field>, for example contact.first_name"))
        return
    if isinstance(node, nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name not in ALLOWED_NAMES:
            fail(_("unknown merge tag “%(name)s”") % {"name": node.node.name})
        if not (isinstance(node.node, nodes.Name) and node.node.name == "contact"):
            fail(_("only contact fields have parts: write contact.<field>"))
        if not _IDENTIFIER.match(node.attr):
            fail(_("“%(field)s” is not a valid contact field name") % {"field": node.attr})
        return
    if isinstance(node, nodes.Filter):
        if node.name not in FILTERS:
            fail(_("unknown filter “%(name)s”") % {"name": node.name})
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            fail(_("filters take plain values only"))
        for arg in node.args:
            if not isinstance(arg, nodes.Const):
                fail(_("filters take plain values only"))
            _check_expression(arg, tag, in_condition=in_condition)
        if node.node is None:
            fail(_("a filter needs a value"))
        _check_expression(node.node, tag, in_condition=in_condition)
        return
    if in_condition and isinstance(node, nodes.And | nodes.Or):
        _check_expression(node.left, tag, in_condition=True)
        _check_expression(node.right, tag, in_condition=True)
        return
    if in_condition and isinstance(node, nodes.Not):
        _check_expression(node.node, tag, in_condition=True)
        return
    fail(_("this expression is not allowed in a merge tag"))


def _check_tag(tag: Tag) -> None:
    env = html_environment()
    if tag.kind == "{#":
        return
    try:
        if tag.kind == "{{":
            tree = env.parse(tag.text)
            [output] = tree.body
            [expression] = output.nodes
            _check_expression(expression, tag, in_condition=False)
            return
        inner = _inner(tag)
        keyword = inner.split(None, 1)[0] if inner else ""
        if keyword not in ALLOWED_STATEMENTS:
            raise MergeTagError(
                _("“%(keyword)s” is not allowed; only if / elif / else / endif")
                % {"keyword": keyword or "{% %}"},
                line=tag.line,
                column=tag.column,
            )
        if keyword in ("if", "elif"):
            tree = env.parse("{% if " + inner[len(keyword) :] + " %}{% endif %}")
            _check_expression(tree.body[0].test, tag, in_condition=True)
        elif inner != keyword:
            raise MergeTagError(
                _("“%(keyword)s” takes nothing after it") % {"keyword": keyword},
                line=tag.line,
                column=tag.column,
            )
    except TemplateSyntaxError as exc:
        raise MergeTagError(
            exc.message or _("syntax error"), line=tag.line, column=tag.column
        ) from exc
    except ValueError as exc:  # unpacking: more than one output node
        if isinstance(exc, MergeTagError):
            raise
        raise MergeTagError(_("one merge tag per {{ }}"), line=tag.line, column=tag.column) from exc


def merge_tags_check(source: str) -> list[Tag]:
    """Validate ``source``; return its tags, or raise :class:`MergeTagError` with a position."""
    tags = merge_tags_scan(source)
    for tag in tags:
        _check_tag(tag)
    open_ifs: list[Tag] = []
    for tag in tags:
        if tag.kind != "{%":
            continue
        keyword = _inner(tag).split(None, 1)[0]
        if keyword == "if":
            open_ifs.append(tag)
        elif not open_ifs:
            raise MergeTagError(
                _("“%(keyword)s” has no {%% if %%} before it") % {"keyword": keyword},
                line=tag.line,
                column=tag.column,
            )
        elif keyword == "endif":
            open_ifs.pop()
    if open_ifs:
        raise MergeTagError(
            _("this {% if %} is never closed with {% endif %}"),
            line=open_ifs[-1].line,
            column=open_ifs[-1].column,
        )
    if open_ifs or any(tag.kind == "{%" for tag in tags):
        try:
            html_environment().parse(source)
        except TemplateSyntaxError as exc:
            raise MergeTagError(exc.message or _("syntax error"), line=exc.lineno) from exc
    return tags


# --- Rendering environment -------------------------------------------------------------


class _Blank(Undefined):
    """Unknown contact fields render as nothing (``default`` then supplies a fallback)."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""


def _default(value, fallback: str = "", boolean: bool = True):
    # Unlike Jinja's, an empty field also takes the fallback: "Hi {{ … | default('there') }}".
    if isinstance(value, Undefined) or value is None or (boolean and value == ""):
        return fallback
    return value


def _truncate(value, length: int = 255) -> str:
    text = str(value)
    length = max(1, min(int(length), MAX_LITERAL))
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


_SAFE_URL = re.compile(r"(https?://|mailto:|tel:)[^\s\"'<>]*\Z", re.IGNORECASE)


def _safe_url(value) -> str:
    """A contact value used as a link target: web, mailto: or tel: only, else nothing."""
    if isinstance(value, Undefined) or value is None:
        return ""
    text = str(value).strip()
    return text if _SAFE_URL.match(text) else ""


FILTERS = {
    "default": _default,
    "d": _default,
    "upper": JINJA_FILTERS["upper"],
    "lower": JINJA_FILTERS["lower"],
    "title": JINJA_FILTERS["title"],
    "capitalize": JINJA_FILTERS["capitalize"],
    "trim": JINJA_FILTERS["trim"],
    "truncate": _truncate,
    "urlencode": JINJA_FILTERS["urlencode"],
    "safe_url": _safe_url,
}


def _finalize(value):
    return "" if value is None else value


class ContactFields:
    """Contact fields as attributes, without exposing a dict's methods (``items`` …)."""

    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data

    def field(self, name: str):
        if name.startswith("_"):
            return None
        value = self._data.get(name)
        if value is None or isinstance(value, str | int | float | bool):
            return value
        return str(value)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.field(name)


class _MergeTagEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a direct path for ``contact.<field>`` (the hot path when sending).

    A contact field read is a dictionary lookup that returns plain values, so it skips the
    sandbox's generic attribute checks; everything else still goes through them.
    """

    def getattr(self, obj, attribute):
        if type(obj) is ContactFields:
            return obj.field(attribute)
        return super().getattr(obj, attribute)


def _environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = _MergeTagEnvironment(
        autoescape=autoescape, undefined=_Blank, finalize=_finalize, auto_reload=False
    )
    env.filters = dict(FILTERS)
    env.tests = {}
    env.globals = {}
    return env


@lru_cache(maxsize=1)
def html_environment() -> ImmutableSandboxedEnvironment:
    return _environment(autoescape=True)


@lru_cache(maxsize=1)
def text_environment() -> ImmutableSandboxedEnvironment:
    return _environment(autoescape=False)
