"""The GrapesJS visual editor: a page that edits a design's body as email HTML.

GrapesJS (with its newsletter preset, built into ``static/vendor`` by ``make setup``) exports
table-based HTML with the CSS inlined. The page posts that export back; it is sanitised here
with the same allow-list as the pipeline and saved as an ``html`` source through
:func:`services.design_update`, so versions, compiling, the text part and the unsubscribe
footer all work as for any other save.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.designs import selectors, services
from mailsoftly.designs.compiler import CompileError
from mailsoftly.designs.models import SourceKind
from mailsoftly.designs.sanitise import clean_fragment
from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm

MAX_HTML = 1_000_000  # characters; a newsletter is a few tens of kilobytes


def _initial_html(design) -> str:
    """What the canvas opens on, sanitised: GrapesJS's canvas iframe is same-origin, so a
    colleague's raw HTML source must not bring scripts or event handlers into it."""
    if design.source_kind == SourceKind.HTML:
        return clean_fragment(design.source)
    return clean_fragment(design.compiled_html or "")


@permission_required(Perm.CREATE_CONTENT)
def design_visual(request: HttpRequest, pk: int) -> HttpResponse:
    design = selectors.access_design(workspace=request.workspace, id=pk)
    error = ""
    html = _initial_html(design)
    if request.method == "POST":
        posted = request.POST.get("html", "")
        if not posted.strip():
            error = _("The email is empty: add at least one block before saving.")
        elif len(posted) > MAX_HTML:
            error = _("The email is too large to save (at most 1 MB of HTML).")
        else:
            html = clean_fragment(posted)
            try:
                services.design_update(
                    design=selectors.access_design(workspace=request.workspace, id=pk),
                    user=request.user,
                    source_kind=SourceKind.HTML,
                    source=html,
                )
            except (CompileError, LimitExceeded) as exc:
                error = exc.message
            else:
                messages.success(request, _("Design saved from the visual editor."))
                return redirect("designs:visual", pk=design.pk)
    return render(
        request,
        "designs/design_visual.html",
        {"design": design, "initial_html": html, "error": error},
        status=400 if error else 200,
    )
