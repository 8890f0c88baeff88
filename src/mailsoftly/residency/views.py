"""The workspace's data region: where it is, moving it, and the move's progress."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mailsoftly.core.regions import Region
from mailsoftly.residency import selectors, services
from mailsoftly.residency.forms import RegionMoveForm
from mailsoftly.teams.decorators import permission_required, workspace_required
from mailsoftly.teams.permissions import Perm, membership_can


def _context(request, form=None):
    workspace = request.workspace
    active = selectors.region_move_active(workspace_id=workspace.pk)
    can_move = membership_can(request.membership, Perm.MANAGE_SETTINGS)
    return {
        "region_label": dict(Region.choices).get(workspace.region, workspace.region.upper()),
        "active": active,
        "moves": selectors.region_move_list(workspace=workspace),
        "form": form
        if form is not None
        else (RegionMoveForm(current=workspace.region) if can_move and len(Region) > 1 else None),
        "can_move": can_move,
    }


@workspace_required
def region_page(request):
    return render(request, "residency/region.html", _context(request))


@permission_required(Perm.MANAGE_SETTINGS)
def region_move_start(request):
    if request.method != "POST":
        return redirect("residency:region")
    form = RegionMoveForm(request.POST, current=request.workspace.region)
    if form.is_valid():
        try:
            services.region_move_request(
                workspace=request.workspace,
                target=form.cleaned_data["target"],
                actor=request.user,
                request=request,
            )
        except services.RegionMoveRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The move has started. You can follow it here."))
            return redirect("residency:region")
    return render(request, "residency/region.html", _context(request, form), status=400)


@workspace_required
def region_progress(request):
    """The progress panel, polled by htmx while a move runs."""
    return render(request, "residency/_progress.html", _context(request))
