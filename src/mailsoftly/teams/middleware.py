"""Attaches the signed-in user's current workspace and membership to each request."""

from mailsoftly.teams import selectors

SESSION_KEY = "workspace_id"


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = selectors.membership_get(
                user=user, workspace_id=request.session.get(SESSION_KEY)
            )
            if membership is None:
                fallback = selectors.membership_list(user=user).first()
                membership = fallback
                if fallback is not None:
                    request.session[SESSION_KEY] = fallback.workspace_id
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
        return self.get_response(request)
