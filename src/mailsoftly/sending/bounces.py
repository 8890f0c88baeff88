"""Reading bounces and complaints: one raw RFC 5322 message in, one :class:`Bounce` out.

Order of evidence, best first:

1. RFC 5965 ARF (``multipart/report; report-type=feedback-report`` or a
   ``message/feedback-report`` part): a complaint.
2. RFC 3464 DSN (a ``message/delivery-status`` part): per-recipient ``Action``,
   ``Status``, ``Final-Recipient`` and ``Diagnostic-Code``.
3. Non-standard MTA bounces (qmail, Exim, old Sendmail, providers' own formats): the
   message looks like a bounce (sender, subject, wording) and the body is scanned for the
   failed address, an enhanced status code (``5.1.1``) or an SMTP reply code (``550``).
4. RFC 3834 auto-replies (``Auto-Submitted``, vacation subjects) are reported as such.

The parser never raises: anything it cannot read is ``unknown``.
"""

from __future__ import annotations

import contextlib
import email
import json
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

HARD, SOFT, COMPLAINT, AUTO_REPLY, UNKNOWN = "hard", "soft", "complaint", "auto_reply", "unknown"
KINDS = (HARD, SOFT, COMPLAINT, AUTO_REPLY, UNKNOWN)

_ADDRESS = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}"
)
_ADDRESS_RE = re.compile(_ADDRESS)
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_RE = re.compile(r"(?<![\d.#])([45][0-5]\d)(?:[ -]|$)", re.MULTILINE)
# A region is any two-letter name; _find_delivery keeps only the configured ones.
_DELIVERY_HEADER_RE = re.compile(
    r"X-Mailsoftly-Delivery:\s*([a-z]{2})\.(\d{1,18})(?!\d)", re.IGNORECASE
)
_MESSAGE_ID_RE = re.compile(r"<([a-z]{2})\.(\d{1,18})\.(\d{1,18})@[^>\s]+>", re.IGNORECASE)
_SOFT_WORDS = re.compile(
    r"mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:the )?(?:storage|quota)"
    r"|insufficient (?:system )?storage|temporar(?:y|ily)|try (?:again )?later|deferred"
    r"|delayed|will (?:be )?retr|greylist|too many (?:connections|messages)|rate limit",
    re.IGNORECASE,
)
_PERMANENT = re.compile(r"\bpermanent(?:ly)?\b|\bfatal error", re.IGNORECASE)
_BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery|mail administrator", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status|fail|has failed|problem|notification)"
    r"|failure notice|returned mail|mail delivery|could not be delivered|not delivered"
    r"|delivery report|nondeliver|non-deliver|rejected|mail system error|unzustellbar"
    r"|warning: could not send|message delivery|bounce|failed",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"out of (?:the )?office|auto(?:matic)?[ -]?(?:reply|response)|^auto:|vacation|away from",
    re.IGNORECASE,
)
_IGNORED_LOCAL = re.compile(r"^(?:mailer-daemon|postmaster|root|noreply|no-reply)$", re.I)


@dataclass
class Bounce:
    """What one inbound message says about one of our messages."""

    kind: str = UNKNOWN
    recipients: list[str] = field(default_factory=list)
    status: str = ""  # enhanced status code, e.g. "5.1.1"
    smtp_code: int | None = None
    diagnostic: str = ""
    region: str | None = None
    delivery_id: int | None = None
    message_id: str = ""  # the bounce's own Message-ID (idempotency key)

    @property
    def recipient(self) -> str:
        return self.recipients[0] if self.recipients else ""

    @property
    def is_bounce(self) -> bool:
        return self.kind in (HARD, SOFT, COMPLAINT)

    def as_json(self) -> dict:
        return {
            "is_bounce": self.is_bounce,
            "kind": self.kind if self.is_bounce else None,
            "class": self.kind,
            "recipients": self.recipients,
            "status": self.status or None,
            "smtp_code": self.smtp_code,
            "diagnostic": self.diagnostic,
            "delivery": f"{self.region}.{self.delivery_id}" if self.delivery_id else None,
        }


