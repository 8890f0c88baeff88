"""A local HTTP fake of the Stripe API endpoints billing uses, on 127.0.0.1 (no network).

The Stripe SDK is pointed at it through ``BILLING_STRIPE_API_BASE``. It records every
request (method, path, headers, form body) so tests can check what left our server, and
signs webhook payloads the way Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def letters(n: int = 14) -> str:
    return "".join(secrets.choice(string.ascii_letters) for _ in range(n))


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeFake:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # subscription id -> {"price": price id, "item": item id}
    subscriptions: dict[str, dict] = field(default_factory=dict)

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]


def _subscription(fake: StripeFake, sub_id: str, **extra) -> dict:
    state = fake.subscriptions.setdefault(sub_id, {"price": "price_pro", "item": "si_" + letters()})
    return {
        "id": sub_id,
        "object": "subscription",
        "status": extra.pop("status", "active"),
        "items": {
            "object": "list",
            "data": [
                {
                    "id": state["item"],
                    "object": "subscription_item",
                    "price": {"id": state["price"], "object": "price"},
                }
            ],
        },
        **extra,
    }


def _handler(fake: StripeFake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _reply(self, body: dict, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + letters())
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Recorded:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path = self.path.split("?", 1)[0]
            record = Recorded(self.command, path, dict(self.headers.items()), dict(parse_qsl(raw)))
            fake.requests.append(record)
            return record

        def do_POST(self):
            r = self._record()
            if r.path == "/v1/customers":
                return self._reply({"id": "cus_" + letters(), "object": "customer"})
            if r.path == "/v1/checkout/sessions":
                sid = "cs_test_" + letters()
                return self._reply(
                    {
                        "id": sid,
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/c/pay/{sid}",
                    }
                )
            if r.path == "/v1/billing_portal/sessions":
                return self._reply(
                    {
                        "id": "bps_" + letters(),
                        "object": "billing_portal.session",
                        "url": "https://billing.stripe.test/p/session/" + letters(),
                    }
                )
            if r.path.startswith("/v1/subscriptions/"):
                sub_id = r.path.rsplit("/", 1)[1]
                if "items[0][price]" in r.form:
                    fake.subscriptions.setdefault(sub_id, {"item": r.form["items[0][id]"]})
                    fake.subscriptions[sub_id]["price"] = r.form["items[0][price]"]
                return self._reply(
                    _subscription(
                        fake,
                        sub_id,
                        cancel_at_period_end=r.form.get("cancel_at_period_end") == "true",
                    )
                )
            return self._reply({"error": {"type": "invalid_request_error"}}, status=404)

        def do_GET(self):
            r = self._record()
            if r.path.startswith("/v1/subscriptions/"):
                return self._reply(_subscription(fake, r.path.rsplit("/", 1)[1]))
            return self._reply({"error": {"type": "invalid_request_error"}}, status=404)

        def do_DELETE(self):
            r = self._record()
            if r.path.startswith("/v1/subscriptions/"):
                return self._reply(_subscription(fake, r.path.rsplit("/", 1)[1], status="canceled"))
            return self._reply({"error": {"type": "invalid_request_error"}}, status=404)

    return Handler


def serve() -> tuple[StripeFake, ThreadingHTTPServer]:
    fake = StripeFake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
