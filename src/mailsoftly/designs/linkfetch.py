"""Optional live link checking, safe against server-side request forgery.

Off unless the setting ``DESIGNS_LINK_CHECK_FETCH`` is true. Each http(s) link is resolved
once; if any address is private, loopback, link-local, multicast or otherwise not public
the link is not fetched. The connection goes to the vetted address itself (so a second DNS
answer cannot redirect it inside), sends one HEAD request, follows no redirects, reads no
body, and gives up after a few seconds.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT = 5.0
MAX_LINKS = 30


def fetching_enabled() -> bool:
    return bool(getattr(settings, "DESIGNS_LINK_CHECK_FETCH", False))


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def _resolve(host: str, port: int) -> str:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise PermissionError(host)
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, address, port, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, address, port, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def link_fetch(url: str) -> str:
    """A short verdict for one link: "200", "redirects to …", or why it was not checked."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("not checked")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = _resolve(parts.hostname, port)
    except PermissionError:
        return _("not checked: the address is not on the public internet")
    except (OSError, UnicodeError):
        return _("the host name does not resolve")
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, address, port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("HEAD", path, headers={"User-Agent": "Mailsoftly link checker"})
        response = connection.getresponse()
    except (OSError, http.client.HTTPException, ssl.SSLError):
        return _("no answer")
    finally:
        connection.close()
    if 300 <= response.status < 400:
        return _("redirects to %(where)s") % {"where": response.getheader("Location", "?")[:200]}
    return str(response.status)


def links_fetch(urls: list[str]) -> dict[str, str]:
    """Verdicts for up to :data:`MAX_LINKS` distinct links (empty when fetching is off)."""
    if not fetching_enabled():
        return {}
    return {url: link_fetch(url) for url in list(dict.fromkeys(urls))[:MAX_LINKS]}