def parse(raw: bytes) -> Bounce:
    """Classify ``raw``; never raises."""
    try:
        return _parse(raw)
    except Exception:  # malformed input must never crash the pipeline
        result = Bounce()
        with contextlib.suppress(Exception):
            _find_delivery(result, _text(raw))
        return result


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except Exception:  # a broken header reads as empty
        return ""


def _parse(raw: bytes) -> Bounce:
    msg = email.message_from_bytes(raw, policy=policy.default)
    result = Bounce(message_id=_header(msg, "Message-ID").strip()[:250])
    raw_text = _text(raw)
    parts = list(msg.walk())
    content_types = [part.get_content_type() for part in parts]
    report_type = (msg.get_param("report-type", header="content-type") or "") if msg else ""
    report_type = str(report_type).lower()

    if report_type == "feedback-report" or "message/feedback-report" in content_types:
        _read_arf(result, parts)
    elif "message/delivery-status" in content_types or "message/global-delivery-status" in (
        content_types
    ):
        _read_dsn(result, parts)
    if result.kind == UNKNOWN and msg.get_content_type() == "text/plain":
        _read_ses_json(result, _part_text(msg))
    if result.kind == UNKNOWN:
        if _looks_like_bounce(msg, content_types):
            _read_plain(result, msg, parts)
        elif _is_auto_reply(msg):
            result.kind = AUTO_REPLY
    if result.kind in (HARD, SOFT) and not result.recipients:
        result.recipients = _original_to(parts)
    _find_delivery(result, raw_text)
    result.diagnostic = " ".join(result.diagnostic.split())[:500]
    return result


# ---------------------------------------------------------------- ARF (RFC 5965)


def _read_arf(result: Bounce, parts: list[Message]) -> None:
    result.kind = COMPLAINT
    for part in parts:
        if part.get_content_type() == "message/feedback-report":
            fields = _fields(part)
            for name in ("original-rcpt-to", "removal-recipient"):
                if fields.get(name):
                    result.recipients = _addresses(fields[name])[:1]
                    break
            result.diagnostic = fields.get("feedback-type", "abuse")
    if not result.recipients:
        result.recipients = _original_to(parts)


def _fields(part: Message) -> dict[str, str]:
    """Header-style fields of a report part, lower-cased names (first occurrence wins)."""
    text = _part_text(part)
    out: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            name = key.strip().lower()
            out.setdefault(name, value.strip())
        else:
            name = None
    return out


