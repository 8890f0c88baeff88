"""Reading back the DNS records a sending domain should publish (DKIM, SPF, DMARC)."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.resolver


@dataclass(frozen=True)
class DnsRecord:
    kind: str
    name: str
    value: str
    found: bool | None = None  # None: not checked yet
    detail: str = ""


def txt_lookup(name: str) -> list[str]:
    """TXT strings at ``name`` (each record's chunks joined); [] when there are none."""
    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=4)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.DNSException:
        return []
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def _tags(value: str) -> dict[str, str]:
    tags = {}
    for part in value.split(";"):
        key, _, tag_value = part.strip().partition("=")
        if key:
            tags[key.strip().lower()] = "".join(tag_value.split())
    return tags


def records_for(key, *, check: bool = False) -> list[DnsRecord]:
    """The records to publish for a DKIM key's domain; with ``check``, whether they are there."""
    domain = key.domain
    wanted = [
        DnsRecord("DKIM", key.dns_name, key.dns_value),
        DnsRecord("SPF", domain, "v=spf1 a mx ~all"),
        DnsRecord("DMARC", f"_dmarc.{domain}", f"v=DMARC1; p=none; rua=mailto:dmarc@{domain}"),
    ]
    if not check:
        return wanted
    checked = []
    for record in wanted:
        values = txt_lookup(record.name)
        if record.kind == "DKIM":
            found = any(_tags(v).get("p") == key.public_key for v in values)
        elif record.kind == "SPF":
            found = any(v.lower().startswith("v=spf1") for v in values)
        else:
            found = any(v.upper().startswith("V=DMARC1") for v in values)
        checked.append(
            DnsRecord(record.kind, record.name, record.value, found, " | ".join(values)[:300])
        )
    return checked
