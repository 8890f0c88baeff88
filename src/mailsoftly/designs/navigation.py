from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Designs"), "designs:list", order=30, match_prefix="/designs/")
