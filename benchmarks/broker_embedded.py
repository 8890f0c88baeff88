"""Embedded broker: kombu's filesystem transport against its SQLAlchemy transport on SQLite.

Publishes N task-sized messages, then drains them, for each transport; prints messages/s
for both halves and the ratio. Bounded: N messages, and a 120 s ceiling per transport.
Run: .venv/bin/python benchmarks/broker_embedded.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kombu import Connection

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
RUNS = 3
BODY = {
    "task": "core.platform_mail_send",
    "kwargs": {"to": ["a@example.com"], "subject": "x" * 60, "text": "y" * 400},
}
DEADLINE_S = 120


def measure(url: str, options: dict) -> tuple[float, float]:
    with Connection(url, transport_options=options) as conn:
        queue = conn.SimpleQueue("bench")
        started = time.perf_counter()
        for _ in range(N):
            queue.put(BODY)
        published = time.perf_counter() - started
        started = time.perf_counter()
        drained = 0
        while drained < N and time.perf_counter() - started < DEADLINE_S:
            message = queue.get(timeout=5)
            message.ack()
            drained += 1
        consumed = time.perf_counter() - started
        queue.close()
    if drained < N:
        raise SystemExit(f"{url}: drained only {drained}/{N} within {DEADLINE_S}s")
    return N / published, N / consumed


def main() -> None:
    results: dict[str, list[tuple[float, float]]] = {"filesystem": [], "sqlalchemy+sqlite": []}
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "q"
            (folder / "processed").mkdir(parents=True)
            results["filesystem"].append(
                measure(
                    "filesystem://",
                    {
                        "data_folder_in": str(folder),
                        "data_folder_out": str(folder),
                        "processed_folder": str(folder / "processed"),
                        "control_folder": str(folder / "control"),
                        "store_processed": False,
                        "polling_interval": 0.01,
                    },
                )
            )
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlalchemy+sqlite"].append(measure(f"sqla+sqlite:///{tmp}/broker.sqlite3", {}))
    print(f"embedded broker, {N} messages, median of {RUNS} runs")
    medians = {}
    for name, runs in results.items():
        pub = statistics.median(r[0] for r in runs)
        con = statistics.median(r[1] for r in runs)
        medians[name] = (pub, con)
        print(f"  {name:18} publish {pub:8.0f} msg/s   consume {con:8.0f} msg/s")
    fs, sa = medians["filesystem"], medians["sqlalchemy+sqlite"]
    print(f"  filesystem / sqlalchemy: publish x{fs[0] / sa[0]:.1f}, consume x{fs[1] / sa[1]:.1f}")
    # Baseline in the same run: the transport we ship must not be the slower one.
    if fs[1] < sa[1]:
        raise SystemExit("filesystem transport consumed slower than SQLAlchemy: revisit the choice")


if __name__ == "__main__":
    main()
