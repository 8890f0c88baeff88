"""Per-recipient MIME messages filled into a skeleton built once per campaign.

Building each message with :class:`email.message.EmailMessage` costs about 2.4 ms for
20 KB; filling byte templates costs a tenth of that (see docs/performance.md). The
skeleton holds everything shared by all recipients (From, List-Id, boundary, part
headers); per recipient we add To, Subject, Date, Message-ID, the unsubscribe headers
and the two quoted-printable bodies, then sign with DKIM.

The output is plain RFC 5322 / RFC 2045 MIME with CRLF line ends, readable by any parser.
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate

from mailsoftly.sending.dkim import Signer

CRLF = b"\r\n"


def header_encode(value: str) -> bytes:
    """An unstructured header value: ASCII as is, anything else as RFC 2047 words."""
    value = " ".join(value.split())  # no CR/LF can reach a header (header injection)
    if value.isascii() and len(value) < 900:
        return value.encode("ascii")
    return Header(value, "utf-8", maxlinelen=76).encode().encode("ascii")


# A display name made only of these needs neither quotes nor encoding (RFC 5322 atext and
# spaces), which is what most names are: formataddr is then skipped.
_PLAIN_NAME = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&'*+-/=?^_`{|}~"
)


def address_encode(name: str, address: str) -> bytes:
    name = " ".join(name.split())
    address = address.strip()
    if "\r" in address or "\n" in address:  # pragma: no cover - addresses are validated
        raise ValueError("line break in an address")
    if not name and address.isascii():
        return address.encode("ascii")
    if _PLAIN_NAME.issuperset(name) and address.isascii():
        return f"{name} <{address}>".encode("ascii")
    return formataddr((name, address), charset="utf-8").encode("ascii")


def qp_encode(text: str) -> bytes:
    """Quoted-printable with CRLF line ends. binascii does it in C."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n").encode()
    if not data.endswith(CRLF):
        data += CRLF
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)


@dataclass(frozen=True)
class Envelope:
    """What the SMTP client needs: sender, recipient and the finished bytes."""

    key: int  # the delivery id (or any id the store understands)
    mail_from: str
    rcpt_to: str
    data: bytes


class Skeleton:
    """The shared part of a campaign's messages, built once."""

    def __init__(
        self,
        *,
        from_name: str,
        from_email: str,
        reply_to: str = "",
        list_id: str,
        feedback_id: str,
        return_path: str = "",
        signers: tuple[Signer, ...] = (),
    ) -> None:
        self.from_email = from_email
        self.return_path = return_path or from_email
        self.domain = from_email.rpartition("@")[2]
        self.signers = signers
        # A boundary starting "=_" can never occur in quoted-printable output.
        self.boundary = b"=_ms_" + secrets.token_hex(12).encode()
        self._from = address_encode(from_name, from_email)
        self._reply_to = address_encode("", reply_to) if reply_to else b""
        self._list_id = header_encode(list_id)
        self._feedback_id = header_encode(feedback_id)
        self._content_type = b'multipart/alternative; boundary="' + self.boundary + b'"'
        self._text_head = (
            b"--" + self.boundary + CRLF + b"Content-Type: text/plain; charset=utf-8" + CRLF
            + b"Content-Transfer-Encoding: quoted-printable" + CRLF + CRLF
        )  # fmt: skip
        self._html_head = (
            b"--" + self.boundary + CRLF + b"Content-Type: text/html; charset=utf-8" + CRLF
            + b"Content-Transfer-Encoding: quoted-printable" + CRLF + CRLF
        )  # fmt: skip
        self._tail = b"--" + self.boundary + b"--" + CRLF

    def build(
        self,
        *,
        key: int,
        to_name: str,
        to_email: str,
        subject: str,
        text: str,
        html: str,
        message_id: str,
        unsubscribe_url: str,
        unsubscribe_mailto: str = "",
        extra_headers: tuple[tuple[bytes, bytes], ...] = (),
        date: str | None = None,
    ) -> Envelope:
        headers: list[tuple[bytes, bytes]] = [
            (b"From", self._from),
            (b"To", address_encode(to_name, to_email)),
            (b"Subject", header_encode(subject)),
            (b"Date", (date or formatdate(usegmt=True)).encode("ascii")),
            (b"Message-ID", message_id.encode("ascii")),
            (b"MIME-Version", b"1.0"),
            (b"Content-Type", self._content_type),
            (b"List-Id", self._list_id),
        ]
        # Transactional mail (no ``unsubscribe_url``) carries no unsubscribe headers.
        if unsubscribe_url:
            unsubscribe = b"<" + unsubscribe_url.encode("ascii") + b">"
            if unsubscribe_mailto:
                unsubscribe += b", <" + unsubscribe_mailto.encode("ascii") + b">"
            headers.append((b"List-Unsubscribe", unsubscribe))
            headers.append((b"List-Unsubscribe-Post", b"List-Unsubscribe=One-Click"))
        headers.append((b"Feedback-ID", self._feedback_id))
        if self._reply_to:
            headers.append((b"Reply-To", self._reply_to))
        headers.extend(extra_headers)
        body = b"".join(
            (self._text_head, qp_encode(text), self._html_head, qp_encode(html), self._tail)
        )
        head = b"".join(name + b": " + value + CRLF for name, value in headers)
        signatures = b"".join(signer.sign(headers, body) for signer in self.signers)
        return Envelope(key, self.return_path, to_email, signatures + head + CRLF + body)
