"""Faults with real processes: a Celery worker SIGKILLed mid-campaign, and the database
connection of a sending worker cut mid-send. Both end with each address received once.

The workers are real ``celery worker`` subprocesses on the Redis broker, against the
PostgreSQL test database (committed rows, ``transaction=True``), sending to a real
aiosmtpd server in this process. The server holds the message after ``GATE`` until the
test has done its harm, so the fault lands mid-campaign without any sleep; every wait
polls the database or the server against a deadline.

Skipped on the embedded run: the SQLite test database lives in this process's memory,
where no other process can reach it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connections
from django.db.models import Q

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.campaigns.helpers import make_campaign, make_list, people
from tests.plugins.smtp import Received, SmtpSink, _free_port

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 100
GATE = 30  # messages accepted before the server holds the next one
DEADLINE = 300.0  # generous: two workers start on a loaded 2-core machine
_POLL = threading.Event()  # never set: its timed wait spaces the polls


class GatedSink(SmtpSink):
    """Accepts ``GATE`` messages, then holds each next DATA until ``release`` is set.

    A held message whose client went away (the worker was killed) was never answered
    250, so it is not counted as received: aiosmtpd cancels its handler.
    """

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.release = threading.Event()
        self.on_gate = None  # called once, in the server's thread, when the gate closes
        self._gate_hit = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= GATE and not self.release.is_set():
            if not self._gate_hit.is_set():
                self._gate_hit.set()
                if self.on_gate is not None:
                    await asyncio.get_running_loop().run_in_executor(None, self.on_gate)
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        if server.transport is None or server.transport.is_closing():
            return "421 gone"
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 OK"


@pytest.fixture
def gated_sink():
    from aiosmtpd.controller import Controller

    sink = GatedSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        sink.release.set()
        controller.stop()


@pytest.fixture
def server_database(redis_url):
    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker subprocess must reach the test database")
    return redis_url


def _url(alias: str) -> str:
    s = connections[alias].settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Celery worker subprocesses on one private queue; all stopped at the end."""

    def __init__(self, broker_url: str, log_dir: Path) -> None:
        from celery import Celery

        self.log_dir = log_dir
        self.queue = f"fault-{uuid.uuid4().hex[:8]}"
        self.app = Celery("fault-test", broker=broker_url)
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.campaigns.fault_settings",
            "DATABASE_URL": _url("default"),
            "DATABASE_URL_EU": _url("eu"),
            "CELERY_BROKER_URL": broker_url,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }

    def start(self) -> subprocess.Popen:
        log = (self.log_dir / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "mailsoftly.config.celery", "worker",
                "--pool", "solo", "--queues", self.queue, "--loglevel", "INFO",
                "--hostname", f"{self.queue}-{len(self.procs)}@%h",
                "--without-mingle", "--without-gossip", "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def send(self, workspace, campaign) -> None:
        self.app.send_task(
            "campaigns.campaign_send",
            kwargs={"workspace_id": workspace.pk, "campaign_id": campaign.pk},
            queue=self.queue,
        )

    def sweep(self, workspace, campaign) -> bool:
        """What the beat sweep does: when rows are due (queued, or leased by a worker
        that is gone) and no task is waiting, enqueue one. True once the campaign is sent."""
        fresh = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
        if fresh.status == CampaignStatus.SENT:
            return True
        due = Delivery.objects.for_workspace(workspace).filter(
            Q(status=DeliveryStatus.QUEUED)
            | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=_now()),
            campaign=campaign,
        )
        with self.app.connection_for_write() as conn:
            waiting = conn.default_channel.client.llen(self.queue)
        if due.exists() and not waiting:
            self.send(workspace, campaign)
        return False

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + path.read_text(errors="replace")[-4000:]
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        self.app.close()


@pytest.fixture
def workers(server_database, tmp_path):
    pool = Workers(server_database, tmp_path)
    try:
        yield pool
    finally:
        pool.stop()


def _wait_for(condition, what: str, deadline: float = DEADLINE, workers=None):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        _POLL.wait(0.05)  # the interval between polls; the condition decides, not the time
    logs = workers.logs() if workers is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def _counts(workspace, campaign) -> dict[str, int]:
    rows = Delivery.objects.for_workspace(workspace).filter(campaign=campaign)
    return {s: rows.filter(status=s).count() for s in DeliveryStatus.values}


