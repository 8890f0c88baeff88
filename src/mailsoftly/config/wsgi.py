"""WSGI entry point, served by granian (``mailsoftly web`` or ``mailsoftly serve``).

The open pixel and click redirects are answered by a fast path in front of Django's
middleware stack (see mailsoftly.tracking.fastpath); everything else goes to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
django_application = get_wsgi_application()

from mailsoftly.tracking.fastpath import TrackingFastPath  # noqa: E402  (needs Django set up)

application = TrackingFastPath(django_application)
