"""Classify every message of the bounce corpus and print how many fell in each class.

Usage: python benchmarks/bounces_corpus.py [CORPUS_DIR]  (default: ../shared/corpus/bounces)
Last line: one JSON object with the counts and the share of bounces whose recipient and
hard/soft/complaint class were found.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from mailsoftly.sending.bounces import parse

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bounces"


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    figures = {}
    started = time.perf_counter()
    total_files = 0
    for folder in ("bsd", "not", "err"):
        files = sorted((root / folder).glob("*"))
        kinds = Counter()
        found = 0
        for path in files:
            result = parse(path.read_bytes())
            kinds[result.kind] += 1
            if result.is_bounce and result.recipients:
                found += 1
        total_files += len(files)
        figures[folder] = {
            "files": len(files),
            "classes": dict(sorted(kinds.items())),
            "recipient_and_class_found": found,
            "share": round(found / len(files), 4) if files else None,
        }
        print(
            f"{folder}: {len(files)} files {dict(sorted(kinds.items()))}; "
            f"recipient and class found: {found}"
        )
    elapsed = time.perf_counter() - started
    figures["msgs_per_s"] = round(total_files / elapsed, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
