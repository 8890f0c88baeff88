"""The ceiling for benchmarks/tracking.py: a bare WSGI app returning the same GIF."""

import base64

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
HEADERS = [
    ("Content-Type", "image/gif"),
    ("Cache-Control", "no-cache, no-store"),
    ("Content-Length", str(len(GIF))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [GIF]
