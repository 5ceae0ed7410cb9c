"""Registered hypotheses (``analysis/hypotheses/*.toml``) and verdicts computed from estimates.

A hypothesis is written down before estimation: the coefficient(s) that carry it, the expected sign and the
decision rule. ``verdict()`` turns an estimate into supported / not supported / contrary; nothing else does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataFileError, ParameterError

HYPOTHESES_DIR = Path(__file__).parent / "hypotheses"
REQUIRED = ("id", "family", "statement", "unit", "data", "outcome", "regressors", "coefficients",
            "expected_sign", "estimators", "inference", "alpha")
SIGNS = {"+", "-"}
SUPPORTED, NOT_SUPPORTED, CONTRARY = "supported", "not supported", "contrary"


@dataclass(frozen=True)
class Hypothesis:
    id: str
    family: str
    statement: str
    unit: str
    data: str
    outcome: str
    regressors: list[str]
    coefficients: list[str]
    expected_sign: str
    estimators: list[str]
    inference: str
    alpha: float
    combine: str = "single"  # "single" coefficient, or "sum" of the listed coefficients
    decision_rule: str = ""
    headline: bool = True
    extra: dict = field(default_factory=dict)


def load(directory: Path | None = None) -> list[Hypothesis]:
    """Read every registry file; a malformed entry raises ``DataFileError`` naming file and field."""
    directory = directory or HYPOTHESES_DIR
    out: list[Hypothesis] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.toml")):
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataFileError(path, f"not valid TOML: {exc}") from exc
        for i, entry in enumerate(doc.get("hypothesis", [])):
            for key in REQUIRED:
                if key not in entry:
                    raise DataFileError(path, f"hypothesis #{i + 1} lacks {key!r}", column=key)
            if entry["expected_sign"] not in SIGNS:
                raise DataFileError(path, f"{entry['id']}: expected_sign must be '+' or '-'", column="expected_sign")
            if entry["id"] in seen:
                raise DataFileError(path, f"duplicate hypothesis id {entry['id']!r}", column="id")
            seen.add(entry["id"])
            known = {f for f in Hypothesis.__dataclass_fields__}
            extra = {k: v for k, v in entry.items() if k not in known}
            base = {k: v for k, v in entry.items() if k in known}
            if not base.get("decision_rule"):
                base["decision_rule"] = (f"two-sided test at {entry['alpha']:.0%}: supported if the estimate has sign "
                                         f"{entry['expected_sign']} and p < {entry['alpha']}; contrary if the opposite "
                                         f"sign with p < {entry['alpha']}; otherwise not supported")
            out.append(Hypothesis(**base, extra=extra))
    return out


def get(hid: str, directory: Path | None = None) -> Hypothesis:
    """One hypothesis by id."""
    hyps = {h.id: h for h in load(directory)}
    if hid not in hyps:
        raise ParameterError("hypothesis", hid, "not registered", sorted(hyps))
    return hyps[hid]


def verdict(estimate: float, p_value: float, expected_sign: str, alpha: float) -> str:
    """Decision rule: significant with the expected sign -> supported; significant and opposite -> contrary."""
    if expected_sign not in SIGNS:
        raise ParameterError("expected_sign", expected_sign, "must be '+' or '-'", sorted(SIGNS))
    if not (0 < alpha < 1):
        raise ParameterError("alpha", alpha, "must lie in (0, 1)")
    if p_value != p_value or estimate != estimate:  # NaN: estimate not identified
        return NOT_SUPPORTED
    if p_value >= alpha:
        return NOT_SUPPORTED
    right = estimate > 0 if expected_sign == "+" else estimate < 0
    return SUPPORTED if right else CONTRARY
