"""The deck's statements checked: against the collected sources (:func:`crosscheck`, on the tidy ``japan``
frame from ``data/raw/japan/deck_misc_sources.csv``), against the deck itself (:func:`consistency`: parts that
should add up, yen amounts at the rate the deck states) and the exchange rates its yen equivalents imply
(:func:`implied_rates`). Importable from :mod:`analysis.deck`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from .deck_registry import all_statements, by_id, check_topics, parse_number
from .errors import ParameterError

AGREE, DIFFER, NOT_AVAILABLE = "agree", "differ", "not available"
STATUSES = (AGREE, DIFFER, NOT_AVAILABLE)
DEFAULT_REL_TOL = 0.05


@dataclass(frozen=True)
class Consistency:
    """An internal check of the deck: ``parts`` should add up to ``target`` (kind ``sum``), or amount x rate
    should give the yen figure ``target`` (kind ``convert``, parts = (amount, rate))."""

    id: str
    kind: str
    parts: tuple[str, ...]
    target: str
    label_en: str
    label_ja: str


CONSISTENCY: tuple[Consistency, ...] = (
    Consistency("samsung_parts", "sum", ("samsung_tamu", "samsung_ut"), "samsung_texas",
                "Samsung: Texas A&M + UT Austin = total", "サムスン: テキサスA&M大 + テキサス大 = 合計"),
    Consistency("utokyo_parts", "sum", ("utokyo_ibm", "google_utokyo_chicago"), "utokyo_chicago",
                "UTokyo–Chicago: IBM + Google = total", "東大–シカゴ大: IBM + Google = 合計"),
    Consistency("quantonation_aum_yen", "convert", ("quantonation_aum", "quantonation_eur_rate"), "quantonation_aum_jpy",
                "Quantonation AUM × 160 JPY/EUR = yen figure", "Quantonation 運用資産額 × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_public_yen", "convert", ("quantonation_public", "quantonation_eur_rate"), "",
                "Quantonation public money × 160 JPY/EUR = yen figure", "Quantonation 政府系 × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_fund1_yen", "convert", ("quantonation_fund1", "quantonation_eur_rate"),
                "quantonation_fund1_jpy", "Quantonation I × 160 JPY/EUR = yen figure",
                "Quantonation Ⅰ × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_fund2_yen", "convert", ("quantonation_fund2", "quantonation_eur_rate"),
                "quantonation_fund2_jpy", "Quantonation II × 160 JPY/EUR = yen figure",
                "Quantonation Ⅱ × 160円/ユーロ = 円換算額"),
)


def check_rel_tol(rel_tol: object) -> float:
    """Validate ``rel_tol`` (relative tolerance for 'agree'): a number in [0, 1)."""
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)) or not 0 <= rel_tol < 1:
        raise ParameterError("rel_tol", rel_tol, "expected a number in [0, 1), e.g. 0.05 for 5 %")
    return float(rel_tol)


def _source_value(japan: pd.DataFrame, indicators: tuple[str, ...], year: int | None | tuple[int | None, ...]
                  ) -> tuple[float | None, str, list[str], list[str], str]:
    """Sum of ``indicators`` in ``year``; returns (value, unit, source_ids, reliabilities, problem)."""
    vals, units, sids, rels = [], set(), [], []
    years = year if isinstance(year, tuple) else (year,) * len(indicators)
    for ind, year in zip(indicators, years, strict=True):
        rows = japan[japan["indicator"] == ind]
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        if rows.empty:
            when = "undated" if year is None else str(year)
            return None, "", [], [], f"{ind} ({when}) not in the data"
        if len(rows) > 1:
            return None, "", [], [], f"{ind} ({year}) has {len(rows)} rows; expected one"
        r = rows.iloc[0]
        vals.append(float(r["value"]))
        units.add(str(r["unit"]))
        sids.append(str(r["source_id"]))
        rels.append(str(r["reliability"]))
    if len(units) > 1:
        return None, "", [], [], f"units differ across {', '.join(indicators)}: {sorted(units)}"
    return sum(vals), units.pop(), sids, rels, ""


def crosscheck(japan: pd.DataFrame, rel_tol: float = DEFAULT_REL_TOL, lang: str = "en",
               topics: object = "all") -> pd.DataFrame:
    """Compare each statement with the collected sources (tidy ``japan`` frame, base units).

    One row per (statement, check); statements without a check get one ``not available`` row saying why.
    ``status`` is ``agree`` when |deck/source - 1| <= ``rel_tol`` (for a range statement: when the source value
    lies inside the range), ``differ`` otherwise, ``not available`` when the source value is missing.
    """
    rel_tol = check_rel_tol(rel_tol)
    keep = set(check_topics(topics))
    rows = []
    for s in all_statements():
        if s.topic not in keep:
            continue
        base = {"id": s.id, "topic": s.topic, "subject": s.subject(lang), "quantity": s.quantity(lang),
                "deck_value": s.value, "deck_value_high": s.value_high, "unit": s.unit, "qualifier": s.qualifier}
        if not s.checks:
            rows.append({**base, "source_value": math.nan, "source_indicators": "", "source_year": pd.NA,
                         "source_ids": "", "reliability": "", "rel_diff": math.nan, "status": NOT_AVAILABLE,
                         "note": s.check_note_en if lang == "en" else s.check_note_ja})
            continue
        for c in s.checks:
            note = c.note_en if lang == "en" else c.note_ja
            val, unit, sids, rels, problem = _source_value(japan, c.numerator, c.year)
            if val is not None and c.denominator:
                den, dunit, dsids, drels, problem = _source_value(japan, c.denominator, c.year)
                if den is not None and dunit != unit:
                    den, problem = None, f"numerator unit {unit} differs from denominator unit {dunit}"
                if den is None or den == 0:
                    val = None
                    problem = problem or "denominator is zero"
                else:
                    val = val / den * (100.0 if s.unit == "%" else 1.0)
                    unit, sids, rels = s.unit, sids + dsids, rels + drels
            elif val is not None and unit != s.unit:
                problem, val = f"source unit {unit} differs from the deck's unit {s.unit}", None
            inds = " + ".join(c.numerator) + (f" / ({' + '.join(c.denominator)})" if c.denominator else "")
            yr = c.year if isinstance(c.year, int) else max(y for y in c.year if y) if isinstance(c.year, tuple) else None
            row = {**base, "source_indicators": inds, "source_year": yr if yr is not None else pd.NA,
                   "source_ids": "; ".join(dict.fromkeys(sids)), "reliability": "; ".join(dict.fromkeys(rels))}
            if val is None:
                rows.append({**row, "source_value": math.nan, "rel_diff": math.nan, "status": NOT_AVAILABLE,
                             "note": f"{note}; {problem}" if note else problem})
                continue
            if s.number_high:
                status = AGREE if s.value <= val <= s.value_high else DIFFER
                rel = math.nan
            else:
                rel = s.value / val - 1.0
                status = AGREE if abs(rel) <= rel_tol + 1e-12 else DIFFER
            rows.append({**row, "source_value": val, "rel_diff": rel, "status": status, "note": note})
    out = pd.DataFrame(rows)
    out["source_year"] = out["source_year"].astype("Int64")
    return out


def consistency(rel_tol: float = DEFAULT_REL_TOL, lang: str = "en") -> pd.DataFrame:
    """Check the deck against itself: parts that should add up, and yen figures at the rate the deck states.

    A ``convert`` check without a target compares with the yen figure quoted in the same statement's text
    (e.g. '€50M（約80億円）'), parsed from the quote.
    """
    rel_tol = check_rel_tol(rel_tol)
    rows = []
    for c in CONSISTENCY:
        parts = [by_id(p) for p in c.parts]
        if c.kind == "sum":
            computed = sum(p.value for p in parts)
        elif c.kind == "convert":
            computed = parts[0].value * parts[1].value
        else:
            raise ValueError(f"unknown consistency kind {c.kind!r}")
        if c.target:
            stated = by_id(c.target).value
        else:
            m = re.search(r"約([\d,.]+億)円", parts[0].quote)
            if not m:
                raise ValueError(f"{c.id}: no yen figure in the quote of {parts[0].id}")
            stated = parse_number(m.group(1))
        rel = stated / computed - 1.0
        rows.append({"id": c.id, "kind": c.kind, "check": c.label_en if lang == "en" else c.label_ja,
                     "computed": computed, "stated": stated, "rel_diff": rel,
                     "status": AGREE if abs(rel) <= rel_tol + 1e-12 else DIFFER})
    return pd.DataFrame(rows)


def implied_rates(lang: str = "en") -> pd.DataFrame:
    """Yen per unit of the original currency implied by each pair (amount, deck's yen equivalent).

    The deck does not state these rates (except 160 JPY/EUR on the Quantonation slide); they are computed from
    the two figures the deck gives, so they carry the rounding of both.
    """
    rows = []
    for s in all_statements():
        if not s.equivalent_of:
            continue
        orig = by_id(s.equivalent_of)
        rows.append({"id": orig.id, "subject": orig.subject(lang), "amount": orig.value, "currency": orig.unit,
                     "jpy": s.value, "implied_jpy_per_unit": s.value / orig.value})
    return pd.DataFrame(rows)
