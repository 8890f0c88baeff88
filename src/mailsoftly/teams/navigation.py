from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

# The workspace's own page (name, region, domains) opens the Settings menu.
nav_item(_("Workspace"), "teams:settings", order=10, admin_only=True, section="settings")
nav_item(
    _("Members"), "teams:members", order=900, match_prefix="/team/members/", section="settings"
)
nav_item(
    _("Invitations"),
    "teams:invitations",
    order=905,
    admin_only=True,
    match_prefix="/team/invitations/",
    section="settings",
)
