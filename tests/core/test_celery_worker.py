"""A real Celery worker consumes a task from a real broker and writes to the real database.

The embedded run uses the file broker under a temporary folder; the PostgreSQL + Redis
run (REDIS_URL set) uses Redis and PostgreSQL. Both wait on the task's result, never sleep.
"""

from __future__ import annotations

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

import mailsoftly.core.tasks  # noqa: F401  (registers the task with every Celery app)
from mailsoftly.core.models import OutboxMessage


def _app(broker_url: str, backend: str, transport_options: dict | None = None) -> Celery:
    app = Celery("mailsoftly-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker_url,
        result_backend=backend,
        task_ignore_result=False,
        task_always_eager=False,
        broker_transport_options=transport_options or {},
        worker_hijack_root_logger=False,
    )
    return app


def _send_through(app: Celery) -> None:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        result = app.send_task(
            "core.platform_mail_send",
            kwargs={"to": ["ops@example.com"], "subject": "Via worker", "text": "hello"},
        )
        assert result.get(timeout=60) == 1


@pytest.fixture
def outbox_mailer(settings):
    settings.MAILERS = {"default": {"BACKEND": "mailsoftly.core.mail.OutboxBackend"}}


@pytest.mark.django_db(transaction=True)
def test_file_broker_worker_runs_a_task_end_to_end(tmp_path, outbox_mailer):
    queue = tmp_path / "queue"
    (queue / "processed").mkdir(parents=True)
    app = _app(
        "filesystem://",
        f"file://{tmp_path / 'results'}",
        {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(queue / "control"),
            "polling_interval": 0.05,
        },
    )
    (tmp_path / "results").mkdir()
    _send_through(app)
    assert OutboxMessage.objects.get().subject == "Via worker"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_redis_worker_runs_a_task_and_the_effect_is_in_the_database(redis_url, outbox_mailer):
    from django.db import connection

    app = _app(redis_url, redis_url)
    _send_through(app)
    message = OutboxMessage.objects.get()
    assert message.to == ["ops@example.com"]
    assert connection.vendor in {"postgresql", "sqlite"}
