"""What a raw message's headers and MIME structure say about where it came from.

Campaigns built by Mailsoftly have headers we write ourselves, so these facts exist only
when a raw message (.eml) is screened: ``mailsoftly screen``, imported mail, the benchmark.
They are the signs mature filters read in the envelope rather than the words: a Date that
disagrees with the delivery time, a Message-ID no mail program writes, a "Re:" that
answers nothing, a freemail From that never passed through that provider's servers,
plain text hidden in base64, MIME the ``email`` package had to repair.

:func:`message_facts` collects them once; :func:`check_message` turns them into reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailsoftly.screening.content.brands import FREEMAIL
from mailsoftly.screening.content.urls import registrable

_ENCODED_WORD = re.compile(r"=\?([^?]+)\?([bq])\?([^?]*)\?=", re.I)
_MSGID = re.compile(r"^\s*<[^<>@\s]+@[^<>@\s]+>\s*$")
_ADDR_IN_NAME = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:", re.I)
# Mailers sold for sending bulk mail name themselves in X-Mailer; ordinary clients don't.
_BULK_MAILER = re.compile(
    r"\b(?:mass|bulk|group|stealth|express|direct)[\s-]*(?:e-?)?mail(?:er|ing)?\b"
    r"|\b(?:e-?mail|mail)[\s-]*(?:blaster|cannon|bomber|sender|broadcaster)\b",
    re.I,
)
_RECEIVED_DATE = re.compile(r";\s*([^;]+?)\s*$", re.S)


@dataclass(frozen=True)
class MessageFacts:
    """Header and MIME facts of one raw message. Every field has a harmless default."""

    has_date: bool = True
    date_ok: bool = True
    date_has_zone: bool = True
    date_skew_hours: float | None = None  # Date minus the newest Received timestamp
    message_id_ok: bool = True
    has_message_id: bool = True
    to_count: int = 1
    to_undisclosed: bool = False
    from_name: str = ""
    from_malformed: bool = False  # no usable address, or an "@" inside the local part
    from_name_address: str = ""  # an address written into the display name
    reply_to: str = ""
    is_reply_subject: bool = False
    has_reply_headers: bool = False
    high_priority: bool = False
    bulk_mailer: str = ""
    subject_encoded_ascii: bool = False  # an RFC 2047 word hiding plain ASCII
    subject_raw_8bit: bool = False  # 8-bit bytes in the Subject without encoding
    mime_version: bool = True
    multipart: bool = False
    defects: int = 0
    base64_text: bool = False  # a text part sent as base64 although it is plain ASCII
    unknown_charset: bool = False
    alternative_mismatch: bool = False  # text and HTML alternatives say different things
    received_hosts: str = ""  # the hosts named in Received headers, lower-case


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        value = None
    if value is None:
        raw = message.get_all(name, failobj=None) if hasattr(message, "get_all") else None
        value = raw[0] if raw else ""
    return str(value or "")


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items() if hasattr(message, "raw_items") else []:
        if key.lower() == name.lower():
            return str(value)
    return ""


def _parse_date(value: str) -> tuple[datetime | None, bool]:
    """(moment, has_zone). A date without a zone is read as UTC; "-0000" is a zone (UTC)."""
    value = " ".join(value.split())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, False
    if moment.tzinfo is not None:
        return moment, True
    has_zone = bool(re.search(r"[-+]0000\b|\b(?:UT|UTC|GMT)\b", value, re.I))
    return moment.replace(tzinfo=UTC), has_zone


def _received_time(received: list[str]) -> datetime | None:
    """The time the newest hop (the first Received header) put on the message."""
    for value in received[:1]:
        match = _RECEIVED_DATE.search(" ".join(value.split()))
        if match:
            return _parse_date(match.group(1))[0]
    return None


def _encoded_ascii(raw_subject: str) -> bool:
    words = _ENCODED_WORD.findall(raw_subject)
    if not words:
        return False
    import base64
    import quopri

    for _charset, kind, payload in words:
        try:
            if kind.lower() == "b":
                decoded = base64.b64decode(payload + "=" * (-len(payload) % 4))
            else:
                decoded = quopri.decodestring(payload.replace("_", " ").encode(), header=True)
        except (ValueError, TypeError):
            return False
        if not decoded.isascii():
            return False
    return True


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _alternative_mismatch(message: Message, html_text: str, plain: str) -> bool:
    """A multipart/alternative whose text part shares few words with its HTML part.

    Both halves should say the same thing; spam tools often put filler in the part the
    filter reads and the pitch in the part the reader sees.
    """
    if not html_text or not plain:
        return False
    alternative = any(part.get_content_type() == "multipart/alternative" for part in message.walk())
    if not alternative:
        return False
    a, b = _words(html_text), _words(plain)
    if len(a) < 15 or len(b) < 15:
        return False
    return len(a & b) / min(len(a), len(b)) < 0.3


def message_facts(
    message: Message, *, parts_seen: list[Message], html_text: str, plain: str
) -> MessageFacts:
    """Collect :class:`MessageFacts` from a parsed ``message`` (never raises on bad headers)."""
    date_raw = _header(message, "date")
    has_date = bool(date_raw.strip())
    date_ok, date_zone, skew = has_date, True, None
    if has_date:
        sent, date_zone = _parse_date(_raw_header(message, "date") or date_raw)
        date_ok = sent is not None
        received_at = _received_time(message.get_all("received", []) or [])
        if sent is not None and received_at is not None:
            skew = (sent - received_at).total_seconds() / 3600
    message_id = _raw_header(message, "message-id")
    to_raw = _raw_header(message, "to")
    cc_raw = _raw_header(message, "cc")
    try:
        recipients = [a for _, a in getaddresses([to_raw, cc_raw]) if "@" in a]
    except (ValueError, TypeError, IndexError):
        recipients = []
    from_raw = _raw_header(message, "from")
    try:
        name, address = parseaddr(" ".join(from_raw.split()))
    except (ValueError, TypeError, IndexError):
        name, address = "", ""
    in_name = _ADDR_IN_NAME.search(name or "")
    reply_to = parseaddr(" ".join(_raw_header(message, "reply-to").split()))[1]
    subject_raw = _raw_header(message, "subject")
    mailer = _header(message, "x-mailer") or _header(message, "user-agent")
    priority = _header(message, "x-priority").strip()
    ms_priority = _header(message, "x-msmail-priority").strip().lower()
    defects = len(getattr(message, "defects", []) or [])
    base64_text = unknown_charset = False
    for part in parts_seen:
        defects += len(getattr(part, "defects", []) or [])
        if part.is_multipart() or not part.get_content_type().startswith("text/"):
            continue
        if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes) and raw and raw.isascii():
                base64_text = True
        charset = part.get_content_charset()
        if charset:
            try:
                "".encode(charset)
            except LookupError:
                unknown_charset = True
    received = [str(v) for v in (message.get_all("received", []) or [])]
    hosts = " ".join(" ".join(r.split()).lower() for r in received)[:20_000]
    return MessageFacts(
        has_date=has_date,
        date_ok=date_ok,
        date_has_zone=date_zone,
        date_skew_hours=skew,
        has_message_id=bool(message_id.strip()),
        message_id_ok=bool(_MSGID.match(" ".join(message_id.split()))) if message_id else False,
        to_count=len(recipients),
        to_undisclosed=bool(re.search(r"undisclosed|recipient list suppressed", to_raw, re.I))
        or (not to_raw.strip() and not cc_raw.strip()),
        from_name=name or "",
        from_malformed=address.count("@") != 1 or '"' in address,
        from_name_address=in_name.group(0).lower()
        if in_name and in_name.group(0).lower() != (address or "").lower()
        else "",
        reply_to=reply_to.lower(),
        is_reply_subject=bool(_REPLY.match(subject_raw or "")),
        has_reply_headers=bool(
            _raw_header(message, "in-reply-to").strip()
            or _raw_header(message, "references").strip()
        ),
        high_priority=priority.startswith("1") or ms_priority == "high",
        bulk_mailer=mailer[:80] if _BULK_MAILER.search(mailer) else "",
        subject_encoded_ascii=_encoded_ascii(subject_raw),
        subject_raw_8bit=not subject_raw.isascii() and not _ENCODED_WORD.search(subject_raw),
        mime_version=bool(_raw_header(message, "mime-version").strip()),
        multipart=message.is_multipart(),
        defects=defects,
        base64_text=base64_text,
        unknown_charset=unknown_charset,
        alternative_mismatch=_alternative_mismatch(message, html_text, plain),
        received_hosts=hosts,
    )


def forged_freemail(facts: MessageFacts, from_domain: str) -> bool:
    """A From at a big freemail provider on a message that never passed its servers."""
    reg = registrable(from_domain)
    if not reg or reg not in FREEMAIL or not facts.received_hosts:
        return False
    provider = reg.split(".")[0]
    return provider not in facts.received_hosts
