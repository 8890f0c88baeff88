"""Messengers: the engine's only way out. ``push`` an envelope, ``flush`` to get outcomes.

* :class:`SmtpMessenger` keeps a pool of persistent SMTP connections, one per thread, and
  a shared rate limit (:mod:`mailsoftly.sending.ratelimit`). Where the server offers
  PIPELINING (RFC 2920) a message takes two round trips instead of four. Sockets release the GIL, so threads overlap the
  network waits while the engine builds and signs the next messages.
* :class:`CaptureMessenger` stores each message in the workspace's region database
  (:class:`~mailsoftly.sending.models.CapturedMessage`) instead of sending it: the
  embedded default, and the demo.

Outcomes are classified here, once: ``sent`` (the server said 250 to DATA), ``retry``
(4xx or the connection failed: nothing was accepted, try again later), ``bounced`` (5xx
for the recipient) and ``failed`` (5xx for the message or the sender).
"""

from __future__ import annotations

import contextlib
import enum
import queue
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mailsoftly.sending.mime import Envelope
from mailsoftly.sending.ratelimit import SlidingWindow


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    BOUNCED = "bounced"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    key: int
    outcome: Outcome
    code: int | None = None
    detail: str = ""
    connection_error: bool = False


class Messenger(Protocol):
    def push(self, envelope: Envelope) -> None: ...

    def drain(self, *, at_least: int = 0, wait: float = 0.0) -> list[Result]:
        """Outcomes known so far. With ``wait``, block until ``at_least`` are known, all
        pushed envelopes are done, or ``wait`` seconds pass, whichever comes first."""
        ...

    def pending(self) -> int:
        """Envelopes pushed whose outcome is not known yet."""
        ...

    def flush(self) -> list[Result]:
        """Wait for every pushed envelope; return the outcomes not yet returned."""
        ...

    def close(self) -> None: ...


class Security(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str = Security.NONE
    username: str = ""
    password: str = ""
    max_connections: int = 4
    rate_per_second: int = 0
    timeout: float = 30.0
    local_hostname: str | None = None


def _decode(message: bytes | str) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


def smtp_connect(config: SmtpConfig) -> smtplib.SMTP:
    """One authenticated connection, ready for MAIL FROM."""
    context = ssl.create_default_context()
    if config.security == Security.TLS:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host,
            config.port,
            timeout=config.timeout,
            context=context,
            local_hostname=config.local_hostname,
        )
    else:
        conn = smtplib.SMTP(
            config.host, config.port, timeout=config.timeout, local_hostname=config.local_hostname
        )
    try:
        conn.ehlo()
        if config.security == Security.STARTTLS:
            conn.starttls(context=context)
            conn.ehlo()
        if config.username:
            conn.login(config.username, config.password)
    except BaseException:
        conn.close()
        raise
    return conn