def _part_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        # message/* parts: the email package parsed the body into sub-messages.
        return "\n\n".join(item.as_string() for item in payload if isinstance(item, Message))
    if isinstance(payload, Message):
        return payload.as_string()
    try:
        body = part.get_payload(decode=True)
    except Exception:
        body = None
    if isinstance(body, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            return body.decode("utf-8", errors="replace")
    return str(payload or "")


# ---------------------------------------------------------------- DSN (RFC 3464)


def _read_dsn(result: Bounce, parts: list[Message]) -> None:
    for part in parts:
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for group in _dsn_groups(part):
            recipient = _addresses(
                # Original-Recipient is the address as we gave it; prefer it to Final-Recipient.
                group.get("original-recipient", "") or group.get("final-recipient", "")
            )
            if not recipient:
                continue
            action = group.get("action", "").lower()
            status = _STATUS_RE.search(group.get("status", ""))
            if action in ("delivered", "relayed", "expanded"):
                continue
            result.recipients.append(recipient[0])
            if not result.status and status:
                result.status = status.group(0)
            diagnostic = group.get("diagnostic-code", "")
            if diagnostic and not result.diagnostic:
                result.diagnostic = diagnostic.partition(";")[2].strip() or diagnostic
            if action == "delayed" and result.kind == UNKNOWN:
                result.kind = SOFT
        break
    _classify(result, result.diagnostic)
    if not result.recipients:
        result.kind = UNKNOWN


def _dsn_groups(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        groups = []
        for item in payload:
            if isinstance(item, Message):
                groups.append({k.lower(): _header(item, k) for k in item})
        if len(groups) > 1:
            return groups[1:] or groups  # the first group is per-message fields
        if groups:
            return groups
    text = _part_text(part)
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    groups = []
    for block in blocks:
        fields = {}
        name = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and name:
                fields[name] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep:
                name = key.strip().lower()
                fields.setdefault(name, value.strip())
        if fields:
            groups.append(fields)
    recipient_groups = [g for g in groups if "final-recipient" in g or "original-recipient" in g]
    return recipient_groups or groups


# ---------------------------------------------------------------- Amazon SES notifications


def _read_ses_json(result: Bounce, body: str) -> None:
    """SES bounce/complaint notifications delivered by SNS as a JSON mail body."""
    start = body.find("{")
    if start < 0 or "notificationType" not in body:
        return
    try:
        data, _ = json.JSONDecoder(strict=False).raw_decode(body[start:])
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    if data.get("notificationType") == "Complaint":
        people = (data.get("complaint") or {}).get("complainedRecipients") or []
        result.kind = COMPLAINT
    elif data.get("notificationType") == "Bounce":
        bounce = data.get("bounce") or {}
        people = bounce.get("bouncedRecipients") or []
        result.kind = HARD if bounce.get("bounceType") == "Permanent" else SOFT
    else:
        return
    for person in people if isinstance(people, list) else []:
        if isinstance(person, dict):
            result.recipients += _addresses(str(person.get("emailAddress", "")))[:1]
            status = _STATUS_RE.search(str(person.get("status", "")))
            if status and not result.status:
                result.status = status.group(0)
            if not result.diagnostic:
                result.diagnostic = str(person.get("diagnosticCode", ""))
    reply = _REPLY_RE.search(result.diagnostic)
    if reply:
        result.smtp_code = int(reply.group(1))


# ---------------------------------------------------------------- non-standard bounces


def _is_auto_reply(msg: Message) -> bool:
    auto = _header(msg, "Auto-Submitted").lower()
    if auto.startswith("auto-replied"):
        return True
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return True
    subject = _header(msg, "Subject")
    return bool(_AUTO_SUBJECT.search(subject)) and not _BOUNCE_SENDER.search(_header(msg, "From"))


def _looks_like_bounce(msg: Message, content_types: list[str]) -> bool:
    sender = _header(msg, "From") + " " + _header(msg, "Return-Path")
    subject = _header(msg, "Subject")
    if _BOUNCE_SENDER.search(sender) or _BOUNCE_SUBJECT.search(subject):
        return True
    if _header(msg, "Return-Path").strip() in ("<>", ""):
        return "message/rfc822" in content_types or "text/rfc822-headers" in content_types
    return False


_RETURNED_MARKERS = re.compile(
    r"^(?:-+ ?(?:original message|below this line|this is a copy|the original message|"
    r"original message follows|message header follows|returned message)|"
    r"Content-Type: (?:message/rfc822|text/rfc822-headers))",
    re.IGNORECASE | re.MULTILINE,
)


def _read_plain(result: Bounce, msg: Message, parts: list[Message]) -> None:
    texts = []
    for part in parts:
        if (
            part.get_content_maintype() == "text"
            and part.get_content_type() != "text/rfc822-headers"
        ):
            texts.append(_part_text(part))
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            break  # the returned original starts here
    body = "\n".join(texts)
    cut = _RETURNED_MARKERS.search(body)
    explanation = body[: cut.start()] if cut else body
    own = {a.lower() for a in _addresses(_header(msg, "To") + " " + _header(msg, "From"))}
    candidates = [
        a
        for a in _addresses(explanation)
        if a.lower() not in own and not _IGNORED_LOCAL.match(a.partition("@")[0])
    ]
    if not candidates and cut:
        # Nothing named in the explanation: the To of the returned original.
        header = re.search(r"^To:([^\n]*)$", body[cut.start() :], re.MULTILINE | re.IGNORECASE)
        candidates = _addresses(header.group(1)) if header else []
    if candidates:
        result.recipients = [candidates[0]]
    lines = [line.strip() for line in explanation.splitlines() if line.strip()]
    diagnostic = next(
        (line for line in lines if _STATUS_RE.search(line) or _REPLY_RE.search(line)), ""
    )
    result.diagnostic = diagnostic or " ".join(lines[:3])
    status = _STATUS_RE.search(explanation)
    if status:
        result.status = status.group(0)
    _classify(result, explanation)
    if result.kind == UNKNOWN:
        result.kind = HARD


def _classify(result: Bounce, text: str) -> None:
    reply = _REPLY_RE.search(result.diagnostic) or _REPLY_RE.search(text or "")
    if reply and result.smtp_code is None:
        result.smtp_code = int(reply.group(1))
    if result.kind != UNKNOWN:
        return
    if result.status.startswith("5"):
        result.kind = HARD
    elif result.status.startswith("4"):
        result.kind = SOFT
    elif result.smtp_code:
        result.kind = HARD if result.smtp_code >= 500 else SOFT
    elif _PERMANENT.search(f"{result.diagnostic}\n{text or ''}"):
        result.kind = HARD
    elif _SOFT_WORDS.search(f"{result.diagnostic}\n{text or ''}"):
        result.kind = SOFT
    elif result.status.startswith("2"):
        result.kind = UNKNOWN
    else:
        result.kind = HARD
    if result.kind == HARD and _SOFT_WORDS.search(result.diagnostic) and not result.status:
        result.kind = SOFT


def _original_to(parts: list[Message]) -> list[str]:
    for part in parts:
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else payload
            if isinstance(inner, Message):
                found = _addresses(_header(inner, "To"))
                if found:
                    return found[:1]
        elif part.get_content_type() == "text/rfc822-headers":
            match = re.search(r"^To:(.*)$", _part_text(part), re.MULTILINE | re.IGNORECASE)
            if match and _addresses(match.group(1)):
                return _addresses(match.group(1))[:1]
    return []


def _addresses(text: str) -> list[str]:
    return [a.strip(".").lower() for a in _ADDRESS_RE.findall(text or "")]


# ---------------------------------------------------------------- our delivery


def _find_delivery(result: Bounce, raw_text: str) -> None:
    """Our header first; else our Message-ID (``<region.campaign.delivery@domain>``).

    The region is any region this installation configures (``REGIONS``); a look-alike
    naming another two-letter prefix is someone else's and is skipped.
    """
    from mailsoftly.core.regions import region_names

    regions = region_names()
    for match in _DELIVERY_HEADER_RE.finditer(raw_text):
        if match.group(1).lower() in regions:
            result.region, result.delivery_id = match.group(1).lower(), int(match.group(2))
            return
    for found in _MESSAGE_ID_RE.finditer(raw_text):
        if found.group(0).strip() == result.message_id:
            continue  # the bounce's own Message-ID is not ours
        if found.group(1).lower() not in regions:
            continue
        result.region, result.delivery_id = found.group(1).lower(), int(found.group(3))
        return


# ---------------------------------------------------------------- reading inputs


def read_sources(names, stdin=None):
    """Yield ``(label, raw bytes)`` for each message in files, mboxes, Maildirs or ``-``.

    Unreadable inputs yield ``(label, OSError)`` so the caller can report and go on.
    """
    import mailbox
    import sys
    from pathlib import Path

    for name in names:
        if name == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield "-", stream.read()
            continue
        path = Path(name)
        try:
            if path.is_dir() and (path / "cur").is_dir():
                box = mailbox.Maildir(path, factory=None, create=False)
                for key in sorted(box.keys()):
                    yield f"{name}/{key}", box.get_bytes(key)
                continue
            data = path.read_bytes()
        except OSError as exc:
            yield name, exc
            continue
        if data.startswith(b"From ") and b"\nFrom " in data:
            box = mailbox.mbox(path, factory=None, create=False)
            for key in box.iterkeys():
                yield f"{name}#{key}", box.get_bytes(key, from_=False)
        else:
            yield name, data
