from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Campaigns"), "campaigns:list", order=40)
