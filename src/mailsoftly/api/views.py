"""The API keys page: admins create (token shown once) and revoke keys."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mailsoftly.api import selectors, services
from mailsoftly.api.forms import ApiKeyForm
from mailsoftly.api.problems import problem_response
from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm


@permission_required(Perm.MANAGE_SETTINGS)
def key_list(request):
    token = None
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _key, token = services.api_key_create(
                workspace=request.workspace,
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form = ApiKeyForm()
    keys = selectors.api_key_list(workspace=request.workspace)
    return render(request, "api/keys.html", {"form": form, "keys": keys, "token": token})


@require_POST
@permission_required(Perm.MANAGE_SETTINGS)
def key_revoke(request, pk):
    key = selectors.access_api_key(workspace=request.workspace, id=pk)
    services.api_key_revoke(api_key=key)
    messages.success(request, _("The key was revoked."))
    return redirect("api:keys")


@csrf_exempt  # key-authenticated like the API itself; it only ever answers 404
def api_not_found(request):
    """404 as problem+json for paths under /api/v1/ that match no operation."""
    return problem_response(404, _("Not found."))
