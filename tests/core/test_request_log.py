import json
import logging

from mailsoftly.core.logging import JsonFormatter


def test_each_request_logs_one_structured_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="mailsoftly.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="abc12345-trace")
    records = [r for r in caplog.records if r.name == "mailsoftly.request"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.duration_ms >= 0
    assert record.request_id == "abc12345-trace" == response["X-Request-ID"]
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request" and line["status"] == 200 and line["path"] == "/healthz"


def test_a_forged_request_id_is_replaced(client, caplog):
    with caplog.at_level(logging.INFO, logger="mailsoftly.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_a_500_is_still_logged(client, caplog, settings, monkeypatch):
    from mailsoftly.core import health

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "_check_broker", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO, logger="mailsoftly.request"):
        client.get("/readyz")
    statuses = [r.status for r in caplog.records if r.name == "mailsoftly.request"]
    assert statuses == [500]


def test_nul_bytes_in_the_address_get_a_400_not_a_500(client, db):
    assert client.get("/e/%00/").status_code == 400
    assert client.get("/healthz?q=a%00b").status_code == 400
    assert client.get("/healthz?q=fine").status_code == 200
