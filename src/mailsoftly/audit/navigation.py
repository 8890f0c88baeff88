from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Audit log"), "audit:log", order=920, admin_only=True, section="settings")
