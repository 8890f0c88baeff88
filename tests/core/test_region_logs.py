"""Log lines about a workspace in another region go to that region's log (policy P40)."""

import logging

import pytest
from celery import shared_task
from django.urls import reverse

from mailsoftly.core.logging import HomeRegionFilter, RegionLogHandler, log_region
from mailsoftly.core.regions import region_scope

pytestmark = pytest.mark.policy("P40")

logger = logging.getLogger("mailsoftly.tests.region_logs")


class _Home(logging.Handler):
    """Collects what the process's own stream would print (the console's filter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(HomeRegionFilter())
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def sides(settings, tmp_path):
    settings.MAILSOFTLY_REGION_LOG_ROOT = tmp_path
    home = _Home()
    regions = RegionLogHandler()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(home)
    root.addHandler(regions)
    yield home, lambda region: tmp_path / region / "logs" / "mailsoftly.log"
    root.removeHandler(home)
    root.removeHandler(regions)
    regions.close()
    root.setLevel(level)


def test_the_console_keeps_the_directory_regions_lines_and_the_eu_file_gets_the_eus(sides):
    home, file_of = sides
    logger.info("plain line")
    with region_scope("us"):
        logger.info("us line")
    with region_scope("eu"):
        logger.info("eu task line 1000000000042")
    with log_region("eu"):
        logger.warning("eu request line")

    assert home.messages == ["plain line", "us line"]
    eu = file_of("eu").read_text()
    assert "eu task line 1000000000042" in eu and "eu request line" in eu
    assert "plain line" not in eu and "us line" not in eu
    assert not file_of("us").exists()


def test_the_configured_console_handler_filters_by_region():
    console = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler
    ]
    assert console
    assert all(any(isinstance(f, HomeRegionFilter) for f in h.filters) for h in console)
    assert any(isinstance(h, RegionLogHandler) for h in logging.getLogger().handlers)


def test_a_request_in_an_eu_workspace_is_logged_in_the_eu(sides, client, user, eu_workspace):
    home, file_of = sides
    client.force_login(user)
    session = client.session
    session["workspace_id"] = eu_workspace.pk
    session.save()
    path = reverse("audit:log")
    assert client.get(path).status_code == 200
    assert "request" not in home.messages
    assert f'"path": "{path}"' in file_of("eu").read_text()


def test_a_request_in_a_us_workspace_stays_in_the_console(sides, logged_in_client):
    home, file_of = sides
    assert logged_in_client.get(reverse("audit:log")).status_code == 200
    assert "request" in home.messages
    assert not file_of("eu").exists()


@shared_task(name="tests.region_logs.fail")
def _fail_task(region: str) -> None:
    raise RuntimeError("boom for delivery 1000000000077")


def test_a_failed_eu_tasks_traceback_goes_to_the_eu_log(sides, settings):
    from mailsoftly.config.celery import app

    home, file_of = sides
    app.conf.task_eager_propagates = False
    try:
        _fail_task.delay(region="eu")
    finally:
        app.conf.task_eager_propagates = True
    assert not any("1000000000077" in m for m in home.messages)
    assert "1000000000077" in file_of("eu").read_text()
