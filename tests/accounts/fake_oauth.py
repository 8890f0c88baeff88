"""A fake Google and Facebook at the HTTP boundary.

allauth makes every server-to-server call (token exchange, profile) through
``SocialAccountAdapter.get_requests_session()``; the fake is a requests transport
mounted on that session, so allauth's own URL building, parsing and checks all run.
No network is touched: an unexpected URL fails the test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter


@dataclass
class FakeProviders:
    google_profile: dict = field(default_factory=dict)
    facebook_profile: dict = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def answer(self, request: requests.PreparedRequest) -> tuple[int, dict]:
        url = urlsplit(request.url)
        self.calls.append(f"{request.method} {url.netloc}{url.path}")
        if url.netloc == "oauth2.googleapis.com" and url.path == "/token":
            form = parse_qs(
                request.body if isinstance(request.body, str) else request.body.decode()
            )
            if form.get("code") != ["good-code"]:
                return 400, {"error": "invalid_grant"}
            return 200, {"access_token": "g-token", "expires_in": 3600, "token_type": "Bearer"}
        if url.netloc == "www.googleapis.com" and url.path == "/oauth2/v2/userinfo":
            if request.headers.get("Authorization") != "Bearer g-token":
                return 401, {"error": "unauthorized"}
            return 200, self.google_profile
        if url.netloc == "graph.facebook.com" and url.path.endswith("/oauth/access_token"):
            if parse_qs(url.query).get("code") != ["good-code"]:
                return 400, {"error": {"message": "bad code"}}
            return 200, {"access_token": "fb-token", "expires_in": 3600, "token_type": "bearer"}
        if url.netloc == "graph.facebook.com" and url.path.endswith("/me"):
            if parse_qs(url.query).get("access_token") != ["fb-token"]:
                return 401, {"error": {"message": "bad token"}}
            return 200, self.facebook_profile
        raise AssertionError(f"unexpected outgoing request: {request.method} {request.url}")


class _Transport(BaseAdapter):
    def __init__(self, fake: FakeProviders):
        super().__init__()
        self.fake = fake

    def send(self, request, **kwargs):
        status, payload = self.fake.answer(request)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def session_for(fake: FakeProviders) -> requests.Session:
    session = requests.Session()
    transport = _Transport(fake)
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session
