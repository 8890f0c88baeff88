"""Celery per-region queues and the worker that refuses other regions' work (policy P40)."""

from __future__ import annotations

import os

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from mailsoftly.config.celery import app as project_app
from mailsoftly.core import region_queues
from mailsoftly.core.regions import RegionUnavailable, current_region
from mailsoftly.lifecycle.tasks import purge_trash_task

pytestmark = pytest.mark.policy("P40")


def _queue(name: str, kwargs: dict) -> str:
    return project_app.amqp.router.route({}, name, (), kwargs)["queue"].name


@pytest.mark.django_db
def test_a_workspace_task_goes_to_its_regions_queue(workspace, eu_workspace):
    assert _queue("contacts.import_run", {"workspace_id": eu_workspace.pk, "import_id": 1}) == (
        "celery.eu"
    )
    assert _queue("contacts.import_run", {"workspace_id": workspace.pk, "import_id": 1}) == (
        "celery.us"
    )
    assert _queue("lifecycle.purge_trash", {"region": "eu"}) == "celery.eu"
    # A statically routed task keeps its queue, per region.
    assert _queue("campaigns.transactional_send", {"workspace_id": eu_workspace.pk}) == (
        "transactional.eu"
    )
    # Platform work (no workspace, no region) stays on a plain queue: platform mail on the
    # transactional one, everything else on the default one.
    assert _queue("core.platform_mail_send", {"to": ["a@example.com"]}) == "transactional"
    assert _queue("lifecycle.purge_trash", {}) == "celery"


def test_a_regional_worker_consumes_only_its_regions_queues():
    assert region_queues.worker_queues(("eu",)) == ["transactional.eu", "celery.eu"]
    everything = region_queues.worker_queues()
    assert everything == [
        "transactional",
        "transactional.us",
        "transactional.eu",
        "celery",
        "celery.us",
        "celery.eu",
    ]
    assert [queue.name for queue in project_app.conf.task_queues] == everything


def test_every_project_task_checks_its_region():
    assert isinstance(purge_trash_task._get_current_object(), region_queues.RegionalTask)


@pytest.mark.django_db
def test_a_task_for_a_region_the_worker_does_not_serve_fails_without_running(settings, monkeypatch):
    ran = []
    monkeypatch.setattr(
        "mailsoftly.lifecycle.services.trash_purge_due", lambda **kw: ran.append(kw)
    )
    settings.MAILSOFTLY_WORKER_REGIONS = ("eu",)
    with pytest.raises(RegionUnavailable, match="serves regions eu, not 'us'"):
        purge_trash_task.delay(region="us")
    assert ran == []


def _worker_app(tmp_path) -> Celery:
    queue = tmp_path / "queue"
    (queue / "processed").mkdir(parents=True)
    (tmp_path / "results").mkdir()
    app = Celery("mailsoftly-region-test", task_cls=region_queues.RegionalTask)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url="filesystem://",
        result_backend=f"file://{tmp_path / 'results'}",
        task_ignore_result=False,
        task_always_eager=False,
        worker_hijack_root_logger=False,
        task_queues=region_queues.task_queues(),
        task_routes=(region_queues.route_task,),
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(queue / "control"),
            "polling_interval": 0.05,
        },
    )
    return app


@pytest.mark.django_db(transaction=True)
def test_a_real_eu_worker_runs_eu_work_and_refuses_us_work(tmp_path, settings, monkeypatch):
    """``mailsoftly worker --regions eu``: EU tasks run in the EU scope; a US task that
    reaches it anyway (sent straight to its queue) fails with a clear error, unrun."""
    seen = []

    def purge(*, region, batch_size):
        seen.append((region, current_region()))
        from mailsoftly.lifecycle.services.trash import PurgeResult

        return PurgeResult(deleted={"eu": 0}, more=False)

    monkeypatch.setattr("mailsoftly.lifecycle.services.trash_purge_due", purge)
    settings.MAILSOFTLY_WORKER_REGIONS = ("eu",)
    app = _worker_app(tmp_path)
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=30,
        queues=region_queues.worker_queues(("eu",)),
    ):
        ok = app.send_task("lifecycle.purge_trash", kwargs={"region": "eu"})
        assert ok.get(timeout=60) == {"eu": 0}
        refused = app.send_task("lifecycle.purge_trash", kwargs={"region": "us"}, queue="celery.eu")
        with pytest.raises(RegionUnavailable, match="serves regions eu, not 'us'"):
            refused.get(timeout=60)
    project_app.set_current()
    project_app.set_default()
    assert seen == [("eu", "eu")]


def test_mailsoftly_worker_regions_consumes_only_those_queues(monkeypatch):
    from mailsoftly import cli

    # The CLI hands the regions to the worker process through its environment.
    monkeypatch.setenv("MAILSOFTLY_WORKER_REGIONS", "")
    args = cli.worker_region_args("eu", ["--concurrency", "2"])
    assert args == ["--queues", "transactional.eu,celery.eu", "--concurrency", "2"]
    assert os.environ["MAILSOFTLY_WORKER_REGIONS"] == "eu"
    assert cli.worker_region_args(None, ["-c", "1"]) == ["-c", "1"]
    with pytest.raises(cli.CommandError, match="not both"):
        cli.worker_region_args("eu", ["-Q", "celery"])
