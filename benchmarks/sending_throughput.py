"""Sending throughput: a real campaign through real Celery workers into Postfix's
``smtp-sink``, against the ceiling that Postfix's ``smtp-source`` reaches into the same
sink in the same run.

* **Sink**: ``/usr/sbin/smtp-sink -v`` on 127.0.0.1 (Debian's postfix package). ``-v`` logs
  every SMTP command, so the benchmark counts the RCPT lines per address: duplicates and
  missing are measured, not assumed. Each phase gets a fresh sink.
* **Ceiling**: ``smtp-source -s 16 -d`` (16 sessions, persistent connections) pushing one
  pre-built message of the campaign's size (the pipeline's own output) N times.
* **End to end**: N contacts and a ~20 KB design with 10 links and merge tags; a campaign
  is started with ``campaign_send`` (the UI's path) and sent by ``mailsoftly worker``
  processes (real Celery, prefork, ``--workers`` child processes): audience freeze, claims,
  rendering, link tagging, MIME, DKIM, SMTP, the ledger. Timed from ``campaign_send`` until
  the campaign is ``sent``; once without DKIM and once with RSA-2048 DKIM.
* **Memory**: the peak RSS (``VmHWM``) of each worker process, read from ``/proc``.

Store and broker: PostgreSQL and Redis (the production shape) when ``DATABASE_URL`` and
``REDIS_URL`` are set, else the embedded SQLite and file broker under ``var/bench``::

    createdb -h 127.0.0.1 -U postgres h_send; createdb -h 127.0.0.1 -U postgres h_send_eu
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_send \\
    DATABASE_URL_EU=postgres://postgres@127.0.0.1:5432/h_send_eu \\
    REDIS_URL=redis://127.0.0.1:6379/3 MAILSOFTLY_VAR_DIR=var/bench \\
    flock /tmp/bench.lock .venv/bin/python benchmarks/sending_throughput.py --recipients 100000

Postfix's test tools: ``apt-get install postfix`` (Debian/Ubuntu; choose "No configuration")
installs ``/usr/sbin/smtp-sink`` and ``/usr/sbin/smtp-source``; the benchmark stops with
that advice when they are missing. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
INSTALL_HINT = (
    "Postfix's smtp-sink and smtp-source are needed: `sudo apt-get install postfix` "
    "(Debian/Ubuntu; pick 'No configuration') installs /usr/sbin/smtp-sink and smtp-source."
)

# --------------------------------------------------------------------------- the sink

_RCPT = re.compile(rb"RCPT TO:<([^>]*)>", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """One ``smtp-sink`` process whose ``-v`` log names every RCPT it was given."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        args = [SMTP_SINK, "-v", "-m", "1024"]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]  # smtp-sink refuses to run as root without it
        args += [f"127.0.0.1:{self.port}", "1024"]
        self._file = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self._process = subprocess.Popen(args, stdout=self._file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise SystemExit(f"smtp-sink did not start; see {log}") from None
                time.sleep(0.05)

    def stop(self) -> dict:
        """Stop the sink and count what it received."""
        self._process.terminate()
        self._process.wait(10)
        self._file.close()
        received: Counter[bytes] = Counter()
        messages = 0
        with open(self.log, "rb") as log:
            for line in log:
                found = _RCPT.search(line)
                if found:
                    received[found.group(1).lower()] += 1
                elif line.rstrip().endswith(b": ."):
                    messages += 1
        self.log.unlink()
        return {"messages": messages, "received": received}


def counted(received: Counter[bytes], expected: set[bytes]) -> dict:
    return {
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "missing": len(expected - received.keys()),
        "unexpected": len(received.keys() - expected),
    }


# --------------------------------------------------------------------------- content

LINKS = "".join(
    f'<p><a href="https://shop.example/item/{i}?utm_source=news">Item {i}</a> '
    f"for {{{{ contact.first_name }}}}</p>\n"
    for i in range(10)
)
PARAGRAPH = (
    '<tr><td style="padding:12px;font-family:Arial,sans-serif;font-size:15px;color:#333">'
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam.</td></tr>\n"
)
HTML = (
    '<html><body><table role="presentation" width="100%">'
    "<tr><td><h1>Hello {{ contact.first_name | default('friend') }}</h1></td></tr>\n"
    + PARAGRAPH * 85
    + "</table>"
    + LINKS
    + '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)
TEXT = "Hello {{ contact.first_name }},\n\n" + "Lorem ipsum dolor sit amet. " * 80 + "\n"


def address(i: int) -> str:
    return f"r{i}@example.org"


# --------------------------------------------------------------------------- set-up


def _django() -> None:
    os.environ.setdefault("MAILSOFTLY_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    for database in settings.DATABASES:
        call_command("migrate", database=database, verbosity=0)


def _unlimited(workspace) -> None:
    """An operator plan without limits: the audience is past every offered plan's allowance."""
    from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus
    from mailsoftly.billing.selectors import plan_list

    plan_list()  # seeds the default plans
    plan, _created = Plan.objects.get_or_create(
        code="bench-unlimited",
        defaults={"name": "Unlimited (benchmark)", "position": 1000, "active": False},
    )
    Plan.objects.filter(pk=plan.pk).update(
        contacts_limit=None, emails_month_limit=None, smtp_pools_limit=None, api_access=True
    )
    Subscription.objects.update_or_create(
        workspace=workspace, defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE}
    )


def workspace_with_contacts(n: int):
    """A workspace with a list of ``n`` subscribed contacts and the benchmark design."""
    from mailsoftly.accounts.models import User
    from mailsoftly.contacts.emails import email_hash
    from mailsoftly.contacts.models import Contact, ContactList, Subscription
    from mailsoftly.designs.models import Design
    from mailsoftly.teams.services import workspace_create

    stamp = f"{time.time_ns()}"
    owner = User.objects.create(username=f"bench{stamp}", email=f"bench{stamp}@example.com")
    workspace = workspace_create(owner=owner, name=f"Bench {stamp}")
    _unlimited(workspace)
    contact_list = ContactList.objects.for_workspace(workspace).create(
        workspace=workspace, name="All"
    )
    for start in range(0, n, 5000):
        contacts = Contact.objects.for_workspace(workspace).bulk_create(
            [
                Contact(
                    workspace=workspace,
                    email=address(i),
                    email_key=address(i),
                    email_hash=email_hash(address(i)),
                    first_name=f"R{i}",
                )
                for i in range(start, min(n, start + 5000))
            ]
        )
        if not contacts[0].pk:  # SQLite before RETURNING support
            contacts = list(
                Contact.objects.for_workspace(workspace).filter(
                    email_key__in=[c.email_key for c in contacts]
                )
            )
        Subscription.objects.for_workspace(workspace).bulk_create(
            [
                Subscription(
                    workspace=workspace, contact=c, contact_list=contact_list, status="subscribed"
                )
                for c in contacts
            ]
        )
        del contacts
    design = Design.objects.for_workspace(workspace).create(
        workspace=workspace,
        name="Bench",
        subject="News for {{ contact.first_name }}",
        source_kind="html",
        source=HTML,
        compiled_html=HTML,
        compiled_text=TEXT,
    )
    return workspace, contact_list, design


def campaign_for(
    workspace, contact_list, design, *, domain: str, dkim_on: bool, port: int, connections: int
):
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.sending import services as sending_services

    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Shop", from_email=f"news@{domain}"
    )
    if dkim_on:
        sending_services.dkim_key_generate(workspace=workspace, domain=domain, selector="b")
    else:
        # The content screen blocks an unproven From domain; this one is proven by DNS.
        from mailsoftly.core import clock
        from mailsoftly.teams.models import OrganisationDomain

        OrganisationDomain.objects.create(
            workspace=workspace, domain=domain, token="bench", created_at=clock.now(),
            verified_at=clock.now(),
        )  # fmt: skip
    server = sending_services.smtp_server_create(
        workspace=workspace,
        name=f"Sink {domain}",
        host="127.0.0.1",
        port=port,
        security="none",
        max_connections=connections,
    )
    campaign = campaign_services.campaign_create(
        workspace=workspace,
        name=f"Bench {domain}",
        design=design,
        sender=sender,
        list_ids=[contact_list.pk],
    )
    type(campaign).objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        smtp_server=server
    )
    campaign.smtp_server = server
    return campaign


