"""Sending throughput: messages/s end to end into a local SMTP sink, against the sink's
ceiling measured in the same run.

* The sink is a minimal SMTP server (asyncio, in its own process so it does not share our
  GIL) on 127.0.0.1. It counts every RCPT it accepts, so duplicates and missing are
  measured, not assumed. It offers PIPELINING (RFC 2920), as Postfix does;
  ``--no-pipelining`` measures the pool without it.
* Ceiling: pre-built ~20 KB messages pushed by our SMTP pool (16 persistent connections).
* Per message, one core: the ``email`` package against the skeleton; dkimpy's RSA against
  OpenSSL RSA through ``cryptography``; Ed25519.
* End to end: a real campaign (SQLite under var/bench, N contacts, a ~20 KB design with 10
  links and merge tags) through the real store, composer, engine and SMTP pool, once with
  RSA-2048 DKIM and once without.

Bounded: ``--recipients N`` (default 3000) and ``--max-seconds`` per phase (default 120).
Run: ``MAILSOFTLY_VAR_DIR=var/bench .venv/bin/python benchmarks/sending_throughput.py``.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import socket
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


# --------------------------------------------------------------------------- the sink


def _sink_process(port: int, control, pipelining: bool = True) -> None:
    received: Counter[bytes] = Counter()
    state = {"messages": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        rcpts: list[bytes] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(
                        b"250-sink\r\n250-8BITMIME\r\n"
                        + (b"250-PIPELINING\r\n" if pipelining else b"")
                        + b"250 SIZE 52428800\r\n"
                    )
                elif verb == b"MAIL":
                    rcpts = []
                    writer.write(b"250 2.1.0 OK\r\n")
                elif verb == b"RCPT":
                    rcpts.append(line[8:].strip().split(b">")[0].lstrip(b"<").lower())
                    writer.write(b"250 2.1.5 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    received.update(rcpts)
                    state["messages"] += 1
                    writer.write(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, limit=1 << 24)
        loop = asyncio.get_running_loop()
        control.send("ready")
        async with server:
            while True:
                command = await loop.run_in_executor(None, control.recv)
                if command == "report":
                    duplicates = sum(n - 1 for n in received.values() if n > 1)
                    control.send(
                        {
                            "messages": state["messages"],
                            "unique": len(received),
                            "duplicates": duplicates,
                            "addresses": sorted(a.decode() for a in received),
                        }
                    )
                    received.clear()
                    state["messages"] = 0
                elif command == "stop":
                    return

    asyncio.run(main())


class Sink:
    def __init__(self, *, pipelining: bool = True) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._control, child = mp.Pipe()
        self._process = mp.get_context("fork").Process(
            target=_sink_process, args=(self.port, child, pipelining), daemon=True
        )
        self._process.start()
        if not self._control.poll(10) or self._control.recv() != "ready":
            raise SystemExit("the sink did not start")

    def report(self) -> dict:
        self._control.send("report")
        return self._control.recv()

    def stop(self) -> None:
        self._control.send("stop")
        self._process.join(5)


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


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- phases


def per_message_costs(iterations: int = 300) -> dict[str, float]:
    """Milliseconds per message on one core for each building block."""
    from email.message import EmailMessage

    import dkim as dkimpy
    from cryptography.hazmat.primitives import serialization

    from mailsoftly.designs.rendering import CompiledDesign
    from mailsoftly.sending import dkim
    from mailsoftly.sending.mime import Skeleton

    compiled = CompiledDesign(subject="Hello {{ contact.first_name }}", html=HTML, text=TEXT)
    rendered = compiled.render({"contact": {"first_name": "Ann"}, "unsubscribe_url": "https://x/u"})
    rsa = dkim.key_generate(dkim.RSA)
    ed = dkim.key_generate(dkim.ED25519)

    def timed(func) -> float:
        started = time.perf_counter()
        for i in range(iterations):
            func(i)
        return (time.perf_counter() - started) / iterations * 1000

    def email_package(i):
        message = EmailMessage()
        message["From"] = "Shop <news@shop.example>"
        message["To"] = f"p{i}@example.org"
        message["Subject"] = rendered.subject
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message.as_bytes()

    def skeleton_for(signers):
        skeleton = Skeleton(
            from_name="Shop",
            from_email="news@shop.example",
            list_id="l <l.x>",
            feedback_id="f",
            signers=signers,
        )

        def build(i):
            return skeleton.build(
                key=i,
                to_name="Ann",
                to_email=f"p{i}@example.org",
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                message_id=f"<{i}@shop.example>",
                unsubscribe_url="https://x/u",
            ).data

        return build

    signer = dkim.Signer(
        domain="shop.example", selector="s", algorithm="rsa", private_pem=rsa.private_pem
    )
    ed_signer = dkim.Signer(
        domain="shop.example", selector="e", algorithm="ed25519", private_pem=ed.private_pem
    )
    unsigned = skeleton_for(())(0)
    rsa_pem = serialization.load_pem_private_key(rsa.private_pem.encode(), None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return {
        "render_jinja_ms": timed(
            lambda i: compiled.render({"contact": {"first_name": f"A{i}"}, "unsubscribe_url": "u"})
        ),
        "email_package_ms": timed(email_package),
        "skeleton_ms": timed(skeleton_for(())),
        "skeleton_rsa_openssl_ms": timed(skeleton_for((signer,))),
        "skeleton_ed25519_ms": timed(skeleton_for((ed_signer,))),
        "dkimpy_rsa_sign_ms": timed(
            lambda i: dkimpy.sign(
                unsigned,
                b"s",
                b"shop.example",
                rsa_pem,
                include_headers=[b"from", b"to", b"subject"],
            )
        ),
    }


def ceiling(sink: Sink, n: int, connections: int, max_seconds: float) -> dict:
    """Pre-built messages through our SMTP pool: the transport's rate into this sink."""
    from mailsoftly.sending.messengers import SmtpConfig, SmtpMessenger
    from mailsoftly.sending.mime import Envelope

    body = b"Subject: x\r\nFrom: a@shop.example\r\n\r\n" + (b"y" * 998 + b"\r\n") * 20
    messenger = SmtpMessenger(SmtpConfig("127.0.0.1", sink.port, max_connections=connections))
    started = time.perf_counter()
    pushed = 0
    try:
        while pushed < n and time.perf_counter() - started < max_seconds:
            messenger.push(Envelope(pushed, "a@shop.example", f"c{pushed}@example.org", body))
            pushed += 1
        messenger.flush()
    finally:
        messenger.close()
    elapsed = time.perf_counter() - started
    report = sink.report()
    return {"messages": report["messages"], "msgs_per_s": report["messages"] / elapsed}


