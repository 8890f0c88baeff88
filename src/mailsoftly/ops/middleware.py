"""Records every signed-in request into the usage log, and continued use as acceptance."""

from __future__ import annotations

from mailsoftly.audit.services import _client_ip
from mailsoftly.core import clock
from mailsoftly.ops import usage

_SKIP_PREFIXES = ("/static/", "/metrics", "/healthz", "/readyz")


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
                "path": request.path[:500],
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
