"""A stand-in for dnspython's resolver, injected through settings.TEAMS_DNS_RESOLVER."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.resolver


@dataclass
class _Txt:
    strings: tuple[bytes, ...]


class StubResolver:
    """Answers TXT queries from ``RECORDS``; names absent there do not exist."""

    RECORDS: dict[str, list[tuple[str, ...]]] = {}
    TIMEOUT: set[str] = set()
    queries: list[tuple[str, str]] = []

    def resolve(self, name: str, rdtype: str):
        StubResolver.queries.append((name, rdtype))
        if name in self.TIMEOUT:
            raise dns.exception.Timeout
        if name not in self.RECORDS:
            raise dns.resolver.NXDOMAIN
        return [_Txt(tuple(part.encode() for part in record)) for record in self.RECORDS[name]]