def _django(var_dir: str) -> None:
    os.environ.setdefault("MAILSOFTLY_VAR_DIR", var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    for database in ("default", "eu"):
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


def _campaign(n: int, sink_port: int, *, dkim_on: bool, connections: int = 16):
    from mailsoftly.accounts.models import User
    from mailsoftly.campaigns import services as campaign_services
    from mailsoftly.campaigns.models import Campaign
    from mailsoftly.contacts.emails import email_hash
    from mailsoftly.contacts.models import Contact, ContactList, Subscription
    from mailsoftly.designs.models import Design
    from mailsoftly.sending import services as sending_services
    from mailsoftly.teams.services import workspace_create

    stamp = f"{time.time_ns()}"
    owner = User.objects.create(username=f"bench{stamp}", email=f"bench{stamp}@example.com")
    workspace = workspace_create(owner=owner, name=f"Bench {stamp}")
    _unlimited(workspace)
    contact_list = ContactList.objects.for_workspace(workspace).create(
        workspace=workspace, name="All"
    )
    for start in range(0, n, 2000):
        contacts = Contact.objects.for_workspace(workspace).bulk_create(
            [
                Contact(
                    workspace=workspace,
                    email=f"r{i}@example.org",
                    email_key=f"r{i}@example.org",
                    email_hash=email_hash(f"r{i}@example.org"),
                    first_name=f"R{i}",
                )
                for i in range(start, min(n, start + 2000))
            ]
        )
        if not contacts[0].pk:
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
    design = Design.objects.for_workspace(workspace).create(
        workspace=workspace,
        name="Bench",
        subject="News for {{ contact.first_name }}",
        source_kind="html",
        source=HTML,
        compiled_html=HTML,
        compiled_text=TEXT,
    )
    sender = sending_services.sender_identity_create(
        workspace=workspace, from_name="Shop", from_email="news@shop.example"
    )
    if dkim_on:
        sending_services.dkim_key_generate(workspace=workspace, domain="shop.example", selector="b")
    sending_services.smtp_server_create(
        workspace=workspace,
        name="Sink",
        host="127.0.0.1",
        port=sink_port,
        security="none",
        max_connections=connections,
        is_default=True,
    )
    campaign = campaign_services.campaign_create(
        workspace=workspace, name="Bench", design=design, sender=sender, list_ids=[contact_list.pk]
    )
    campaign_services.campaign_send(campaign=campaign, enqueue=False)  # run inline below
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk), workspace


