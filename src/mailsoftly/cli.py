"""The ``mailsoftly`` command: run, operate and seed a Mailsoftly installation.

mailsoftly serve          web + worker + scheduler in one process tree (embedded default)
mailsoftly web            the web server only (production)
mailsoftly worker [...]   a Celery worker (production); --regions eu serves one region only
mailsoftly beat [...]     the Celery scheduler (production); run exactly one
mailsoftly demo           create or refresh the demo workspace and print its login
mailsoftly backup [...]   a consistent backup of every region (database and media)
mailsoftly restore [...]  restore one
mailsoftly workspace import FILE   restore a workspace's ZIP export into this installation
mailsoftly manage ...     Django's manage.py
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

from mailsoftly.config import env as config_env

PROG = "mailsoftly"
WSGI_APP = "mailsoftly.config.wsgi:application"
CELERY_APP = "mailsoftly.config.celery"


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def _fail(message: str, status: int = 1) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _granian_args(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-ws",
        "--log-level",
        "warning",
        WSGI_APP,
    ]


def _celery_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, *args]


def migrate_all(verbosity: int = 1) -> None:
    """Apply migrations to the directory and to every region database."""
    from django.conf import settings

    for alias in settings.DATABASES:
        _manage("migrate", "--database", alias, "--no-input", f"--verbosity={verbosity}")


def cmd_serve(args: argparse.Namespace) -> int:
    env = config_env.get()
    port = args.port or env.port
    if not _port_free(args.host, port):
        return _fail(
            f"port {port} on {args.host} is already in use; set PORT or stop the other server"
        )
    _django_setup()
    print(f"{PROG}: applying migrations…", flush=True)
    migrate_all(verbosity=0)
    if args.demo:
        from mailsoftly import demo

        demo.print_login(demo.seed())
    children = {
        "web": subprocess.Popen(_granian_args(args.host, port, args.web_workers)),
        "worker": subprocess.Popen(
            _celery_args(
                "worker", "--loglevel", "INFO", "--concurrency", str(args.worker_concurrency)
            )
        ),
        "beat": subprocess.Popen(
            _celery_args(
                "beat", "--loglevel", "INFO", "--schedule", str(env.var_dir / "celerybeat-schedule")
            )
        ),
    }
    print(f"{PROG}: serving on http://{args.host}:{port}  (Ctrl-C stops)", flush=True)
    return _supervise(children)


def _supervise(children: dict[str, subprocess.Popen]) -> int:
    """Wait until a child dies or we are told to stop, then stop every child."""
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    print(f"{PROG}: {name} exited with status {code}; stopping", file=sys.stderr)
                    status = code or 1
                    stopping = True
                    break
            else:
                time.sleep(0.5)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"{PROG}: stopped", flush=True)
    return status


def cmd_web(args: argparse.Namespace) -> int:
    env = config_env.get()
    port = args.port or env.port
    if not _port_free(args.host, port):
        return _fail(f"port {port} on {args.host} is already in use")
    os.execv(sys.executable, _granian_args(args.host, port, args.workers))
    return 0  # pragma: no cover


def worker_region_args(regions: str | None, celery_args: Sequence[str]) -> list[str]:
    """Celery arguments for ``mailsoftly worker [--regions eu,…]``.

    With ``--regions`` the worker consumes only those regions' queues and (through
    ``MAILSOFTLY_WORKER_REGIONS``) refuses any task for another region.
    """
    env = config_env.get()
    extra = list(celery_args)
    if not regions:
        return extra
    wanted = tuple(dict.fromkeys(part.strip() for part in regions.split(",") if part.strip()))
    for region in wanted:
        if region not in env.region_names:
            raise config_env.EnvError(
                f"--regions names {region!r}, which has no database here: "
                f"configured regions are {', '.join(env.region_names)}"
            )
    if not wanted:
        raise config_env.EnvError("--regions is empty: name at least one region (e.g. eu)")
    if any(arg in ("-Q", "--queues") or arg.startswith("--queues=") for arg in extra):
        raise CommandError("give --regions or -Q/--queues, not both")
    os.environ["MAILSOFTLY_WORKER_REGIONS"] = ",".join(wanted)
    _django_setup()
    from mailsoftly.core.region_queues import worker_queues

    return ["--queues", ",".join(worker_queues(wanted)), *extra]


def cmd_worker(args: argparse.Namespace) -> int:
    extra = worker_region_args(args.regions, args.celery_args)
    os.execv(sys.executable, _celery_args("worker", "--loglevel", "INFO", *extra))
    return 0  # pragma: no cover


def cmd_beat(args: argparse.Namespace) -> int:
    env = config_env.get()
    extra = args.celery_args or ["--schedule", str(env.var_dir / "celerybeat-schedule")]
    os.execv(sys.executable, _celery_args("beat", "--loglevel", "INFO", *extra))
    return 0  # pragma: no cover


def cmd_demo(args: argparse.Namespace) -> int:
    config_env.get()
    _django_setup()
    migrate_all(verbosity=0)
    from mailsoftly import demo

    demo.print_login(demo.seed())
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    """Screen .eml or .html files with the content checks; one JSON verdict per file."""
    import json
    from pathlib import Path

    from mailsoftly.screening.content import screen_content
    from mailsoftly.screening.content.eml import content_from_file

    status = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{PROG}: error: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        verdict = screen_content(content_from_file(data, name=path.name, campaign=args.campaign))
        if args.json:
            print(json.dumps({"file": name, **verdict.to_dict()}, ensure_ascii=False))
        else:
            print(f"{name}: {verdict.decision} (score {verdict.score})")
            for reason in verdict.reasons:
                print(f"  - [{reason.code}] {reason.message}")
    return status


def cmd_bounces(args: argparse.Namespace) -> int:
    """Classify (and unless --dry-run, apply) bounce and complaint messages."""
    import json

    from mailsoftly.sending.bounces import parse, read_sources

    config_env.get()
    if not args.dry_run:
        _django_setup()
        from mailsoftly.sending.bounce_services import bounce_process
    status = 0
    for label, raw in read_sources(args.files):
        if isinstance(raw, OSError):
            print(f"{PROG}: error: cannot read {label}: {raw.strerror or raw}", file=sys.stderr)
            status = 1
            continue
        if args.dry_run:
            result, action = parse(raw), None
        else:
            outcome = bounce_process(raw=raw)
            result, action = outcome.bounce, outcome.action
        report = {"file": label, **result.as_json()}
        if action:
            report["action"] = action
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            who = ", ".join(result.recipients) or "-"
            print(f"{label}: {result.kind} {who} {result.status or ''} {action or ''}".rstrip())
    return status


def cmd_manage(args: argparse.Namespace) -> int:
    config_env.get()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"{PROG} manage", *args.manage_args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Mailsoftly: self-hosted email marketing. Configuration comes from "
        "environment variables (see docs/deploy.md); with none set, everything runs "
        "locally under ./var with no servers needed.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="migrate, then run web, worker and scheduler together",
        description="Apply migrations, then run the web server, a Celery worker and the "
        "Celery scheduler as one process tree. Ctrl-C stops all three.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    serve.add_argument(
        "--web-workers", type=int, default=2, help="web worker processes (default: %(default)s)"
    )
    serve.add_argument(
        "--worker-concurrency",
        type=int,
        default=2,
        help="Celery worker processes (default: %(default)s)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo workspace first and print its login"
    )
    serve.set_defaults(func=cmd_serve)

    web = sub.add_parser(
        "web",
        help="run only the web server (production)",
        description="Run the granian WSGI server in the foreground.",
    )
    web.add_argument("--host", default="0.0.0.0", help="address to bind (default: %(default)s)")  # noqa: S104
    web.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    web.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="worker processes (default: one per core)",
    )
    web.set_defaults(func=cmd_web)

    for name, func, text in (
        ("worker", cmd_worker, "run a Celery worker (production); any number may run"),
        ("beat", cmd_beat, "run the Celery scheduler (production); run exactly one"),
    ):
        p = sub.add_parser(
            name, help=text, description=text + ". Extra arguments are passed to Celery."
        )
        if name == "worker":
            p.add_argument(
                "--regions",
                metavar="NAMES",
                help="serve only these regions (comma-separated, e.g. eu): consume their "
                "queues and refuse tasks of any other region",
            )
        p.add_argument("celery_args", nargs=argparse.REMAINDER, help="arguments for celery")
        p.set_defaults(func=func)

    demo = sub.add_parser(
        "demo",
        help="create or refresh the demo workspace and print its login",
        description="Migrate, then create (or refresh) a demo account and workspace.",
    )
    demo.set_defaults(func=cmd_demo)

    screen = sub.add_parser(
        "screen",
        help="screen .eml or .html files for phishing and spam",
        description="Run the content screen on raw messages (.eml) or HTML files and print "
        "each verdict (pass, hold or block) with its score and reasons.",
    )
    screen.add_argument("files", nargs="+", metavar="FILE", help=".eml or .html files")
    screen.add_argument("--json", action="store_true", help="one JSON object per file")
    screen.add_argument(
        "--campaign",
        action="store_true",
        help="also apply the campaign-only rules (attachments, unsubscribe link)",
    )
    screen.set_defaults(func=cmd_screen)

    bounces = sub.add_parser(
        "bounces",
        help="process bounce and complaint messages (files, mbox, Maildir or - for stdin)",
        description="Read bounces and ARF complaints and apply them: deliveries bounced, "
        "addresses suppressed. Usable as a Postfix pipe transport with '-'.",
    )
    bounces.add_argument("files", nargs="+", metavar="FILE", help="message, mbox, Maildir or -")
    bounces.add_argument("--dry-run", action="store_true", help="classify only; change nothing")
    bounces.add_argument("--json", action="store_true", help="one JSON object per message")
    bounces.set_defaults(func=cmd_bounces)

    for name, text in (
        ("backup", "write a consistent backup (database dump and media) with 30-day rotation"),
        ("restore", "restore a backup written by 'mailsoftly backup'"),
    ):
        # Listed for --help; main() hands the arguments to the management command.
        sub.add_parser(name, help=text, add_help=False, description=text)

    workspace = sub.add_parser(
        "workspace",
        help="workspace tools: 'import' restores a workspace's ZIP export",
        description="Workspace tools.",
    )
    workspace_sub = workspace.add_subparsers(dest="workspace_command", required=True)
    workspace_sub.add_parser(
        "import",
        help="restore a workspace's ZIP export (from any installation) into this one",
        add_help=False,
    )

    manage = sub.add_parser(
        "manage",
        help="run a Django management command",
        add_help=False,
        description="Pass everything after 'manage' to Django's manage.py.",
    )
    manage.add_argument("manage_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


# Top-level names for management commands: everything after them goes to the command.
_DELEGATED = {
    ("backup",): "backup",
    ("restore",): "restore",
    ("workspace", "import"): "workspace_import",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for prefix, command in _DELEGATED.items():
        if tuple(argv[: len(prefix)]) == prefix:
            argv = ["manage", command, *argv[len(prefix) :]]
            break
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except config_env.EnvError as exc:
        return _fail(str(exc), status=2)
    except CommandError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
