"""The WSGI fast path answers the pixel and clicks exactly as the Django views do."""

import io

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from mailsoftly.config.wsgi import application
from mailsoftly.tracking import tokens
from mailsoftly.tracking.models import Event
from mailsoftly.tracking.recorder import drain
from mailsoftly.tracking.services import link_get_or_create


def _call(path, **extra):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux) Firefox/133",
        **extra,
    }
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    # Like Django's test client: keep the test's transaction open across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


def test_pixel_is_answered_before_django(sent_campaign, deliveries):
    status, headers, body = _call(
        f"/o/{tokens.open_token(region='us', delivery_id=deliveries[0].pk)}.gif"
    )
    assert (
        status == "200 OK" and headers["Content-Type"] == "image/gif" and body.startswith(b"GIF89a")
    )
    assert "Set-Cookie" not in headers and "no-store" in headers["Cache-Control"]
    drain(claim_idle_ms=0)
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


def test_pixel_answers_for_garbage_too(db):
    status, _, body = _call("/o/not-a-token.gif")
    assert status == "200 OK" and body.startswith(b"GIF89a")


def test_click_redirects_to_the_stored_url_and_forgeries_get_404(sent_campaign, deliveries):
    url = "https://shop.example/über?q=a b&x=1"
    link = link_get_or_create(campaign=sent_campaign, url=url)
    token = tokens.click_token(region="us", delivery_id=deliveries[0].pk, link_id=link.pk)
    status, headers, _ = _call(f"/c/{token}")
    assert status == "302 Found"
    assert headers["Location"] == "https://shop.example/%C3%BCber?q=a%20b&x=1"
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert forged != token
    status, headers, _ = _call(f"/c/{forged}")
    assert status == "404 Not Found" and "Location" not in headers


def test_other_paths_go_to_django(db):
    status, _, body = _call("/healthz")
    assert status.startswith("200") and b'"ok"' in body
    assert Client().get("/healthz").status_code == 200


def test_repeated_clicks_on_a_link_do_not_read_it_again_on_postgresql(
    sent_campaign, deliveries, django_assert_max_num_queries
):
    import pytest
    from django.db import connections

    if connections[sent_campaign.workspace.database].vendor != "postgresql":
        pytest.skip("SQLite may reuse a deleted row's id: the link memo is PostgreSQL only")
    from mailsoftly.tracking import hits, recorder

    if recorder._client() is None:
        pytest.skip("without Redis each click is written to the database at once")

    link = link_get_or_create(campaign=sent_campaign, url="https://shop.example/memo")
    paths = [
        f"/c/{tokens.click_token(region='us', delivery_id=d.pk, link_id=link.pk)}"
        for d in deliveries
    ]
    assert _call(paths[0])[1]["Location"] == "https://shop.example/memo"
    with django_assert_max_num_queries(0):  # events wait in Redis; the link is remembered
        for path in paths[1:]:
            assert _call(path)[1]["Location"] == "https://shop.example/memo"
    assert ("us", link.pk) in hits._LINKS


@pytest.mark.parametrize(
    "stored", ["//evil.example/", "https:\\\\evil.example", "javascript:alert(1)", "data:,x"]
)
def test_the_fast_path_never_redirects_to_an_unsafe_stored_url(sent_campaign, deliveries, stored):
    link = link_get_or_create(campaign=sent_campaign, url=stored)
    token = tokens.click_token(region="us", delivery_id=deliveries[0].pk, link_id=link.pk)
    status, headers, body = _call(f"/c/{token}")
    assert status == "404 Not Found" and "Location" not in headers
    assert b"does not work" in body


@pytest.mark.parametrize(
    "path", ["/c/%2F%2Fevil.example", "/c///evil.example", "/c/https:%5C%5Cevil", "/c/javascript:x"]
)
def test_open_redirect_payloads_in_the_path_never_redirect(db, path):
    status, headers, _ = _call(path)
    assert status.startswith("404") and "Location" not in headers


def test_a_forged_pixel_token_answers_the_gif_and_records_nothing(sent_campaign, deliveries):
    token = tokens.open_token(region="us", delivery_id=deliveries[0].pk)
    forged = token.replace(
        f"_{tokens._b36(deliveries[0].pk)}.", f"_{tokens._b36(deliveries[1].pk)}."
    )
    assert forged != token
    status, headers, body = _call(f"/o/{forged}.gif")
    assert status == "200 OK" and body.startswith(b"GIF89a")
    assert "no-store" in headers["Cache-Control"]
    drain(claim_idle_ms=0)
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 0
