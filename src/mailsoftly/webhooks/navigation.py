from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(
    _("Webhooks"),
    "webhooks:endpoint_list",
    order=91,
    admin_only=True,
    match_prefix="/settings/webhooks/",
    section="settings",
)
