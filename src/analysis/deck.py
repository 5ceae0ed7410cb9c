"""The deck's own quantitative statements, as a machine-readable registry.

The METI deck 「ディープテックに対応した産学官連携」 quotes numbers of its own (partnership amounts, Kyushu
University case counts, Quantonation funds, the Fraunhofer rule, UC Berkeley SkyDeck, ...). They are shown as
*the deck's statements* (source = the deck), never mixed into a measured series.

The statements are data, in ``src/analysis/deck_statements.toml`` (read and validated by
:func:`load_statements`, cached by :func:`all_statements`, also as ``deck.STATEMENTS``). Every
:class:`Statement` keeps the exact quote from ``data/raw/deck/deck.txt`` and the part of the quote that holds
the number; the value is parsed from that text (:func:`parse_number`), never typed. Where the project holds an
independent source for the same quantity (``data/raw/japan/deck_misc_sources.csv``, loaded through
``analysis.sources.japan``), :func:`crosscheck` compares the two and reports ``agree`` / ``differ`` /
``not available``. :func:`consistency` checks the deck against itself (parts that should add up, yen amounts
converted at the rate the deck states).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import inputs
from .datafiles import FieldSpec, check_choice, check_fields, read_toml
from .errors import DataFileError, ParameterError

DECK_FILE = Path("deck") / "deck.txt"

AGREE, DIFFER, NOT_AVAILABLE = "agree", "differ", "not available"
STATUSES = (AGREE, DIFFER, NOT_AVAILABLE)
QUALIFIERS = {"exact", "approx", "max", "at_least", "each"}
TOPICS = ("partnership", "kyushu", "quantonation", "fraunhofer", "skydeck", "us_vc")
UNITS = ("JPY", "USD", "SGD", "EUR", "count", "persons", "%", "share", "JPY/EUR")
DEFAULT_REL_TOL = 0.05

_MULT = {"": 1.0, "万": 1e4, "億": 1e8, "兆": 1e12, "k": 1e3, "M": 1e6, "bn": 1e9}
_NUM_RE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*(万|億|兆|k|M|bn)?$")
_FRAC_RE = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_WORDS = {"半分": 0.5}


def parse_number(text: str) -> float:
    """Parse the number in a piece of deck text: '5,400万' -> 54e6, '7.1億' -> 7.1e8, '90.1M' -> 90.1e6, '1/3' -> 0.333.

    Accepts digits with thousands commas and decimals, an optional multiplier (万, 億, 兆, k, M, bn; spaces
    allowed before it, as in '8,500 万'), a simple fraction 'a/b', or the word 半分 (half).
    """
    s = text.strip()
    if s in _WORDS:
        return _WORDS[s]
    m = _FRAC_RE.match(s)
    if m:
        return int(m.group(1)) / int(m.group(2))
    m = _NUM_RE.match(s)
    if not m:
        raise ValueError(f"cannot parse a number from {text!r} (expected e.g. '5,400万', '7.1億', '90.1M', '1/3')")
    return float(m.group(1).replace(",", "")) * _MULT[m.group(2) or ""]


@dataclass(frozen=True)
class Check:
    """How to find the same quantity in the collected sources (tidy ``japan`` frame, by ``indicator``).

    The source value is the sum of the ``numerator`` indicators in ``year`` (``None`` = the undated row; a tuple
    gives one year per numerator indicator); with a ``denominator`` it is the ratio numerator/denominator in
    ``year`` (x100 when the statement's unit is ``%``).
    """

    numerator: tuple[str, ...]
    year: int | None | tuple[int | None, ...]
    denominator: tuple[str, ...] = ()
    note_en: str = ""
    note_ja: str = ""


@dataclass(frozen=True)
class Statement:
    """One quantitative statement of the deck.

    ``quote`` is verbatim deck text (line breaks kept); ``number`` (and ``number_high`` for a range) is the part
    of the quote that holds the value. ``unit`` is a base unit (JPY, USD, SGD, EUR, count, persons, %,
    share, JPY/EUR). ``equivalent_of`` names the statement whose amount this one restates in yen.
    """

    id: str
    topic: str
    subject_en: str
    subject_ja: str
    quantity_en: str
    quantity_ja: str
    quote: str
    number: str
    unit: str
    qualifier: str = "exact"
    year: int | None = None
    period: str = ""
    number_high: str = ""
    equivalent_of: str = ""
    checks: tuple[Check, ...] = ()
    check_note_en: str = ""
    check_note_ja: str = ""

    @property
    def value(self) -> float:
        """The value parsed from ``number`` (the lower bound for a range)."""
        return parse_number(self.number)

    @property
    def value_high(self) -> float:
        """Upper bound of a range statement, NaN otherwise."""
        return parse_number(self.number_high) if self.number_high else math.nan

    def subject(self, lang: str) -> str:
        return self.subject_en if lang == "en" else self.subject_ja

    def quantity(self, lang: str) -> str:
        return self.quantity_en if lang == "en" else self.quantity_ja


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


STATEMENTS_FILE = "deck_statements.toml"  # package data, relative to src/analysis/ (analysis.inputs.package)

# TOML keys of a [[statement]] table and of its [[statement.check]] tables: key -> (type, required)
_STATEMENT_KEYS: FieldSpec = {
    "id": (str, True), "topic": (str, True), "subject_en": (str, True), "subject_ja": (str, True),
    "quantity_en": (str, True), "quantity_ja": (str, True), "quote": (str, True), "number": (str, True),
    "unit": (str, True), "qualifier": (str, False), "year": (int, False), "period": (str, False),
    "number_high": (str, False), "equivalent_of": (str, False), "check_note": (str, False),
    "check_note_en": (str, False), "check_note_ja": (str, False), "check": (list, False),
}
_CHECK_KEYS: FieldSpec = {
    "numerator": (list, True), "year": ((int, list), False), "denominator": (list, False),
    "note_en": (str, False), "note_ja": (str, False),
}
def _check_entry(path: Path, entry: object, row: int, sid: str, j: int) -> Check:
    """One [[statement.check]] table as a :class:`Check`."""
    what = f"statement {sid!r}, check #{j}"
    check_fields(path, entry, _CHECK_KEYS, row, what, "check.")
    for key in ("numerator", "denominator"):
        names = entry.get(key, [])
        if key == "numerator" and not names:
            raise DataFileError(path, f"{what}: numerator is empty", column="check.numerator", row=row)
        if not all(isinstance(n, str) and n for n in names):
            raise DataFileError(path, f"{what}: {key} must list indicator names", column=f"check.{key}", row=row)
    year = entry.get("year")
    if isinstance(year, list):
        if len(year) != len(entry["numerator"]) or not all(isinstance(y, int) and not isinstance(y, bool)
                                                          for y in year):
            raise DataFileError(path, f"{what}: a year list gives one integer year per numerator indicator "
                                f"({len(entry['numerator'])})", column="check.year", row=row)
        year = tuple(year)
    return Check(tuple(entry["numerator"]), year, tuple(entry.get("denominator", ())),
                 entry.get("note_en", ""), entry.get("note_ja", ""))


def _statement_entry(path: Path, entry: object, row: int, notes: dict[str, tuple[str, str]]) -> Statement:
    """One [[statement]] table as a :class:`Statement` (field types, known values, number inside the quote)."""
    check_fields(path, entry, _STATEMENT_KEYS, row, f"statement #{row}")
    fields = dict(entry)
    sid = fields["id"]
    what = f"statement {sid!r}"
    check_choice(path, fields["topic"], TOPICS, what, "topic", row)
    check_choice(path, fields.get("qualifier", "exact"), sorted(QUALIFIERS), what, "qualifier", row)
    check_choice(path, fields["unit"], UNITS, what, "unit", row)
    for key in ("number", "number_high"):
        if fields.get(key):
            try:
                parse_number(fields[key])
            except ValueError as exc:
                raise DataFileError(path, f"{what}: {exc}", column=key, row=row) from exc
            if fields[key] not in fields["quote"]:
                raise DataFileError(path, f"{what}: {key} {fields[key]!r} is not part of the quote", column=key,
                                    row=row)
    if "check_note" in fields:
        if "check_note_en" in fields or "check_note_ja" in fields:
            raise DataFileError(path, f"{what}: give check_note or check_note_en/_ja, not both", column="check_note",
                                row=row)
        name = fields.pop("check_note")
        check_choice(path, name, sorted(notes), what, "check_note", row)
        fields["check_note_en"], fields["check_note_ja"] = notes[name]
    fields["checks"] = tuple(_check_entry(path, c, row, sid, j) for j, c in enumerate(fields.pop("check", []), 1))
    if not fields["checks"] and not fields.get("check_note_en"):
        raise DataFileError(path, f"{what} has no [[statement.check]]: say why in check_note or check_note_en",
                            column="check_note", row=row)
    return Statement(**fields)


def load_statements(path: str | Path | None = None) -> tuple[Statement, ...]:
    """Read and validate the statements file (default: the package's ``deck_statements.toml``).

    The default file is opened through :func:`analysis.inputs.package`, so a notebook must declare it. A malformed
    entry raises :class:`DataFileError` naming the file, the field (column) and the statement number (row, from 1):
    a missing or unknown field, a value of the wrong type, an unknown topic / qualifier / unit / check note, a number
    that does not parse or is not in the quote, a duplicate id, an ``equivalent_of`` that names no statement.
    """
    path = Path(path) if path is not None else inputs.package(STATEMENTS_FILE)
    doc = read_toml(path, "statements file")
    unknown = set(doc) - {"statement", "check_notes"}
    if unknown:
        raise DataFileError(path, f"unknown top-level key(s) {sorted(unknown)}; expected [[statement]] and "
                            "[check_notes.<name>]")
    if not isinstance(doc.get("check_notes", {}), dict):
        raise DataFileError(path, "check_notes must be tables [check_notes.<name>]", column="check_notes")
    notes: dict[str, tuple[str, str]] = {}
    for name, note in doc.get("check_notes", {}).items():
        if (not isinstance(note, dict) or set(note) != {"en", "ja"}
                or not all(isinstance(v, str) and v for v in note.values())):
            raise DataFileError(path, "a check note is a table with text fields en and ja",
                                column=f"check_notes.{name}")
        notes[name] = (note["en"], note["ja"])
    entries = doc.get("statement")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(path, "no [[statement]] tables", column="statement")
    out: list[Statement] = []
    rows: dict[str, int] = {}
    for row, entry in enumerate(entries, 1):
        s = _statement_entry(path, entry, row, notes)
        if s.id in rows:
            raise DataFileError(path, f"duplicate statement id {s.id!r} (first at statement #{rows[s.id]})",
                                column="id", row=row)
        rows[s.id] = row
        out.append(s)
    units = {s.id: s.unit for s in out}
    for s in out:
        if s.equivalent_of and (units.get(s.equivalent_of, "JPY") == "JPY" or s.unit != "JPY"):
            problem = ("names no statement" if s.equivalent_of not in units else
                       "must name a non-yen statement that this yen statement restates")
            raise DataFileError(path, f"statement {s.id!r}: equivalent_of {s.equivalent_of!r} {problem}",
                                column="equivalent_of", row=rows[s.id])
    return tuple(out)


def all_statements() -> tuple[Statement, ...]:
    """The registered statements from the package data file (parsed once per process).

    The read is declared on every call, not only the first: one kernel may run several notebooks.
    """
    return _parsed_statements(inputs.package(STATEMENTS_FILE))


@functools.cache
def _parsed_statements(path: Path) -> tuple[Statement, ...]:
    return load_statements(path)


def __getattr__(name: str) -> object:
    # STATEMENTS is read on first use, not at import: importing analysis.deck opens no file
    if name == "STATEMENTS":
        return all_statements()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def by_id(statement_id: str) -> Statement:
    """The registered statement with this id (``ParameterError`` listing the ids otherwise)."""
    for s in all_statements():
        if s.id == statement_id:
            return s
    raise ParameterError("statement", statement_id, "unknown deck statement", [s.id for s in all_statements()])


def deck_path(raw: Path | None = None) -> Path:
    """Path of the vendored deck text, ``data/raw/deck/deck.txt`` (a raw input the notebook must declare)."""
    return inputs.raw(DECK_FILE, raw)


def deck_text(raw: Path | None = None) -> str:
    """The deck text (UTF-8), exactly as vendored."""
    path = deck_path(raw)
    if not path.exists():
        raise DataFileError(path, "deck text not found", hint="it is vendored in data/raw/deck/ (see its SOURCE.md)")
    return path.read_text(encoding="utf-8")


def check_topics(topics: object) -> list[str]:
    """Validate a ``topics`` parameter ('all' or a list of topic names)."""
    if topics == "all":
        return list(TOPICS)
    if isinstance(topics, str) or not isinstance(topics, (list, tuple)) or not topics:
        raise ParameterError("topics", topics, "expected 'all' or a non-empty list of topics", TOPICS)
    bad = [t for t in topics if t not in TOPICS]
    if bad:
        raise ParameterError("topics", bad[0], "unknown topic", TOPICS)
    return list(dict.fromkeys(topics))


def check_rel_tol(rel_tol: object) -> float:
    """Validate ``rel_tol`` (relative tolerance for 'agree'): a number in [0, 1)."""
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)) or not 0 <= rel_tol < 1:
        raise ParameterError("rel_tol", rel_tol, "expected a number in [0, 1), e.g. 0.05 for 5 %")
    return float(rel_tol)


def locate(text: str, statements: tuple[Statement, ...] | None = None) -> pd.DataFrame:
    """Where each quote occurs in the deck text: id, number of occurrences, character offset of the first.

    ``statements`` defaults to the registered ones (:func:`all_statements`).
    """
    statements = all_statements() if statements is None else statements
    rows = [{"id": s.id, "occurrences": text.count(s.quote), "offset": text.find(s.quote)} for s in statements]
    return pd.DataFrame(rows)


def registry_frame(lang: str = "ja", topics: object = "all") -> pd.DataFrame:
    """All statements as a table: value parsed from the quote, unit, qualifier, year, period and the quote."""
    keep = set(check_topics(topics))
    rows = []
    for s in all_statements():
        if s.topic not in keep:
            continue
        rows.append({"id": s.id, "topic": s.topic, "subject": s.subject(lang), "quantity": s.quantity(lang),
                     "value": s.value, "value_high": s.value_high, "unit": s.unit, "qualifier": s.qualifier,
                     "year": s.year if s.year is not None else pd.NA, "period": s.period,
                     "equivalent_of": s.equivalent_of, "quote": " ".join(s.quote.split()),
                     "source": "METI deck (data/raw/deck/deck.txt)"})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


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
