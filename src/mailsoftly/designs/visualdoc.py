"""The source of a visual (GrapesJS) design: the editor's project data plus its output.

A visual design's ``source`` is one JSON object::

    {"html": "<table>…</table>", "css": "…", "project": {…GrapesJS project data…}}

``html`` and ``css`` are what the editor exports (``editor.getHtml()`` / ``getCss()``);
the compiler treats them as an HTML email (css-inline, nh3, text alternative) like any
other format. ``project`` is only for re-opening the editor, and is never sent.

The project data is loaded into GrapesJS's canvas, an iframe on *our* origin, so it is
cleaned here before it goes there (and before it is stored by the editor page): only the
tags, attributes and URL schemes of the email allow-list survive, and component scripts,
frame ``head`` items and anything else that could run code are dropped.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from mailsoftly.designs import sanitise

MAX_DEPTH = 60  # GrapesJS trees of real newsletters are 10-20 levels deep
_BODY = re.compile(r"<body\b([^>]*)>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)


class VisualSourceError(ValueError):
    """The stored text is not a visual design's JSON."""


@dataclass(frozen=True)
class VisualDoc:
    html: str
    css: str = ""
    project: dict | None = None

    def dumps(self) -> str:
        return json.dumps(
            {"html": self.html, "css": self.css, "project": self.project},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def document(self) -> str:
        """The editor's output as one HTML document (its CSS in the head, for inlining).

        GrapesJS exports its wrapper as ``<body id=…>``, which the user can style (a
        background colour): it becomes a full-width table with the same attributes, since
        only the body's content is kept in the email.
        """
        style = f"<style>{self.css.replace('<', '')}</style>" if self.css.strip() else ""
        body = self.html
        match = _BODY.search(body)
        if match:
            body = (
                '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
                f'border="0"{match.group(1)}><tr><td>{match.group(2)}</td></tr></table>'
            )
        return f"<html><head>{style}</head><body>{body}</body></html>"


def visual_parse(source: str) -> VisualDoc:
    """Read a visual design's source, or raise :class:`VisualSourceError` saying why."""
    try:
        data = json.loads(source or "")
    except RecursionError:
        raise VisualSourceError(_("The visual design's JSON is nested too deeply.")) from None
    except ValueError as exc:
        raise VisualSourceError(
            _(
                "A visual design is saved by the visual editor (a JSON document, line "
                "%(line)s, column %(column)s: %(error)s). Open the visual editor to change it."
            )
            % {"line": getattr(exc, "lineno", 1), "column": getattr(exc, "colno", 1), "error": exc}
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("html"), str):
        raise VisualSourceError(
            _('A visual design is a JSON object with an "html" text (the editor\'s output).')
        )
    css = data.get("css") or ""
    project = data.get("project")
    if not isinstance(css, str):
        raise VisualSourceError(_('The "css" of a visual design must be text.'))
    if project is not None and not isinstance(project, dict):
        raise VisualSourceError(_('The "project" of a visual design must be a JSON object.'))
    return VisualDoc(html=data["html"], css=css, project=project)


def merge_tags_unescape(markup: str) -> str:
    """GrapesJS escapes quotes in text (``&#039;``), which would break
    ``default('there')`` inside a merge tag: tags get their characters back."""
    return re.sub(
        r"\{\{.*?\}\}|\{%.*?%\}",
        lambda m: html_lib.unescape(m.group(0)),
        markup,
        flags=re.DOTALL,
    )


# --- Cleaning project data for the same-origin canvas ----------------------------------

# GrapesJS component types the newsletter editor produces from email HTML.
_TYPES = {
    None,
    "",
    "default",
    "wrapper",
    "text",
    "textnode",
    "link",
    "image",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "row",
    "cell",
    "label",
}
_TAGS = set(sanitise.TAGS) | {"body"}
# The tag a component of a type has when its data names none (for its attribute list).
_TYPE_TAG = {"link": "a", "image": "img", "cell": "td", "row": "tr", "table": "table"}
# Properties that make GrapesJS run code in the canvas, or inject raw markup.
_DROPPED_PROPS = {"script", "script-export", "script-props", "head", "void"}
_URL_PROPS = {"src", "href", "background"}
_UNSAFE_URL = re.compile(r"^(?:javascript|vbscript|data|file|blob):", re.IGNORECASE)
_CSS_UNSAFE = re.compile(
    r"expression\s*\(|javascript\s*:|behavior\s*:|-moz-binding|@import|<", re.IGNORECASE
)


def _url_safe(value: Any, *, image: bool = False) -> bool:
    if not isinstance(value, str):
        return False
    squeezed = re.sub(r"[\x00-\x20]", "", value)
    if image and squeezed.lower().startswith("data:image/") and "svg" not in squeezed.lower():
        return True
    return not _UNSAFE_URL.match(squeezed)


def _attributes_clean(tag: str, attributes: Any) -> dict:
    if not isinstance(attributes, dict):
        return {}
    allowed = sanitise.ATTRIBUTES["*"] | sanitise.ATTRIBUTES.get(tag, set()) | {"id"}
    cleaned = {}
    for name, value in attributes.items():
        if not isinstance(name, str) or name.lower() not in allowed:
            continue
        if not isinstance(value, (str, int, float, bool)):
            continue
        if name.lower() in _URL_PROPS and not _url_safe(value, image=tag == "img"):
            continue
        if name.lower() == "style" and isinstance(value, str) and _CSS_UNSAFE.search(value):
            continue
        cleaned[name] = value
    return cleaned


def _style_clean(style: Any) -> dict:
    if not isinstance(style, dict):
        return {}
    return {
        k: v
        for k, v in style.items()
        if isinstance(k, str) and isinstance(v, str) and not _CSS_UNSAFE.search(k + v)
    }


def _shallow(value: Any, levels: int = 4) -> bool:
    """Other component properties (classes, traits, flags) are small: deep ones are junk."""
    if isinstance(value, dict):
        return levels > 0 and all(_shallow(v, levels - 1) for v in value.values())
    if isinstance(value, list):
        return levels > 0 and all(_shallow(v, levels - 1) for v in value)
    return True


def _component_clean(component: Any, depth: int) -> dict | str | None:
    if isinstance(component, str):  # HTML given as a string: the email allow-list
        return sanitise.clean_fragment(component)
    if not isinstance(component, dict) or depth > MAX_DEPTH:
        return None
    kind = component.get("type")
    tag = str(component.get("tagName") or "").lower()
    if not isinstance(kind, str | None) or kind not in _TYPES or (tag and tag not in _TAGS):
        return None
    cleaned: dict[str, Any] = {}
    for key, value in component.items():
        if key in _DROPPED_PROPS:
            continue
        if key == "attributes":
            value = _attributes_clean(tag or _TYPE_TAG.get(kind, ""), value)
        elif key in _URL_PROPS:
            if not _url_safe(value, image=kind == "image"):
                continue
        elif key == "content":
            if not isinstance(value, str):
                continue
            # A text node's content is set as text; any other component's as markup.
            value = value if kind == "textnode" else sanitise.clean_fragment(value)
        elif key == "components":
            value = _components_clean(value, depth + 1)
        elif key == "style":
            if isinstance(value, str):
                value = "" if _CSS_UNSAFE.search(value) else value
            else:
                value = _style_clean(value)
        elif not _shallow(value):
            continue
        cleaned[key] = value
    return cleaned


def _components_clean(components: Any, depth: int) -> list | str:
    if isinstance(components, str):
        return sanitise.clean_fragment(components)
    if not isinstance(components, list):
        return []
    cleaned = (_component_clean(c, depth) for c in components)
    return [c for c in cleaned if c is not None]


def _rule_clean(rule: Any) -> dict | None:
    if not isinstance(rule, dict):
        return None
    cleaned = {}
    for key, value in rule.items():
        if key == "style":
            value = _style_clean(value)
        elif not _shallow(value) or _CSS_UNSAFE.search(json.dumps(value)):
            return None  # selectors, media text, states: anything odd drops the rule
        cleaned[key] = value
    return cleaned


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def project_clean(project: Any) -> dict | None:
    """Project data reduced to what the newsletter editor needs, with nothing that runs.

    Kept: ``pages`` (each frame's component tree), ``styles`` (CSS rules) and ``assets``
    (image URLs). Everything else GrapesJS might read (symbols, data sources, frame head
    items) is dropped.
    """
    if not isinstance(project, dict):
        return None
    pages = []
    for page in _list(project.get("pages")):
        if not isinstance(page, dict):
            continue
        frames = []
        for frame in _list(page.get("frames")):
            if not isinstance(frame, dict):
                continue
            component = _component_clean(frame.get("component"), 0)
            if isinstance(component, dict):
                frames.append({"component": component})
        entry: dict[str, Any] = {"frames": frames}
        if isinstance(page.get("id"), str):
            entry["id"] = page["id"]
        pages.append(entry)
    styles = [r for r in map(_rule_clean, _list(project.get("styles"))) if r is not None]
    assets = [
        {"type": "image", "src": a["src"]}
        for a in _list(project.get("assets"))
        if isinstance(a, dict) and _url_safe(a.get("src"), image=True)
    ]
    return {"assets": assets, "styles": styles, "pages": pages}


def visual_source(*, html: str, css: str = "", project: Any = None) -> str:
    """The stored form of an editor save: the output as posted, the project cleaned."""
    return VisualDoc(html=html, css=css, project=project_clean(project)).dumps()
