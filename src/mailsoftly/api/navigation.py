from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(
    _("API keys"),
    "api:keys",
    order=90,
    admin_only=True,
    match_prefix="/settings/api-keys/",
    section="settings",
)
