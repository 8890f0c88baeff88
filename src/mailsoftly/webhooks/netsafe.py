"""Server-side HTTP to user-given URLs without SSRF.

The host is resolved first; every address must be public (not loopback, private,
link-local — which holds the cloud metadata address —, multicast, reserved, unspecified,
shared or otherwise non-global) unless the operator allow-lists its network in
``WEBHOOKS_ALLOWED_NETWORKS``. The connection then goes to the vetted IP itself (the name
is only used for the Host header and TLS SNI/certificate check), so a second DNS answer
cannot rebind it. Redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
EXCERPT = 1000


class UnsafeTarget(ValueError):
    """The URL may not be fetched; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    ip: str


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def _allowed_networks():
    return [
        ipaddress.ip_network(n, strict=False)
        for n in getattr(settings, "WEBHOOKS_ALLOWED_NETWORKS", [])
    ]


def address_allowed(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return True
    if address in METADATA:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(url: str, *, resolver=socket.getaddrinfo) -> Target:
    """Check ``url`` and pick a vetted address to connect to (UnsafeTarget if none)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(_("Only http:// and https:// URLs are allowed."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("The URL may not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise UnsafeTarget(_("The URL has no host."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget(_("The URL has an invalid port.")) from None
    try:
        infos = resolver(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise UnsafeTarget(_("The host name does not resolve.")) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeTarget(_("The host name does not resolve."))
    # Every answer must be safe: picking only the safe one would let a mixed answer through
    # on a retry with another resolver order.
    for address in addresses:
        if not address_allowed(address):
            raise UnsafeTarget(
                _("The URL points to a private or reserved address (%(ip)s).") % {"ip": address}
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._ip = target.ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float = 10.0,
    resolver=socket.getaddrinfo,
) -> Answer:
    """POST ``body`` to the vetted address of ``url``; never follows a redirect.

    Raises UnsafeTarget before any connection for a refused address, OSError for network
    failures.
    """
    target = resolve(url, resolver=resolver)
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = cls(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(EXCERPT)
        return Answer(response.status, data.decode("utf-8", "replace"))
    finally:
        connection.close()
