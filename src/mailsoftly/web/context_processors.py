from django.urls import NoReverseMatch, reverse

from mailsoftly.web import registry


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    items = []
    for item in registry.nav_items():
        if item.admin_only and not (membership and membership.is_admin):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path.startswith(item.match_prefix or url) and url != "/"
        items.append({"label": item.label, "url": url, "active": active})
    return {"nav_items": items}
