"""Optional SpamAssassin backend: a second opinion from a local ``spamd``.

Two ways to reach it, chosen by settings:

* ``SCREENING_SPAMD_URL`` (``spamd://127.0.0.1:783``, from the ``SPAMD_URL`` environment
  variable): we speak the SPAMC/SPAMD protocol to spamd over TCP ourselves and ask for the
  score and the names of the rules that fired (the ``SYMBOLS`` command);
* otherwise, when the ``spamc`` program is on PATH, we run it (``spamc -c``) and read the
  score from its output.

SpamAssassin's score is added to the verdict as one reason, shown with its rule names.
When spamd cannot be reached, times out or answers nonsense, the content is *held* with a
reason that says so: a configured check that did not run never lets content pass. Those
holds are not final: :func:`~mailsoftly.screening.services.screen.content_screen` screens
such content again on its next request, so it passes once spamd is back.

``SCREENING_SPAMASSASSIN = False`` switches the backend off entirely.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

from mailsoftly.screening.content.engine import gettext_noop
from mailsoftly.screening.content.verdict import Decision, Reason

TIMEOUT_SECONDS = 10.0
DEFAULT_PORT = 783
MAX_MESSAGE_BYTES = 500_000  # spamc's own default limit
MAX_RESPONSE_BYTES = 256_000
PROTOCOL = "SPAMC/1.5"
UNAVAILABLE = "spamassassin_unavailable"

_STATUS = re.compile(r"^SPAMD/(\d+\.\d+)\s+(\d+)\s*(.*)$")
_SPAM_HEADER = re.compile(
    r"^(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)\s*$", re.I
)


class SpamdError(Exception):
    """spamd could not be reached, did not answer in time, or answered nonsense."""


@dataclass(frozen=True)
class SpamdResult:
    score: float
    threshold: float
    is_spam: bool
    rules: tuple[str, ...] = field(default_factory=tuple)


def parse_spamd_url(url: str) -> tuple[str, int]:
    """``spamd://host:port`` (or ``tcp://``) → (host, port). Raises ValueError when unusable."""
    parts = urlsplit(url)
    if parts.scheme not in {"spamd", "tcp"} or not parts.hostname:
        raise ValueError(f"not a spamd URL (spamd://host:port): {url!r}")
    return parts.hostname, parts.port or DEFAULT_PORT


def _recv_all(sock: socket.socket) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise SpamdError("spamd's answer is too long")
    return b"".join(chunks)


def parse_response(raw: bytes) -> SpamdResult:
    """Read a SPAMD reply to ``SYMBOLS`` or ``CHECK``. Raises :class:`SpamdError`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = _STATUS.match(lines[0].strip()) if lines and lines[0] else None
    if status is None:
        raise SpamdError("spamd answered something that is not the SPAMD protocol")
    code, message = int(status.group(2)), status.group(3).strip()
    if code != 0:
        raise SpamdError(f"spamd refused the message ({code} {message})")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    spam = _SPAM_HEADER.match(headers.get("spam", ""))
    if spam is None:
        raise SpamdError("spamd's answer has no readable Spam: header")
    rules = tuple(
        r.strip() for r in body.decode("latin-1", "replace").replace("\n", ",").split(",")
    )
    return SpamdResult(
        score=float(spam.group(2)),
        threshold=float(spam.group(3)),
        is_spam=spam.group(1).lower() in {"true", "yes"},
        rules=tuple(r for r in rules if re.fullmatch(r"[A-Za-z0-9_.]{1,64}", r))[:50],
    )


def spamd_check(
    message: bytes, *, host: str, port: int, timeout: float = TIMEOUT_SECONDS, user: str = ""
) -> SpamdResult:
    """Ask spamd at ``host:port`` for the score and rules of ``message`` (SYMBOLS).

    ``timeout`` bounds connecting and each read; raises :class:`SpamdError` on any failure.
    """
    message = message[:MAX_MESSAGE_BYTES]
    request = [f"SYMBOLS {PROTOCOL}", f"Content-length: {len(message)}"]
    if user:
        request.append(f"User: {user}")
    payload = ("\r\n".join(request) + "\r\n\r\n").encode("ascii") + message
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            raw = _recv_all(sock)
    except TimeoutError as exc:
        raise SpamdError(f"spamd at {host}:{port} did not answer within {timeout:g} s") from exc
    except OSError as exc:
        raise SpamdError(
            f"spamd at {host}:{port} cannot be reached ({exc.strerror or exc})"
        ) from exc
    return parse_response(raw)


def spamc_check(message: bytes, *, timeout: float = TIMEOUT_SECONDS) -> SpamdResult:
    """The same through the ``spamc`` program on PATH (``spamc -c``: "score/threshold")."""
    spamc = shutil.which("spamc")
    if spamc is None:
        raise SpamdError("spamc is not installed")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, message on stdin
            [spamc, "-c", "-x"],
            input=message[:MAX_MESSAGE_BYTES],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SpamdError(f"spamc did not answer within {timeout:g} s") from exc
    except OSError as exc:
        raise SpamdError(f"spamc could not run ({exc})") from exc
    # With -c, spamc exits 0 (ham) or 1 (spam); anything else is its own failure (69: spamd
    # unreachable, 75: temporary failure), even though it still prints a "0/0" score.
    if done.returncode not in (0, 1):
        raise SpamdError(f"spamc could not check the message (exit status {done.returncode})")
    score, sep, threshold = done.stdout.decode("latin-1").strip().partition("/")
    try:
        score_f, threshold_f = float(score), float(threshold) if sep else 5.0
    except ValueError as exc:
        raise SpamdError("spamc's answer is not a score (is spamd running?)") from exc
    return SpamdResult(score=score_f, threshold=threshold_f, is_spam=score_f >= threshold_f)


def build_message(*, subject: str, from_address: str, html: str, text: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())[:900]
    message["From"] = from_address or "unknown@invalid"
    message["To"] = "screen@invalid"
    message.set_content(text or " ")
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def configured(spamd_url: str | None) -> bool:
    """Whether a backend is there to ask: a spamd URL, or spamc on PATH."""
    return bool(spamd_url) or shutil.which("spamc") is not None


def spamassassin_reasons(
    *,
    subject: str,
    from_address: str,
    html: str,
    text: str,
    spamd_url: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> list[Reason]:
    """One reason with SpamAssassin's score, or one that holds if it could not answer.

    No reason at all when no backend is configured (no ``spamd_url`` and no ``spamc``).
    """
    if not configured(spamd_url):
        return []
    message = build_message(subject=subject, from_address=from_address, html=html, text=text)
    try:
        if spamd_url:
            host, port = parse_spamd_url(spamd_url)
            result = spamd_check(message, host=host, port=port, timeout=timeout)
        else:
            result = spamc_check(message, timeout=timeout)
    except (SpamdError, ValueError) as exc:
        return [
            Reason(
                code=UNAVAILABLE,
                template=gettext_noop(
                    "SpamAssassin could not check the email (%(error)s), so a person will "
                    "review it."
                ),
                params={"error": str(exc)},
                forces=Decision.HOLD,
            )
        ]
    template = gettext_noop(
        "SpamAssassin scored the email %(score)s (its threshold is %(threshold)s)."
    )
    params: dict[str, object] = {"score": result.score, "threshold": result.threshold}
    if result.rules:
        template = gettext_noop(
            "SpamAssassin scored the email %(score)s (its threshold is %(threshold)s): %(rules)s."
        )
        params["rules"] = ", ".join(result.rules)
    return [
        Reason(
            code="spamassassin",
            template=template,
            params=params,
            weight=max(result.score, 0.0),
        )
    ]
