"""A real SMTP server (aiosmtpd) on a free loopback port that keeps the MIME it receives."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def relay_for(self, workspace, **options):
        """Make this server ``workspace``'s default SMTP relay (plain, no auth); returns it.

        ``options`` are other fields of the server (``max_connections``, ``rate_per_second``).
        """
        from mailsoftly.sending import services

        return services.smtp_server_create(
            workspace=workspace,
            name="Test relay",
            host=self.host,
            port=self.port,
            security="none",
            is_default=True,
            **options,
        )

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
