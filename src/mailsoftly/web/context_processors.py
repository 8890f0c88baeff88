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
        items.append({"label": item.label, "url": url, "active": active, "section": item.section})
    settings_items = [i for i in items if i["section"] == "settings"]
    return {
        "nav_items": items,
        "nav_main": [i for i in items if not i["section"]],
        "nav_settings": settings_items,
        "nav_settings_active": any(i["active"] for i in settings_items),
    }