def sample_message(campaign) -> bytes:
    """One message as the pipeline builds it (for the ceiling's pre-built message)."""
    from mailsoftly.campaigns.compose import Composer
    from mailsoftly.sending.engine import Recipient

    campaign.refresh_from_db()
    envelope = Composer(campaign=campaign)(
        Recipient(key=1, email=address(0), name="R0", data={"first_name": "R0"})
    )
    return envelope.data


# --------------------------------------------------------------------------- workers


class Workers:
    """``mailsoftly worker`` with ``concurrency`` prefork children, as in production."""

    def __init__(self, concurrency: int, log: Path) -> None:
        self.log = log
        self._file = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self._process = subprocess.Popen(
            [
                # What `mailsoftly worker` executes (serving every region).
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mailsoftly.config.celery",
                "worker",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.concurrency = concurrency

    def wait_ready(self, timeout: float = 60) -> None:
        from mailsoftly.config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"the worker exited; see {self.log}")
            if app.control.ping(timeout=1.0) and len(self.children()) >= self.concurrency:
                return
        raise SystemExit(f"the worker did not start; see {self.log}")

    def children(self) -> list[int]:
        try:
            raw = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in raw.split()]

    @staticmethod
    def _peak_mb(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak RSS of the worker's main process and of each child that sends."""
        peaks = {"main": self._peak_mb(self._process.pid)}
        for index, pid in enumerate(self.children()):
            peaks[f"child{index}"] = self._peak_mb(pid)
        return {name: round(mb, 1) for name, mb in peaks.items()}

    def stop(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)
        self._file.close()


# --------------------------------------------------------------------------- phases


def ceiling(var: Path, message: bytes, n: int, sessions: int, max_seconds: float) -> dict:
    """``smtp-source``: ``n`` copies of a pre-built message over persistent connections."""
    path = var / "ceiling.eml"
    # smtp-source appends CRLF to each line and dot-stuffs, so it reads plain lines.
    path.write_bytes(message.replace(b"\r\n", b"\n"))
    sink = Sink(var / "sink-ceiling.log")
    started = time.perf_counter()
    try:
        subprocess.run(
            [
                *(SMTP_SOURCE, "-s", str(sessions), "-d", "-N", "-m", str(n), "-F", str(path)),
                *("-f", "bench@shop.example", "-t", "c@example.org", f"127.0.0.1:{sink.port}"),
            ],
            check=True,
            timeout=max_seconds,
            stdout=subprocess.DEVNULL,
        )
    finally:
        elapsed = time.perf_counter() - started
        got = sink.stop()
        path.unlink()
    expected = {f"{i}c@example.org".encode() for i in range(1, n + 1)}
    return {
        "messages": got["messages"],
        "seconds": round(elapsed, 2),
        "msgs_per_s": got["messages"] / elapsed,
        **counted(got["received"], expected),
    }


def end_to_end(var: Path, campaign, n: int, max_seconds: float, label: str) -> dict:
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery
    from mailsoftly.sending.models import SmtpServer

    workspace = campaign.workspace
    sink = Sink(var / f"sink-{label}.log")
    try:
        SmtpServer.objects.for_workspace(workspace).filter(pk=campaign.smtp_server_id).update(
            port=sink.port
        )
        campaign.refresh_from_db()
        campaign.workspace = workspace
        started = time.perf_counter()
        campaign_services.campaign_send(campaign=campaign)
        deadline = started + max_seconds
        rows = Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk)
        while True:
            status = rows.values_list("status", flat=True).get()
            if status != CampaignStatus.SENDING or time.perf_counter() > deadline:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        got = sink.stop()
    sent_at = Delivery.objects.for_workspace(workspace).filter(campaign=campaign.pk)
    first, last = (
        (
            sent_at.order_by("sent_at")
            .values_list("sent_at", flat=True)
            .filter(sent_at__isnull=False)
        ).first(),
        sent_at.order_by("-sent_at").values_list("sent_at", flat=True).first(),
    )
    sending_seconds = (last - first).total_seconds() if first and last else 0.0
    expected = {address(i).encode() for i in range(n)}
    return {
        "status": status,
        "seconds": round(elapsed, 2),
        "messages": got["messages"],
        "msgs_per_s": got["messages"] / elapsed,
        # From the first to the last sent_at: the rate once the audience is frozen.
        "sending_msgs_per_s": round(got["messages"] / sending_seconds) if sending_seconds else 0,
        **counted(got["received"], expected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="worker child processes (default: one per core)")  # fmt: skip
    parser.add_argument("--sessions", type=int, default=16, help="smtp-source sessions")
    parser.add_argument("--connections", type=int, default=16,
                        help="the SMTP server's maximum connections, shared by the workers")  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=900, help="bound per phase")
    parser.add_argument("--skip", choices=("dkim", "plain"), help="leave one phase out")
    args = parser.parse_args()
    for tool in (SMTP_SINK, SMTP_SOURCE):
        if not shutil.which(tool):
            raise SystemExit(INSTALL_HINT)

    _django()
    from django.conf import settings

    var = Path(os.environ["MAILSOFTLY_VAR_DIR"]).resolve()
    var.mkdir(parents=True, exist_ok=True)
    from django.db import connections

    store = connections["default"].vendor
    print(f"store: {store}; broker: {settings.CELERY_BROKER_URL.split(':')[0]}", flush=True)

    started = time.perf_counter()
    workspace, contact_list, design = workspace_with_contacts(args.recipients)
    print(f"{args.recipients} contacts created in {time.perf_counter() - started:.1f} s")
    if store == "postgresql":
        # Autovacuum would analyse the new rows within a minute; without statistics the
        # planner takes the audience query for one row and nests loops over it.
        with connections[workspace.database].cursor() as cursor:
            cursor.execute("ANALYZE contacts_contact, contacts_subscription, contacts_contactlist")
    plain = campaign_for(workspace, contact_list, design, domain=f"plain{workspace.pk}.example",
                         dkim_on=False,
                         port=25, connections=args.connections)  # fmt: skip
    signed = campaign_for(workspace, contact_list, design, domain=f"shop{workspace.pk}.example",
                          dkim_on=True,
                          port=25, connections=args.connections)  # fmt: skip
    workers = Workers(args.workers, var / "bench-worker.log")
    results: dict[str, dict] = {}
    try:
        workers.wait_ready()
        for label, campaign in (("plain", plain), ("dkim", signed)):
            if args.skip == label:
                continue
            result = end_to_end(var, campaign, args.recipients, args.max_seconds, label)
            results[label] = result
            print(f"end to end, {label}: {result['msgs_per_s']:.0f} msg/s {result}", flush=True)
        rss = workers.peak_rss_mb()
    finally:
        workers.stop()
    print(f"worker peak RSS (MB): {rss}")

    # The ceiling pushes a message of the size the pipeline sent (a campaign left out by
    # --skip has no frozen content to build one from).
    message = sample_message(plain if args.skip == "dkim" else signed)
    ceil = ceiling(var, message, args.recipients, args.sessions, args.max_seconds)
    print(f"ceiling, smtp-source {args.sessions} sessions, {len(message)} bytes: "
          f"{ceil['msgs_per_s']:.0f} msg/s {ceil}")  # fmt: skip

    def rate(label: str) -> float:
        return results[label]["msgs_per_s"] if label in results else 0.0

    out = {
        "recipients": args.recipients,
        "msgs_per_s": round(rate("dkim")),
        "msgs_per_s_no_dkim": round(rate("plain")),
        "ceiling_msgs_per_s": round(ceil["msgs_per_s"]),
        "ratio": round(rate("dkim") / ceil["msgs_per_s"], 3),
        "ratio_no_dkim": round(rate("plain") / ceil["msgs_per_s"], 3),
        "worker_peak_rss_mb": max(v for k, v in rss.items() if k != "main"),
        "worker_rss_mb": rss,
        "workers": args.workers,
        "store": store,
        "duplicates": sum(r["duplicates"] for r in results.values()),
        "missing": sum(r["missing"] for r in results.values()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
