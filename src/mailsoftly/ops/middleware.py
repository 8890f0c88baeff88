"""Records every signed-in request into the usage log, and continued use as acceptance."""

from __future__ import annotations

import re

from mailsoftly.audit.services import _client_ip
from mailsoftly.core import clock
from mailsoftly.core.regions import directory_region
from mailsoftly.ops import usage

_SKIP_PREFIXES = ("/static/", "/metrics", "/healthz", "/readyz")
# Path segments that are object ids or tokens: numbers, UUIDs, long tokens with a digit.
_IDS = re.compile(
    r"(?<=/)(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|(?=[A-Za-z_-]*\d)[A-Za-z0-9_.:-]{16,})(?=/|$)"
)


def _logged_path(request, workspace) -> str:
    """The path as the usage log (a directory table) may keep it.

    For a workspace of another region than the directory's, the ids in the path are that
    region's rows (policy P40): each id or token segment becomes ``:id``.
    """
    path = request.path[:500]
    region = getattr(workspace, "region", None)
    if region is None or region == directory_region():
        return path
    return _IDS.sub(":id", path)


class UsageLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_SKIP_PREFIXES):
            return response
        workspace = getattr(request, "workspace", None)
        ip = _client_ip(request)
        usage.usage_append(
            {
                "at": clock.now().isoformat(),
                "user_id": user.pk,
                "workspace_id": getattr(workspace, "pk", None),
                "path": _logged_path(request, workspace),
                "ip": ip,
                "ua": (request.META.get("HTTP_USER_AGENT") or "")[:512],
                "session": usage.session_fingerprint(
                    getattr(getattr(request, "session", None), "session_key", None)
                ),
            }
        )
        _continued_use(request, user, ip)
        return response


def _continued_use(request, user, ip) -> None:
    """After the notice period, a signed-in request counts as accepting the change (P32).

    Uses the same cached look-up as the banner, so an ordinary page adds no query.
    """
    from mailsoftly.ops.selectors import policy_pending_for_request
    from mailsoftly.ops.services import policy_accept

    now = clock.now()
    for pv in policy_pending_for_request(request):
        if pv.effective_at <= now:
            policy_accept(user=user, version=pv, ip_address=ip, source="continued_use")
