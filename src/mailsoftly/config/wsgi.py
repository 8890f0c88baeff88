"""WSGI entry point, served by granian (``mailsoftly web`` or ``mailsoftly serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
application = get_wsgi_application()