def smtp_send_one(conn: smtplib.SMTP, envelope: Envelope) -> Result:
    """Send one message on an open connection and classify what the server said."""
    try:
        conn.sendmail(envelope.mail_from, [envelope.rcpt_to], envelope.data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, message = next(iter(exc.recipients.values()))
        outcome = Outcome.BOUNCED if code >= 500 else Outcome.RETRY
        return Result(envelope.key, outcome, code, _decode(message))
    except smtplib.SMTPSenderRefused as exc:
        outcome = Outcome.FAILED if exc.smtp_code >= 500 else Outcome.RETRY
        return Result(envelope.key, outcome, exc.smtp_code, _decode(exc.smtp_error))
    except smtplib.SMTPDataError as exc:
        outcome = Outcome.FAILED if exc.smtp_code >= 500 else Outcome.RETRY
        return Result(envelope.key, outcome, exc.smtp_code, _decode(exc.smtp_error))
    return Result(envelope.key, Outcome.SENT, 250)


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _fail(envelope: Envelope, code: int, message: bytes, *, recipient: bool = False) -> Result:
    if code >= 500:
        return Result(envelope.key, Outcome.BOUNCED if recipient else Outcome.FAILED, code,
                      _decode(message))  # fmt: skip
    return Result(envelope.key, Outcome.RETRY, code, _decode(message))


_ENVELOPE_ADDRESS_SPECIALS = frozenset('<>()[]\\,;:" \t\r\n')


def envelope_address(address: str) -> bytes:
    """``<address>`` for MAIL FROM / RCPT TO: a plain address as is, anything else the way
    :func:`smtplib.quoteaddr` reads it (it parses, which costs more than the rest of the
    command)."""
    if (
        address.isascii()
        and address.count("@") == 1
        and _ENVELOPE_ADDRESS_SPECIALS.isdisjoint(address)
    ):
        return b"<" + address.encode("ascii") + b">"
    return smtplib.quoteaddr(address).encode("ascii")


def smtp_send_pipelined(conn: smtplib.SMTP, envelope: Envelope) -> Result:
    """Send one message in two round trips instead of four (RFC 2920 PIPELINING).

    MAIL, RCPT and DATA go out in one write and their three replies are read together;
    then the message and its final dot. Classified like :func:`smtp_send_one`; a 421
    (the server is closing) raises, so the pool drops the connection and retries.
    """
    conn.send(
        b"MAIL FROM:" + envelope_address(envelope.mail_from) + b"\r\n"
        b"RCPT TO:" + envelope_address(envelope.rcpt_to) + b"\r\n"
        b"DATA\r\n"
    )
    replies = [conn.getreply() for _ in range(3)]
    for code, message in replies:
        if code == 421:
            raise smtplib.SMTPResponseException(code, message)
    (mail_code, mail_msg), (rcpt_code, rcpt_msg), (data_code, data_msg) = replies
    if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
        # A server should refuse DATA without a valid recipient; if it did not, end the
        # (empty) message so the connection stays in step, and report the refusal.
        conn.send(b".\r\n")
        conn.getreply()
    if mail_code != 250:
        conn.rset()
        return _fail(envelope, mail_code, mail_msg)
    if rcpt_code not in (250, 251):
        conn.rset()
        return _fail(envelope, rcpt_code, rcpt_msg, recipient=True)
    if data_code != 354:
        conn.rset()
        return _fail(envelope, data_code, data_msg)
    body = _LEADING_DOT.sub(b"..", envelope.data)  # RFC 5321 4.5.2 dot-stuffing
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    conn.send(body + b".\r\n")
    code, message = conn.getreply()
    if code == 421:
        raise smtplib.SMTPResponseException(code, message)
    if code != 250:
        return _fail(envelope, code, message)
    return Result(envelope.key, Outcome.SENT, 250)


class SmtpMessenger:
    """A pool of ``max_connections`` threads, each with one persistent connection."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        connect: Callable[[SmtpConfig], smtplib.SMTP] = smtp_connect,
        limiter: SlidingWindow | None = None,
    ) -> None:
        self.config = config
        self._connect = connect
        self._limiter = limiter or SlidingWindow(config.rate_per_second)
        size = max(1, config.max_connections)
        self._jobs: queue.Queue[Envelope | None] = queue.Queue(maxsize=size * 64)
        self._results: queue.Queue[Result] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._threads = [
            threading.Thread(target=self._run, name=f"smtp-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _deliver(self, conn: smtplib.SMTP | None, envelope: Envelope):
        try:
            if conn is None:
                conn = self._connect(self.config)
            send = smtp_send_pipelined if conn.has_extn("pipelining") else smtp_send_one
            return conn, send(conn, envelope)
        except smtplib.SMTPResponseException as exc:
            # e.g. 421 at greeting or mid-transaction: the server closes; nothing accepted.
            self._discard(conn)
            return None, Result(
                envelope.key,
                Outcome.RETRY,
                exc.smtp_code,
                _decode(exc.smtp_error),
                connection_error=True,
            )
        except (smtplib.SMTPException, OSError) as exc:
            self._discard(conn)
            return None, Result(
                envelope.key, Outcome.RETRY, None, str(exc) or type(exc).__name__, True
            )

    @staticmethod
    def _discard(conn: smtplib.SMTP | None) -> None:
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _run(self) -> None:
        conn: smtplib.SMTP | None = None
        while True:
            envelope = self._jobs.get()
            if envelope is None:
                break
            self._limiter.acquire()
            had_connection = conn is not None
            conn, result = self._deliver(conn, envelope)
            if result.connection_error and had_connection:
                # One reconnect for a connection that went stale between batches.
                conn, result = self._deliver(None, envelope)
            self._results.put(result)
            with self._pending_lock:
                self._pending -= 1
                self._pending_lock.notify_all()
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                self._discard(conn)

    def push(self, envelope: Envelope) -> None:
        with self._pending_lock:
            self._pending += 1
        self._jobs.put(envelope)

    def pending(self) -> int:
        with self._pending_lock:
            return self._pending

    def drain(self, *, at_least: int = 0, wait: float = 0.0) -> list[Result]:
        out = []
        if wait > 0:
            deadline = time.monotonic() + wait
            while len(out) < at_least and (self.pending() or not self._results.empty()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    out.append(self._results.get(timeout=remaining))
                except queue.Empty:
                    break
        while True:
            try:
                out.append(self._results.get_nowait())
            except queue.Empty:
                return out

    def flush(self) -> list[Result]:
        with self._pending_lock:
            self._pending_lock.wait_for(lambda: self._pending == 0)
        return self.drain()

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=self.config.timeout + 5)


class CaptureMessenger:
    """Keeps messages in the region database of ``workspace`` instead of sending them."""

    def __init__(self, *, workspace, campaign_id: int | None = None) -> None:
        self.workspace = workspace
        self.campaign_id = campaign_id
        self._buffer: list[Envelope] = []

    def push(self, envelope: Envelope) -> None:
        self._buffer.append(envelope)

    def drain(self, *, at_least: int = 0, wait: float = 0.0) -> list[Result]:
        return []  # captured messages are written, and reported, at flush

    def pending(self) -> int:
        return 0

    def flush(self) -> list[Result]:
        from mailsoftly.sending.models import CapturedMessage

        buffer, self._buffer = self._buffer, []
        if buffer:
            CapturedMessage.objects.for_workspace(self.workspace).bulk_create(
                [
                    CapturedMessage.from_envelope(
                        envelope, workspace=self.workspace, campaign_id=self.campaign_id
                    )
                    for envelope in buffer
                ]
            )
        return [Result(envelope.key, Outcome.SENT, 250) for envelope in buffer]

    def close(self) -> None:
        self._buffer = []
