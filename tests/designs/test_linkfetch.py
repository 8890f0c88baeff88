import http.server
import threading

import pytest
from django.urls import reverse

from mailsoftly.designs import linkfetch
from tests.designs.factories import blocks_source, make_design


@pytest.fixture
def local_http():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    thread.join()


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "::1",
     "fe80::1", "0.0.0.0", "100.64.0.1",  # noqa: S104
     "224.0.0.1", "::ffff:127.0.0.1", "fc00::1"],
)  # fmt: skip
def test_non_public_addresses_are_never_fetched(address):
    assert not linkfetch.address_allowed(address)


def test_public_addresses_are_allowed():
    assert linkfetch.address_allowed("93.184.216.34")
    assert linkfetch.address_allowed("2606:4700::1111")


def test_a_link_to_this_machine_is_refused_without_a_request(local_http):
    port, hits = local_http
    verdict = linkfetch.link_fetch(f"http://127.0.0.1:{port}/admin")
    assert "not on the public internet" in verdict
    verdict = linkfetch.link_fetch(f"http://localhost:{port}/admin")
    assert "not on the public internet" in verdict
    assert hits == []


def test_fetching_follows_the_vetted_address(local_http, monkeypatch):
    # Pretend this loopback server is public, to prove the pinned HEAD request works.
    port, hits = local_http
    monkeypatch.setattr(linkfetch, "_resolve", lambda host, port: "127.0.0.1")
    assert linkfetch.link_fetch(f"http://shop.example:{port}/spring?x=1") == "204"
    assert hits[-1] == "/spring?x=1"


def test_fetching_is_off_by_default(logged_in_client, user, workspace, settings, local_http):
    port, hits = local_http
    design = make_design(
        workspace,
        user,
        source=blocks_source({"type": "button", "text": "Go", "href": f"http://127.0.0.1:{port}/"}),
    )
    assert linkfetch.links_fetch([f"http://127.0.0.1:{port}/"]) == {}
    page = logged_in_client.get(reverse("designs:links", args=[design.pk]) + "?fetch=1")
    assert "Check that the links answer" not in page.content.decode()
    settings.DESIGNS_LINK_CHECK_FETCH = True
    page = logged_in_client.get(reverse("designs:links", args=[design.pk]) + "?fetch=1")
    assert "not on the public internet" in page.content.decode()
    assert hits == []
