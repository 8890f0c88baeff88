"""Compact signed tokens for tracking URLs.

A token names the region, the delivery and (for clicks) the link, plus a truncated
HMAC-SHA256 under the project's secret key. It carries no personal data and cannot be
forged or altered: any change fails the signature and the endpoint answers 404.

    open:  <region>_<delivery36>.<sig>
           <region>_<delivery36>.i.<sig>   (the email collects IP addresses)
    click: <region>_<delivery36>.<link36>.<sig>

The ``i`` of an open token tells the pixel, which reads no database, that the email's
creator switched on "collect IP addresses" when it was sent: only then does the hit keep
the address and agent (P37). Open tokens issued before the mark existed read as not
collecting.

``<region>`` is the configured region's two-letter name, so any region the operator adds
works. Tokens issued before regions became configurable carry a one-letter code instead
(``u`` for us, ``e`` for eu, no ``_``) and still verify: they are in mail already sent.
A token naming a region this installation does not (or no longer) configure reads as None.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

# One-letter region codes of the first token format; read only, never issued any more.
LEGACY_CODES = {"u": "us", "e": "eu"}
_REGION_SEP = "_"
_SIG_BYTES = 12
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Target:
    region: str
    delivery_id: int
    link_id: int | None = None
    collect_ip: bool = False


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


@functools.lru_cache(maxsize=16)
def _key(kind: str, secret: str) -> bytes:
    # Django's salted_hmac(f"mailsoftly.tracking.{kind}", ..., algorithm="sha256") key,
    # derived once instead of on every hit.
    return hashlib.sha256(f"mailsoftly.tracking.{kind}{secret}".encode()).digest()


def _sig(kind: str, body: str) -> str:
    from django.conf import settings

    mac = hmac.digest(_key(kind, settings.SECRET_KEY), body.encode(), "sha256")
    return base64.urlsafe_b64encode(mac[:_SIG_BYTES]).decode().rstrip("=")


def _region_part(region: str) -> str:
    if not (len(region) == 2 and region.isascii() and region.isalpha() and region.islower()):
        raise ValueError(f"{region!r} is not a region name (two lowercase letters)")
    return f"{region}{_REGION_SEP}"


_COLLECTS_IP = "i"


def open_token(*, region: str, delivery_id: int, collect_ip: bool = False) -> str:
    body = f"{_region_part(str(region))}{_b36(delivery_id)}"
    if collect_ip:
        body = f"{body}.{_COLLECTS_IP}"
    return f"{body}.{_sig('open', body)}"


def click_token(*, region: str, delivery_id: int, link_id: int) -> str:
    body = f"{_region_part(str(region))}{_b36(delivery_id)}.{_b36(link_id)}"
    return f"{body}.{_sig('click', body)}"


def _split_region(body: str) -> tuple[str | None, str]:
    """(region, rest) of a signed body, in the current or the legacy format."""
    if body[2:3] == _REGION_SEP:
        region = body[:2]
        ok = region.isascii() and region.isalpha() and region.islower()
        return (region if ok else None), body[3:]
    return LEGACY_CODES.get(body[:1]), body[1:]


def _id(raw: str) -> int | None:
    if not raw or len(raw) > 13 or not raw.isalnum() or not raw.isascii():
        return None
    value = int(raw, 36)
    return value if 0 < value <= _MAX_ID else None


def read(token: str, *, kind: str, regions: Iterable[str] | None = None) -> Target | None:
    """The target a token names, or None for anything malformed, truncated or forged,
    or naming a region outside ``regions`` (default: the configured regions)."""
    if not isinstance(token, str) or len(token) > 80:
        return None
    body, _, signature = token.rpartition(".")
    if not body or not token.isascii():
        return None
    if not hmac.compare_digest(signature.encode(), _sig(kind, body).encode()):
        return None
    region, rest = _split_region(body)
    parts = rest.split(".")
    collect_ip = kind == "open" and len(parts) == 2 and parts[1] == _COLLECTS_IP
    if collect_ip:
        parts.pop()
    if region is None or len(parts) != (2 if kind == "click" else 1):
        return None
    if regions is None:
        from mailsoftly.core.regions import region_names

        regions = region_names()
    if region not in regions:
        return None
    delivery_id = _id(parts[0])
    link_id = _id(parts[1]) if kind == "click" else None
    if delivery_id is None or (kind == "click" and link_id is None):
        return None
    return Target(region, delivery_id, link_id, collect_ip)
