from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Data region"), "residency:region", order=15, section="settings")
