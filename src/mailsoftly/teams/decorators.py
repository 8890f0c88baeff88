"""View guards: a signed-in user with an active membership whose role grants a permission."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from mailsoftly.teams.permissions import Perm, membership_can


def workspace_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "membership", None) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def permission_required(perm: Perm):
    def decorate(view):
        @workspace_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not membership_can(request.membership, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
