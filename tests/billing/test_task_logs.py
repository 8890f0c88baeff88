"""Platform mail (billing notices, invoices, deadlines) through a real Celery worker: the
worker's log never shows the recipients or the text, whether the task succeeds or fails.

Billing notices go to the billing contact by platform mail; the log must not become a copy
of them. Every captured record is rendered with the project's JSON formatter, which also
prints the ``extra`` data Celery attaches (where it puts a task's arguments).
"""

from __future__ import annotations

import logging
import threading

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_success
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from mailsoftly.core.logging import JsonFormatter
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.core.tasks import platform_mail_send_task

ADDRESS = "billing.contact.secret@example.org"
TEXT = "Invoice MS-7 for Very Private Ltd"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses the message (not an OSError: no retry, a plain failure)."""

    def send_messages(self, email_messages):
        raise ValueError("relay refused the message")


def _app(tmp_path) -> Celery:
    assert platform_mail_send_task.name == "core.platform_mail_send"  # registered
    queue = tmp_path / "queue"
    (queue / "processed").mkdir(parents=True)
    app = Celery("mailsoftly-mail-log-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(tmp_path / "control"),
            "polling_interval": 0.05,
        },
        task_always_eager=False,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )
    return app


class _WorkerLog(logging.Handler):
    """Keeps every record that reaches the root logger; ``done`` is set by ``until``."""

    def __init__(self, until) -> None:
        super().__init__(level=logging.DEBUG)
        self.until = until
        self.records: list[logging.LogRecord] = []
        self.done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if self.until(record):
            self.done.set()

    def text(self) -> str:
        formatter = JsonFormatter()
        return "\n".join(formatter.format(record) for record in self.records)


def _run_one(app, log: _WorkerLog) -> _WorkerLog:
    """Enqueue one platform mail the way services do; return the worker's log records.

    The worker applies the project's LOGGING when it starts (which replaces the root's
    handlers), so the capturing handler is attached once the worker is up, and removed
    only after the worker stopped, so lines logged after the outcome signal are kept.
    """
    root = logging.getLogger()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            root.addHandler(log)
            platform_mail_enqueue(to=[ADDRESS], subject="Your invoice", text=TEXT)
            assert log.done.wait(timeout=60), "the worker did not finish the task"
    finally:
        root.removeHandler(log)
    return log


def test_task_trace_loggers_stay_above_info():
    for name in ("celery.app.trace", "celery.worker.strategy"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


@pytest.mark.policy("P07")
@pytest.mark.django_db(transaction=True)
def test_a_sent_platform_mail_leaves_no_recipient_or_text_in_the_worker_log(tmp_path):
    app = _app(tmp_path)
    app.set_current()  # the shared task now publishes to this app's broker
    log = _WorkerLog(until=lambda record: False)

    def succeeded(sender=None, **kwargs):
        log.done.set()

    task_success.connect(succeeded, weak=False)
    try:
        _run_one(app, log)
    finally:
        task_success.disconnect(succeeded)

    assert [m.to for m in mail.outbox] == [[ADDRESS]]
    text = log.text()
    assert ADDRESS not in text and TEXT not in text


@pytest.mark.policy("P07")
@pytest.mark.django_db(transaction=True)
def test_a_failed_platform_mail_is_logged_without_its_arguments(tmp_path, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    app = _app(tmp_path)
    app.set_current()
    failed = _WorkerLog(lambda r: r.name == "celery.app.trace" and r.levelno >= logging.ERROR)
    log = _run_one(app, failed)

    text = log.text()
    assert "relay refused the message" in text  # the failure itself is still logged
    assert "1 recipient(s)" in text  # Celery shows our summary in place of the arguments
    assert ADDRESS not in text and TEXT not in text
