from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Sending"), "sending:settings", order=85, admin_only=True, section="settings")
