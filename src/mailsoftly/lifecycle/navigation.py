from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(
    _("Trash"), "lifecycle:trash", order=950, match_prefix="/lifecycle/trash/", section="settings"
)
nav_item(
    _("Exports"),
    "lifecycle:exports",
    order=940,
    match_prefix="/lifecycle/exports/",
    section="settings",
)
