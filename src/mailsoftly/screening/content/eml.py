"""Turning a raw message (.eml) or an HTML file into :class:`Content` for the screen."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message
from email.utils import parseaddr

from mailsoftly.screening.content.engine import Content
from mailsoftly.screening.content.message import MessageFacts, message_facts

MAX_PARTS = 200


def _payload_text(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            return str(part.get_content())
    except (LookupError, ValueError, AssertionError, TypeError, UnicodeError):
        pass
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        charset = part.get_content_charset() or "latin-1"
        try:
            return raw.decode(charset, "replace")
        except LookupError:
            return raw.decode("latin-1", "replace")
    return str(part.get_payload() or "")


def content_from_message(raw: bytes, *, campaign: bool = False) -> Content:
    """Subject, From, the first HTML and text parts, attachment names and the header and
    MIME facts (:class:`~mailsoftly.screening.content.message.MessageFacts`) of ``raw``.

    Malformed messages are read as far as the ``email`` package can; it does not raise on
    bad structure, and header decoding errors fall back to the raw header text.
    """
    message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        subject = str(message.get("subject", "") or "")
    except (ValueError, TypeError, IndexError):
        subject = str(message.get_all("subject", [""])[0])
    try:
        from_address = parseaddr(str(message.get("from", "") or ""))[1]
    except (ValueError, TypeError, IndexError):
        from_address = ""
    html, text, attachments = "", "", []
    parts: list[Message] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            break
        parts.append(part)
        if part.is_multipart():
            continue
        filename = None
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except (ValueError, TypeError, IndexError):
            disposition = None
        ctype = part.get_content_type()
        if disposition == "attachment" or (filename and not ctype.startswith("text/")):
            attachments.append(filename or ctype)
            continue
        if ctype == "text/html" and not html:
            html = _payload_text(part)
        elif ctype == "text/plain" and not text:
            text = _payload_text(part)
    try:
        facts = message_facts(message, parts_seen=parts, html_text=html, plain=text)
    except Exception:
        facts = MessageFacts(defects=1)
    return Content(
        subject=subject,
        from_address=from_address,
        html=html,
        text=text,
        attachments=tuple(attachments),
        campaign=campaign,
        message=facts,
    )


def content_from_file(data: bytes, *, name: str = "", campaign: bool = False) -> Content:
    """An ``.html``/``.htm`` file is screened as the HTML body; anything else as a message."""
    if name.lower().endswith((".html", ".htm")):
        return Content(html=data.decode("utf-8", "replace"), campaign=campaign)
    return content_from_message(data, campaign=campaign)
