def policy_banner(request):
    """Material policy changes the signed-in user has not yet acknowledged (P32)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from mailsoftly.ops.selectors import policy_pending_for_request

    return {"ops_policy_notices": policy_pending_for_request(request)}
