from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(
    _("Plan & billing"),
    "billing:plan",
    order=900,
    admin_only=True,
    match_prefix="/billing/",
    section="settings",
)