def _campaign(workspace, smtp):
    smtp.relay_for(workspace, max_connections=2)
    contact_list, _ = make_list(workspace, people(RECIPIENTS))
    campaign = make_campaign(workspace, contact_list)
    services.campaign_send(campaign=campaign, enqueue=False)
    return campaign


def _assert_each_address_once(workspace, campaign, sink):
    received = sorted(m.rcpt_tos[0] for m in sink.messages)
    assert len(received) == RECIPIENTS, f"{len(received)} messages for {RECIPIENTS} people"
    assert received == sorted(email for email, _ in people(RECIPIENTS))
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.total_count, campaign.sent_count) == (RECIPIENTS, RECIPIENTS)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_campaign_a_new_worker_finishes_each_address_once(
    workspace, gated_sink, workers
):
    campaign = _campaign(workspace, gated_sink)
    first = workers.start()
    workers.send(workspace, campaign)
    # The server accepted GATE messages and holds the next ones; the worker has
    # recorded every accepted one (its checkpoint), with the next batch leased.
    _wait_for(
        lambda: (
            len(gated_sink.messages) == GATE
            and _counts(workspace, campaign)[DeliveryStatus.SENT] == GATE
            and _counts(workspace, campaign)[DeliveryStatus.SENDING] > 0
        ),
        "the first worker to be mid-campaign",
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    gated_sink.release.set()
    leased = _counts(workspace, campaign)[DeliveryStatus.SENDING]
    assert leased > 0  # rows the dead worker held, under a lease

    # A new worker picks up the rows still queued and, once the dead worker's lease has
    # expired, the rows it held.
    workers.start()
    _wait_for(lambda: workers.sweep(workspace, campaign), "the campaign to finish", workers=workers)
    _assert_each_address_once(workspace, campaign, gated_sink)


@pytest.mark.django_db(transaction=True)
def test_the_documented_window_resends_only_unrecorded_messages_with_the_same_message_id(
    workspace, gated_sink, workers
):
    """Killed before its checkpoint: the messages the server accepted but the worker had
    not yet recorded go out again (campaigns/store.py), and no others; each copy carries
    the same Message-ID, so receivers that de-duplicate show it once."""
    campaign = _campaign(workspace, gated_sink)
    first = workers.start()
    workers.send(workspace, campaign)
    _wait_for(lambda: len(gated_sink.messages) == GATE, "the server to hold", workers=workers)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    recorded = _counts(workspace, campaign)[DeliveryStatus.SENT]  # final: the worker is dead
    gated_sink.release.set()
    workers.start()
    _wait_for(lambda: workers.sweep(workspace, campaign), "the campaign to finish", workers=workers)

    by_address: dict[str, list] = {}
    for received in gated_sink.messages:
        by_address.setdefault(received.rcpt_tos[0], []).append(received.message["Message-ID"])
    assert set(by_address) == {email for email, _ in people(RECIPIENTS)}
    twice = {email: ids for email, ids in by_address.items() if len(ids) > 1}
    assert len(twice) == GATE - recorded
    assert all(len(ids) == 2 and ids[0] == ids[1] for ids in twice.values())


def _now():
    from mailsoftly.core import clock

    return clock.now()


@pytest.mark.django_db(transaction=True)
def test_database_connection_cut_mid_send_recovers_without_loss_or_duplicates(
    workspace, gated_sink, workers
):
    import psycopg

    campaign = _campaign(workspace, gated_sink)
    names = [connections[alias].settings_dict["NAME"] for alias in ("default", "eu")]
    ours = set()
    for alias in ("default", "eu"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            ours.add(cursor.fetchone()[0])
    cut: list[int] = []

    def terminate_worker_connections():
        # Every backend on the test databases but the test's own: the worker's.
        with psycopg.connect(_url("default"), autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))",
                (names, list(ours)),
            ).fetchall()
        cut.extend(1 for (ok,) in rows if ok)
        gated_sink.release.set()

    gated_sink.on_gate = terminate_worker_connections
    workers.start()
    workers.send(workspace, campaign)
    _wait_for(
        lambda: (
            Campaign.objects.for_workspace(workspace).get(pk=campaign.pk).status
            == CampaignStatus.SENT
        ),
        "the campaign to finish after the connection drop",
        workers=workers,
    )
    assert cut, "no worker connection was terminated"
    _assert_each_address_once(workspace, campaign, gated_sink)
