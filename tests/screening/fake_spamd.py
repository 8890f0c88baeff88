"""A fake spamd: a real TCP server on 127.0.0.1 speaking SPAMC/SPAMD.

It reads the request the way spamd does (a request line, headers, a blank line,
``Content-length`` bytes of message) and answers as the test tells it to: a score, a
refusal, nonsense, or nothing at all. The fixtures are registered in ``conftest.py``.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field

import pytest

RULES = "HTML_MESSAGE,MIME_HTML_ONLY,URIBL_BLOCKED"


@dataclass
class FakeSpamd:
    host: str = "127.0.0.1"
    port: int = 0
    mode: str = "ok"  # ok | spam | hang | garbage | refuse | close
    score: float = 2.5
    requests: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"spamd://{self.host}:{self.port}"


def _read_request(rfile) -> dict:
    request_line = rfile.readline().decode("ascii").strip()
    headers = {}
    while True:
        line = rfile.readline().decode("ascii")
        if line in ("\r\n", "\n", ""):
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rfile.read(int(headers.get("content-length", "0")))
    return {"line": request_line, "headers": headers, "body": body}


@pytest.fixture
def spamd():
    fake = FakeSpamd()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            request = _read_request(self.rfile)
            fake.requests.append(request)
            if fake.mode == "hang":
                fake.release.wait(30)  # the client gives up first; released at teardown
                return
            if fake.mode == "close":
                return
            if fake.mode == "garbage":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n\r\nhello")
                return
            if fake.mode == "refuse":
                self.wfile.write(b"SPAMD/1.0 76 Bad header line: (Content-length missing)\r\n")
                return
            verdict = "True" if fake.score >= 5 else "False"
            body = RULES.encode()
            self.wfile.write(
                b"SPAMD/1.1 0 EX_OK\r\n"
                + f"Content-length: {len(body)}\r\n".encode()
                + f"Spam: {verdict} ; {fake.score} / 5.0\r\n\r\n".encode()
                + body
            )

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def down_url():
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"spamd://127.0.0.1:{port}"


@pytest.fixture
def with_spamd(settings, spamd):
    settings.SCREENING_SPAMASSASSIN = True
    settings.SCREENING_SPAMD_URL = spamd.url
    settings.SCREENING_SPAMD_TIMEOUT = 5.0
    return spamd
