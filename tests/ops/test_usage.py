"""Usage and device log (P09, P10): batched, with device parsed, retention and sessions."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from mailsoftly.core import clock
from mailsoftly.ops import usage
from mailsoftly.ops.models import UsageRecord

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def _embedded_buffer(settings):
    settings.OPS_REDIS_URL = None
    settings.OPS_USAGE_BUFFER_SIZE = 3
    usage._buffer.clear()
    yield
    usage._buffer.clear()


@pytest.mark.policy("P09", "P10")
def test_signed_in_requests_are_recorded_in_batches_with_device(logged_in_client, user, workspace):
    logged_in_client.get(reverse("web:dashboard"), HTTP_USER_AGENT=IPHONE)
    logged_in_client.get(reverse("web:dashboard"), HTTP_USER_AGENT=IPHONE)
    # Below the batch size nothing touched the database yet: off the critical path.
    assert UsageRecord.objects.count() == 0
    logged_in_client.get(reverse("ops:access_history"), HTTP_USER_AGENT=FIREFOX)
    rows = list(UsageRecord.objects.order_by("id"))
    assert len(rows) == 3
    first = rows[0]
    assert first.user_id == user.pk
    assert first.workspace_id == workspace.pk
    assert first.path == reverse("web:dashboard")
    assert first.ip_address == "127.0.0.1"
    assert (first.browser, first.os, first.device_type) == ("Mobile Safari", "iOS", "mobile")
    assert (rows[2].browser, rows[2].os, rows[2].device_type) == ("Firefox", "Linux", "desktop")
    assert rows[0].session_key and rows[0].session_key != logged_in_client.session.session_key


def test_anonymous_requests_are_not_recorded(client, db):
    client.get("/accounts/login/")
    usage.usage_flush()
    assert UsageRecord.objects.count() == 0


def test_failed_write_keeps_the_batch_for_the_next_flush(logged_in_client, monkeypatch):
    logged_in_client.get(reverse("web:dashboard"))
    real = usage._write

    def broken(entries):
        raise RuntimeError("database down")

    monkeypatch.setattr(usage, "_write", broken)
    with pytest.raises(RuntimeError):
        usage.usage_flush_local()
    monkeypatch.setattr(usage, "_write", real)
    assert usage.usage_flush() == 1
    assert UsageRecord.objects.count() == 1


def test_beat_task_flushes_the_buffer(logged_in_client):
    from mailsoftly.ops.tasks import usage_flush_task

    logged_in_client.get(reverse("web:dashboard"))
    assert UsageRecord.objects.count() == 0
    usage_flush_task.delay()
    assert UsageRecord.objects.count() == 1


def test_redis_list_is_drained_by_flush(logged_in_client, settings, redis_url):
    import redis

    settings.OPS_REDIS_URL = redis_url
    redis.Redis.from_url(redis_url).delete(usage.REDIS_KEY)
    logged_in_client.get(reverse("web:dashboard"))
    assert UsageRecord.objects.count() == 0
    assert usage.usage_flush() == 1
    assert UsageRecord.objects.count() == 1


@pytest.mark.policy("P09")
def test_records_past_retention_are_purged(logged_in_client, settings):
    settings.OPS_USAGE_RETENTION_DAYS = 30
    logged_in_client.get(reverse("web:dashboard"))
    usage.usage_flush()
    with time_machine.travel(clock.now() + timedelta(days=10)):
        logged_in_client.force_login(UsageRecord.objects.get().user)
        logged_in_client.get(reverse("web:dashboard"))
        usage.usage_flush()
    with time_machine.travel(clock.now() + timedelta(days=31)):
        assert usage.usage_purge_expired() == 1
    assert UsageRecord.objects.count() == 1


def test_location_is_empty_without_a_maxmind_database(settings):
    settings.OPS_GEOIP_DATABASE = ""
    assert usage.location_lookup("8.8.8.8") == ""


@pytest.mark.policy("P10")
def test_sign_in_history_lists_devices_and_ends_other_sessions(client, user, workspace):
    from django.test import Client

    other = Client()
    other.force_login(user)
    other.get(reverse("web:dashboard"), HTTP_USER_AGENT=IPHONE)
    client.force_login(user)
    client.get(reverse("web:dashboard"), HTTP_USER_AGENT=FIREFOX)
    page = client.get(reverse("ops:signin_history"), HTTP_USER_AGENT=FIREFOX).content.decode()
    assert "Mobile Safari" in page
    assert "This session" in page
    client.post(reverse("ops:signin_history"))
    # The other session is signed out, this one stays.
    assert other.get(reverse("ops:access_history")).status_code == 302
    assert client.get(reverse("ops:access_history")).status_code == 200


def test_records_made_against_another_database_are_dropped_at_exit_quietly(
    logged_in_client, monkeypatch, caplog
):
    """After a test run the test database is gone and Django points at the real one:
    the exit flush must neither write the run's records there nor log a failure."""
    logged_in_client.get(reverse("web:dashboard"))
    assert len(usage._buffer) == 1
    monkeypatch.setattr(usage, "_database_tag", lambda: "some-other-database")
    with caplog.at_level("DEBUG", logger="mailsoftly.ops.usage"):
        usage._flush_at_exit()
    assert usage._buffer == []
    assert UsageRecord.objects.count() == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= 30] == []


def test_a_failed_write_at_exit_is_one_warning_without_a_traceback(
    logged_in_client, monkeypatch, caplog
):
    from django.db import OperationalError

    logged_in_client.get(reverse("web:dashboard"))

    def gone(entries):
        raise OperationalError("no such table: ops_usagerecord")

    monkeypatch.setattr(usage, "_write", gone)
    with caplog.at_level("DEBUG", logger="mailsoftly.ops.usage"):
        usage._flush_at_exit()
    mine = [r for r in caplog.records if r.name == "mailsoftly.ops.usage"]
    assert [(r.levelname, r.exc_info) for r in mine] == [("WARNING", None)]
    assert "1 records could not be written at exit (OperationalError)" in caplog.text
    assert usage._buffer == []


def test_records_of_this_database_are_written_at_exit(logged_in_client):
    logged_in_client.get(reverse("web:dashboard"))
    usage._flush_at_exit()
    assert UsageRecord.objects.count() == 1
