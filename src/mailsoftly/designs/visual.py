"""The GrapesJS visual editor: the page that edits a design of the "visual" format.

GrapesJS (with its newsletter preset, built into ``static/vendor`` by ``make setup``, and
our own spacer, social-links and unsubscribe-footer blocks) builds table-based email
HTML. On save the page posts the editor's HTML, CSS and project data; they are stored as
a visual source (:mod:`.visualdoc`) through :func:`services.design_update`, so the
compiler inlines the CSS, sanitises the HTML and writes the text part, and a version is
kept, as for any other save.

A design of another format is converted only after the user confirms it: the editor
opens on the current email, and only saving changes the format. The previous content
stays in the version history, where it can be restored.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.designs import selectors, services
from mailsoftly.designs.compiler import CompileError
from mailsoftly.designs.models import Design, SourceKind
from mailsoftly.designs.sanitise import clean_css, clean_fragment
from mailsoftly.designs.visualdoc import (
    VisualSourceError,
    project_clean,
    visual_parse,
    visual_source,
)
from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm

MAX_HTML = 1_000_000  # characters; a newsletter is a few tens of kilobytes
MAX_PROJECT = 1_500_000  # the editor's project data is a few times the HTML
MAX_ASSETS = 200  # the newest images of the media library offered in the image picker
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
_PREHEADER = re.compile(r'^\s*<div style="display:none;[^"]*"[^>]*aria-hidden="true">.*?</div>')


def _converted_html(design: Design) -> str:
    """The canvas for a design of another format: its HTML, or its compiled email (the
    preheader left out, since the pipeline adds it again). A layout becomes part of the
    content: visual designs bring their own frame."""
    if design.source_kind == SourceKind.HTML and design.layout_id is None:
        return clean_fragment(design.source)
    match = _BODY.search(design.compiled_html or "")
    body = match.group(1) if match else design.compiled_html or ""
    return clean_fragment(_PREHEADER.sub("", body, count=1))


def _initial(design: Design) -> dict:
    """What the canvas opens on. GrapesJS's canvas iframe is same-origin, so a colleague's
    content must not bring scripts or event handlers into it: everything is cleaned."""
    if design.source_kind != SourceKind.VISUAL:
        return {"project": None, "html": _converted_html(design), "css": ""}
    try:
        doc = visual_parse(design.source)
    except VisualSourceError:
        return {"project": None, "html": clean_fragment(design.compiled_html or ""), "css": ""}
    project = project_clean(doc.project)
    if project and project["pages"]:
        return {"project": project, "html": "", "css": ""}
    return {
        "project": None,
        "html": clean_fragment(doc.html, keep_ids=True),
        "css": clean_css(doc.css),
    }


def _posted(request: HttpRequest) -> tuple[dict, str]:
    """``(values, error)`` from a save: the editor's html, css and project data."""
    html = request.POST.get("html", "")
    css = request.POST.get("css", "")
    raw_project = request.POST.get("project", "")
    if len(html) > MAX_HTML or len(css) > MAX_HTML or len(raw_project) > MAX_PROJECT:
        return {}, _("The email is too large to save (at most 1 MB of HTML).")
    project = None
    if raw_project.strip():
        try:
            project = json.loads(raw_project)
        except (ValueError, RecursionError):
            return {}, _("The editor sent damaged project data; nothing was saved. Try again.")
    values = {"html": html, "css": css, "project": project}
    if not html.strip():
        return values, _("The email is empty: add at least one block before saving.")
    return values, ""


@permission_required(Perm.CREATE_CONTENT)
def design_visual(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    converting = design.source_kind != SourceKind.VISUAL
    confirmed = (
        request.POST.get("convert") if request.method == "POST" else request.GET.get("convert")
    )
    if converting and confirmed != design.source_kind:
        # Opening the editor on another format changes the format on save: ask first.
        return render(
            request,
            "designs/design_visual_convert.html",
            {"design": design, "kind_label": design.get_source_kind_display()},
            status=409 if request.method == "POST" else 200,
        )
    error = ""
    initial = _initial(design)
    if request.method == "POST":
        values, error = _posted(request)
        if values:  # on a refused save the editor reopens on what the user had made
            initial = {
                "project": project_clean(values["project"]),
                "html": clean_fragment(values["html"], keep_ids=True),
                "css": clean_css(values["css"]),
            }
        if not error:
            source = visual_source(
                html=clean_fragment(values["html"], keep_ids=True),
                css=values["css"],
                project=values["project"],
            )
            old_kind = design.get_source_kind_display()
            try:
                services.design_update(
                    design=selectors.access_design(workspace=request.workspace, id=pk),
                    user=request.user,
                    source_kind=SourceKind.VISUAL,
                    source=source,
                    # The layout was converted with the content (see _converted_html).
                    layout=None,
                )
            except (CompileError, LimitExceeded) as exc:
                error = exc.message
            else:
                if converting:
                    messages.success(
                        request,
                        _(
                            "Converted to a visual design and saved. The %(kind)s version is "
                            "kept in the version history."
                        )
                        % {"kind": old_kind},
                    )
                else:
                    messages.success(request, _("Design saved from the visual editor."))
                return redirect("designs:visual", pk=design.pk)
    # The image picker offers the media library (validated uploads at public addresses);
    # GrapesJS's own upload would embed data: URLs, which the sanitiser drops from mail.
    assets = [
        selectors.media_public_url(media)
        for media in selectors.media_list(workspace=request.workspace)[:MAX_ASSETS]
    ]
    return render(
        request,
        "designs/design_visual.html",
        {
            "design": design,
            "assets": assets,
            "initial": initial,
            "error": error,
            "converting": converting,
            "kind_label": design.get_source_kind_display(),
        },
        status=400 if error else 200,
    )
