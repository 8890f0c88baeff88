"""The DNS boundary for domain verification (policy P22).

The resolver is pluggable like Django's backends: ``TEAMS_DNS_RESOLVER`` names a class
with dnspython's ``resolve(name, "TXT")`` interface. Tests put a stub there; production
uses dnspython's system resolver.
"""

from __future__ import annotations

import dns.exception
import dns.resolver
from django.conf import settings
from django.utils.module_loading import import_string

LIFETIME_SECONDS = 5.0


def get_resolver():
    path = getattr(settings, "TEAMS_DNS_RESOLVER", "")
    if path:
        return import_string(path)()
    resolver = dns.resolver.Resolver()
    resolver.lifetime = LIFETIME_SECONDS
    return resolver


class LookupFailed(Exception):
    """DNS could not answer (timeout, no servers): try again later."""


def txt_values(name: str, *, resolver=None) -> list[str]:
    """The TXT strings at ``name`` (multi-string records joined); [] if none exist."""
    resolver = resolver or get_resolver()
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        raise LookupFailed(str(exc)) from exc
    values = []
    for record in answer:
        parts = getattr(record, "strings", ())
        values.append(
            b"".join(p if isinstance(p, bytes) else p.encode() for p in parts).decode(
                "utf-8", "replace"
            )
        )
    return values
