"""Per-message tracking tagging time: URLs by concatenation versus one reverse() each.

Tags an HTML part with 10 links (+ honeypot and open pixel: 12 tracking URLs) and a text
part with the same 10 URLs, for N distinct deliveries, as ``Tracker.tag_html`` +
``Tracker.tag_text``. ``baseline`` is the same Tracker with ``click_url`` / ``open_url``
calling ``reverse()`` per URL (the implementation before). Links come from an in-memory
stub, so no database is needed and only tagging is timed. Median of 5 runs.

Prints the figures and a JSON line; exits 1 if tagging is not faster than the baseline.

Run: MAILSOFTLY_VAR_DIR=var/bench .venv/bin/python benchmarks/tracking_tagging.py [--n 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from types import SimpleNamespace


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    _setup()
    from django.urls import reverse

    from mailsoftly.tracking import services, tokens
    from mailsoftly.tracking.tagging import Tracker

    ids: dict[str, int] = {}

    def link_stub(*, url, **kwargs):
        return SimpleNamespace(pk=ids.setdefault(url, len(ids) + 1))

    services.link_get_or_create = link_stub

    class Baseline(Tracker):
        def click_url(self, delivery_id, link_id):
            token = tokens.click_token(region=self.region, delivery_id=delivery_id, link_id=link_id)
            return f"{self.base_url}{reverse('tracking:click', args=[token])}"

        def open_url(self, delivery_id):
            token = tokens.open_token(region=self.region, delivery_id=delivery_id)
            return f"{self.base_url}{reverse('tracking:open', args=[token])}"

    campaign = SimpleNamespace(workspace=SimpleNamespace(region="us"))
    html = (
        "<html><body>"
        + "".join(
            f'<p><a href="https://shop.example/p/{i}?a=1&amp;b={i}">Item {i}</a></p>'
            for i in range(10)
        )
        + "</body></html>"
    )
    text = "\n".join(f"Item {i}: https://shop.example/p/{i}?a=1&b={i}" for i in range(10))

    def run(cls) -> float:
        tracker = cls(campaign=campaign, enabled=True)
        tracker.tag_html(html, 1)  # links registered before timing, as after the first message
        start = time.perf_counter()
        for delivery_id in range(1, args.n + 1):
            tracker.tag_html(html, delivery_id)
            tracker.tag_text(text, delivery_id)
        return (time.perf_counter() - start) * 1000 / args.n

    fast = Tracker(campaign=campaign, enabled=True)
    slow = Baseline(campaign=campaign, enabled=True)
    if fast.tag_html(html, 7) != slow.tag_html(html, 7):
        print("tagged output differs from the reverse() baseline", file=sys.stderr)
        return 1
    figures = {
        "tagging_ms": statistics.median(run(Tracker) for _ in range(5)),
        "baseline_reverse_ms": statistics.median(run(Baseline) for _ in range(5)),
    }
    figures["speedup"] = figures["baseline_reverse_ms"] / figures["tagging_ms"]
    load = os.getloadavg()[0]
    print(f"tracking tagging, {args.n} messages (12 URLs in HTML + 10 in text), load {load:.2f}")
    print(f"  tagging (concatenation) {figures['tagging_ms']:.4f} ms/message")
    print(f"  baseline (reverse each) {figures['baseline_reverse_ms']:.4f} ms/message")
    print(f"  speed-up                {figures['speedup']:.2f}x")
    print(json.dumps({"benchmark": "tracking_tagging", "n": args.n, "load": load, **figures}))
    return 0 if figures["tagging_ms"] < figures["baseline_reverse_ms"] else 1


if __name__ == "__main__":
    sys.exit(main())
