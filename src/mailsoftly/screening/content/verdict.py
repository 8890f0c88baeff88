"""What a screen answers: a decision, a score and the reasons behind both."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    HOLD = "hold"
    BLOCK = "block"


_RANK = {Decision.PASS: 0, Decision.HOLD: 1, Decision.BLOCK: 2}

# Score thresholds. A reason may also force a minimum decision on its own (an attachment
# blocks whatever the score; content we could not parse is held whatever the score).
HOLD_AT = 5.0
BLOCK_AT = 15.0


def stricter(a: Decision, b: Decision) -> Decision:
    return a if _RANK[a] >= _RANK[b] else b


@dataclass(frozen=True)
class Reason:
    """One finding. ``template % params`` is the English message; translate ``template``."""

    code: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0
    forces: Decision = Decision.PASS

    @property
    def message(self) -> str:
        try:
            return self.template % self.params
        except (KeyError, TypeError, ValueError):
            return self.template

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "weight": round(self.weight, 2),
            "forces": str(self.forces),
            "template": self.template,
            "params": {k: str(v) for k, v in self.params.items()},
        }


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    score: float
    reasons: tuple[Reason, ...] = ()

    @classmethod
    def from_reasons(
        cls, reasons: list[Reason], *, hold_at: float = HOLD_AT, block_at: float = BLOCK_AT
    ) -> Verdict:
        score = round(sum(r.weight for r in reasons), 2)
        decision = Decision.PASS
        if score >= block_at:
            decision = Decision.BLOCK
        elif score >= hold_at:
            decision = Decision.HOLD
        for reason in reasons:
            decision = stricter(decision, reason.forces)
        ordered = sorted(reasons, key=lambda r: (-_RANK[r.forces], -r.weight, r.code))
        return cls(decision=decision, score=score, reasons=tuple(ordered))

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": str(self.decision),
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        reasons = tuple(
            Reason(
                code=r["code"],
                template=r.get("template") or r.get("message", ""),
                params=dict(r.get("params") or {}),
                weight=float(r.get("weight", 0)),
                forces=Decision(r.get("forces", "pass")),
            )
            for r in data.get("reasons", [])
        )
        return cls(decision=Decision(data["decision"]), score=float(data["score"]), reasons=reasons)
