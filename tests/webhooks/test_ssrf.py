"""SSRF: private, loopback, link-local/metadata and reserved targets are refused before
any connection is opened; a name resolving to loopback too; an operator allow-list (P15)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from mailsoftly.webhooks import netsafe, services

pytestmark = pytest.mark.policy("P15")


@pytest.fixture
def no_connections(monkeypatch):
    opened = []

    def refuse(*args, **kwargs):
        opened.append(args)
        raise AssertionError("a connection was opened")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return opened


def _stub(address):
    def resolver(host, port, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_private_and_special_addresses_are_refused_without_connecting(url, no_connections):
    with pytest.raises(netsafe.UnsafeTarget):
        netsafe.post(url, body=b"{}", headers={})
    assert no_connections == []


def test_a_name_resolving_to_loopback_is_refused(no_connections):
    with pytest.raises(netsafe.UnsafeTarget, match=r"127\.0\.0\.1"):
        netsafe.post(
            "https://hooks.example.com/x", body=b"{}", headers={}, resolver=_stub("127.0.0.1")
        )
    assert no_connections == []


def test_a_public_name_connects_to_the_vetted_ip_only(monkeypatch):
    target = netsafe.resolve(
        "https://hooks.example.com:8443/x?y=1", resolver=_stub("93.184.216.34")
    )
    assert (target.host, target.port, target.ip, target.path) == (
        "hooks.example.com",
        8443,
        "93.184.216.34",
        "/x?y=1",
    )


def test_other_schemes_and_credentials_are_refused():
    for url in ("ftp://example.com/x", "file:///etc/passwd", "http://u:p@example.com/"):
        with pytest.raises(netsafe.UnsafeTarget):
            netsafe.resolve(url, resolver=_stub("93.184.216.34"))


def test_endpoint_creation_refuses_private_targets(workspace):
    with pytest.raises(ValidationError) as exc:
        services.webhook_endpoint_create(
            workspace=workspace, url="http://169.254.169.254/", events=["contact.created"]
        )
    assert "url" in exc.value.message_dict


def test_operator_allow_list_admits_a_private_network(settings):
    assert not netsafe.address_allowed("10.0.0.5")
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["10.0.0.0/24"]
    assert netsafe.address_allowed("10.0.0.5")
    assert not netsafe.address_allowed("10.0.1.5")
