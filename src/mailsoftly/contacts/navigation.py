from django.utils.translation import gettext_lazy as _

from mailsoftly.web.registry import nav_item

nav_item(_("Contacts"), "contacts:contact_list", order=20, match_prefix="/contacts/")
