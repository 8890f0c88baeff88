"""A WSGI fast path for the open pixel and click redirects.

These two URLs are most of a sending platform's traffic and need nothing that Django's
middleware stack provides (sessions, auth, CSRF, locale). The wrapper answers them
directly through :mod:`mailsoftly.tracking.hits` and hands every other request to Django.
Django's own views for the same URLs stay in place for the development server and tests.
"""

from __future__ import annotations

import contextlib
import logging
import re
from urllib.parse import quote

from django.core import signals

from mailsoftly.tracking import hits

logger = logging.getLogger(__name__)
_OPEN = re.compile(r"^/o/([A-Za-z0-9._\-]{1,80})\.gif$")
_CLICK = re.compile(r"^/c/([A-Za-z0-9._\-]{1,80})$")
_NOT_FOUND = (
    b"<!doctype html><title>Link not found</title><h1>This link does not work</h1>"
    b"<p>The link is incomplete or has been changed.</p>"
)
_PIXEL_HEADERS = [*hits.PIXEL_HEADERS, ("Content-Length", str(len(hits.GIF)))]


class TrackingFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path[:3] in ("/o/", "/c/"):
            opened = _OPEN.match(path)
            clicked = None if opened else _CLICK.match(path)
            if opened or clicked:
                return self._track(environ, start_response, opened, clicked)
        return self.app(environ, start_response)

    def _track(self, environ, start_response, opened, clicked):
        ip = environ.get("REMOTE_ADDR") or None
        agent = environ.get("HTTP_USER_AGENT", "")
        if opened:
            try:
                hits.open_hit(opened.group(1), ip=ip, user_agent=agent, db_scope=_db_scope)
            except Exception:
                logger.exception("open not recorded")
            start_response("200 OK", _PIXEL_HEADERS)
            return [hits.GIF]
        destination = hits.click_hit(clicked.group(1), ip=ip, user_agent=agent, db_scope=_db_scope)
        if destination is None:
            start_response(
                "404 Not Found",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(_NOT_FOUND))),
                ],
            )
            return [_NOT_FOUND]
        location = quote(destination, safe=":/?#[]@!$&'()*+,;=%~")
        start_response(
            "302 Found",
            [
                ("Location", location),
                ("Content-Length", "0"),
                ("Cache-Control", "no-store"),
                ("Referrer-Policy", "no-referrer"),
            ],
        )
        return [b""]


@contextlib.contextmanager
def _db_scope():
    """Django's request signals around a database access: they recycle connections (age,
    errors), as they do for a request through Django. Most hits touch no database."""
    signals.request_started.send(sender=TrackingFastPath)
    try:
        yield
    finally:
        signals.request_finished.send(sender=TrackingFastPath)
