from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Members"), "teams:members", order=900, match_prefix="/team/members/")
nav_item(
    _("Invitations"),
    "teams:invitations",
    order=905,
    admin_only=True,
    match_prefix="/team/invitations/",
)
nav_item(_("Settings"), "teams:settings", order=910, admin_only=True)
