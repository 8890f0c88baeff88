"""Compact signed tokens for tracking URLs.

A token names the region, the delivery and (for clicks) the link, plus a truncated
HMAC-SHA256 under the project's secret key. It carries no personal data and cannot be
forged or altered: any change fails the signature and the endpoint answers 404.

    open:  <region><delivery36>.<sig>
    click: <region><delivery36>.<link36>.<sig>
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

REGION_CODES = {"us": "u", "eu": "e"}
CODE_REGIONS = {code: region for region, code in REGION_CODES.items()}
_SIG_BYTES = 12
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Target:
    region: str
    delivery_id: int
    link_id: int | None = None


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _sig(kind: str, body: str) -> str:
    mac = salted_hmac(f"mailsoftly.tracking.{kind}", body, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac[:_SIG_BYTES]).decode().rstrip("=")


def open_token(*, region: str, delivery_id: int) -> str:
    body = f"{REGION_CODES[region]}{_b36(delivery_id)}"
    return f"{body}.{_sig('open', body)}"


def click_token(*, region: str, delivery_id: int, link_id: int) -> str:
    body = f"{REGION_CODES[region]}{_b36(delivery_id)}.{_b36(link_id)}"
    return f"{body}.{_sig('click', body)}"


def _id(raw: str) -> int | None:
    if not raw or len(raw) > 13 or not raw.isalnum() or not raw.isascii():
        return None
    value = int(raw, 36)
    return value if 0 < value <= _MAX_ID else None


def read(token: str, *, kind: str) -> Target | None:
    """The target a token names, or None for anything malformed, truncated or forged."""
    if not isinstance(token, str) or len(token) > 80:
        return None
    body, _, signature = token.rpartition(".")
    if not body or not token.isascii():
        return None
    if not hmac.compare_digest(signature.encode(), _sig(kind, body).encode()):
        return None
    region = CODE_REGIONS.get(body[:1])
    parts = body[1:].split(".")
    if region is None or len(parts) != (2 if kind == "click" else 1):
        return None
    delivery_id = _id(parts[0])
    link_id = _id(parts[1]) if kind == "click" else None
    if delivery_id is None or (kind == "click" and link_id is None):
        return None
    return Target(region, delivery_id, link_id)
