"""A learned wording signal: how much an email's words resemble spam (a small naive Bayes).

Rules name the pitches we know; spam also has a vocabulary no one writes rules for. This
is the classic token filter mature screens combine with their rules (Robinson's token
probabilities combined with Fisher's chi-square method), kept deliberately small:

* tokens are the words of the subject and visible text, letters only. Addresses, links
  and numbers are removed first: they name people and sites, not wording;
* a word enters the model only if at least :data:`MIN_MESSAGES` training messages use it,
  so no single message can be memorised; the :data:`KEEP` most telling words are shipped;
* the model is one JSON file (``wording_model.json``), rebuilt reproducibly by
  ``benchmarks/screening.py --fit`` from the tune half of the SpamAssassin public corpus.

The engine turns the probability into a reason whose weight is capped below the hold
threshold: the wording model alone never holds an email, a rule has to agree.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("wording_model.json")
MIN_MESSAGES = 10
KEEP = 3000
MAX_TOKENS_USED = 150
MIN_TOKENS = 8
MAX_CHARS = 200_000

_ADDRESS = re.compile(r"\S+@\S+")
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.I)
_WORD = re.compile(r"[^\W\d_]{3,20}")


def tokens(subject: str, text: str) -> set[str]:
    """The distinct words of ``subject`` (prefixed ``s:``) and ``text``, lower-case."""
    body = _LINK.sub(" ", _ADDRESS.sub(" ", text[:MAX_CHARS]))
    head = _LINK.sub(" ", _ADDRESS.sub(" ", subject[:2000]))
    found = {w.lower() for w in _WORD.findall(body)}
    found.update("s:" + w.lower() for w in _WORD.findall(head))
    return found


def train(samples: Iterable[tuple[set[str], bool]]) -> dict[str, float]:
    """Token → probability that a message containing it is spam (Robinson's f(w))."""
    spam_df: Counter[str] = Counter()
    ham_df: Counter[str] = Counter()
    n_spam = n_ham = 0
    for words, is_spam in samples:
        if is_spam:
            n_spam += 1
            spam_df.update(words)
        else:
            n_ham += 1
            ham_df.update(words)
    if not n_spam or not n_ham:
        return {}
    scored = []
    for word in spam_df.keys() | ham_df.keys():
        s, h = spam_df[word], ham_df[word]
        n = s + h
        if n < MIN_MESSAGES:
            continue
        s_rate, h_rate = s / n_spam, h / n_ham
        p = s_rate / (s_rate + h_rate)
        f = (0.5 + n * p) / (1 + n)  # strength 1, prior 0.5
        scored.append((abs(f - 0.5), word, f))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return {word: round(f, 4) for _, word, f in scored[:KEEP]}


def _chi2q(x2: float, dof: int) -> float:
    m = x2 / 2.0
    term = total = math.exp(-m)
    for i in range(1, dof // 2):
        term *= m / i
        total += term
    return min(total, 1.0)


def spam_probability(words: set[str], model: dict[str, float]) -> float | None:
    """0 (ham-like) to 1 (spam-like), or None when too few known words to say."""
    probs = [model[w] for w in words if w in model]
    probs = [p for p in probs if abs(p - 0.5) >= 0.1]
    if len(probs) < MIN_TOKENS:
        return None
    probs.sort(key=lambda p: -abs(p - 0.5))
    probs = [min(max(p, 0.001), 0.999) for p in probs[:MAX_TOKENS_USED]]
    n = len(probs)
    spam_ev = 1.0 - _chi2q(-2.0 * sum(math.log(1 - p) for p in probs), 2 * n)
    ham_ev = 1.0 - _chi2q(-2.0 * sum(math.log(p) for p in probs), 2 * n)
    return (spam_ev - ham_ev + 1.0) / 2.0


BANDS = ((0.99, "99"), (0.95, "95"), (0.8, "80"))


def band(probability: float | None) -> str | None:
    """The band a probability falls in ("99", "95", "80"), or None below 0.8."""
    if probability is None:
        return None
    for floor, name in BANDS:
        if probability >= floor:
            return name
    return None


@functools.cache
def model() -> dict[str, float]:
    """The shipped model; empty (the signal is off) when the file is missing or unreadable."""
    try:
        data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tokens_ = data.get("tokens", {}) if isinstance(data, dict) else {}
    return {str(k): float(v) for k, v in tokens_.items()}


def save(model_: dict[str, float], *, note: str) -> None:
    MODEL_FILE.write_text(
        json.dumps({"note": note, "tokens": dict(sorted(model_.items()))}, indent=0) + "\n",
        encoding="utf-8",
    )
