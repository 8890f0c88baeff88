"""Telling machine opens and clicks from human ones.

* Apple Mail Privacy Protection fetches every image through Apple's proxies as soon as
  a message arrives: opens from Apple's network (17.0.0.0/8) or with the proxy's bare
  ``Mozilla/5.0`` user agent are machine opens.
* Security scanners follow links before a person could: a click within
  :data:`PREFETCH_SECONDS` of delivery, or a burst of different links from one delivery
  within :data:`BURST_SECONDS`, is a machine click.
* The hidden honeypot link is followed only by machines.
* User agents that name themselves as tools or crawlers are machines.

Classification uses the address and agent of the request even when the email does not
collect IP addresses; they are used for this decision only and are not stored (P37).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime

PREFETCH_SECONDS = 10
BURST_SECONDS = 2
BURST_LINKS = 3

_APPLE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"), ipaddress.ip_network("2620:149::/32"))
_TOOL_AGENT = re.compile(
    r"bot\b|crawler|spider|python-requests|python-urllib|curl/|wget/|go-http-client|"
    r"headlesschrome|phantomjs|barracuda|proofpoint|mimecast|symantec|forcepoint|"
    r"trendmicro|sophos|urldefense|safelinks|linkscanner|scanner",
    re.IGNORECASE,
)


def _in_apple_network(ip: str | None) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _APPLE_NETWORKS)


def open_reason(*, ip: str | None, user_agent: str) -> str:
    """Why an open is a machine's, or "" for a person's."""
    if _in_apple_network(ip) or user_agent.strip() == "Mozilla/5.0":
        return "apple_mpp"
    if _TOOL_AGENT.search(user_agent or ""):
        return "tool_agent"
    return ""


def click_reason(
    *,
    user_agent: str,
    is_honeypot: bool,
    occurred_at: datetime,
    sent_at: datetime | None,
    recent_other_links: int,
) -> str:
    """Why a click is a machine's, or "" for a person's."""
    if is_honeypot:
        return "honeypot"
    if _TOOL_AGENT.search(user_agent or ""):
        return "tool_agent"
    if sent_at is not None and 0 <= (occurred_at - sent_at).total_seconds() < PREFETCH_SECONDS:
        return "prefetch"
    if recent_other_links + 1 >= BURST_LINKS:
        return "burst"
    return ""