def end_to_end(sink: Sink, n: int, *, dkim_on: bool, connections: int) -> dict:
    from mailsoftly.campaigns.tasks import campaign_run

    campaign, workspace = _campaign(n, sink.port, dkim_on=dkim_on, connections=connections)
    campaign.workspace = workspace
    started = time.perf_counter()
    report = campaign_run(campaign=campaign)
    elapsed = time.perf_counter() - started
    received = sink.report()
    expected = {f"r{i}@example.org" for i in range(n)}
    return {
        "sent": report.sent if report else 0,
        "seconds": round(elapsed, 2),
        "msgs_per_s": received["messages"] / elapsed,
        "duplicates": received["duplicates"],
        "missing": len(expected - set(received["addresses"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="the sink does not offer PIPELINING (the pool then takes four round trips)",
    )
    args = parser.parse_args()
    _django(str(Path("var/bench").resolve()))

    costs = per_message_costs()
    print("per message, one core (ms):")
    for name, value in costs.items():
        print(f"  {name:28s} {value:7.3f}")

    sink = Sink(pipelining=not args.no_pipelining)
    try:
        ceil = ceiling(sink, args.recipients, args.connections, args.max_seconds)
        print(
            f"ceiling (pre-built, {args.connections} connections): {ceil['msgs_per_s']:.0f} msg/s"
        )
        plain = end_to_end(sink, args.recipients, dkim_on=False, connections=args.connections)
        print(f"end to end, no DKIM:  {plain['msgs_per_s']:.0f} msg/s  {plain}")
        signed = end_to_end(sink, args.recipients, dkim_on=True, connections=args.connections)
        print(f"end to end, RSA DKIM: {signed['msgs_per_s']:.0f} msg/s  {signed}")
    finally:
        sink.stop()
    result = {
        "recipients": args.recipients,
        "pipelining": not args.no_pipelining,
        "msgs_per_s": round(signed["msgs_per_s"]),
        "msgs_per_s_no_dkim": round(plain["msgs_per_s"]),
        "ceiling_msgs_per_s": round(ceil["msgs_per_s"]),
        "ratio": round(signed["msgs_per_s"] / ceil["msgs_per_s"], 3),
        "ratio_no_dkim": round(plain["msgs_per_s"] / ceil["msgs_per_s"], 3),
        "peak_rss_mb": round(_rss_mb(), 1),
        "duplicates": plain["duplicates"] + signed["duplicates"],
        "missing": plain["missing"] + signed["missing"],
        **{k: round(v, 3) for k, v in costs.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
