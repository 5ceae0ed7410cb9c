"""The deck's quantitative statements as a validated registry, read from ``deck_statements.toml``.

Every :class:`Statement` keeps the exact quote from ``data/raw/deck/deck.txt`` and the part of the quote that
holds the number; the value is parsed from that text (:func:`parse_number`), never typed. The file is read and
validated by :func:`load_statements` and cached by :func:`all_statements`. Importable from :mod:`analysis.deck`.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from . import inputs
from .datafiles import FieldSpec, check_choice, check_fields, read_toml
from .errors import DataFileError, ParameterError

QUALIFIERS = {"exact", "approx", "max", "at_least", "each"}
TOPICS = ("partnership", "kyushu", "quantonation", "fraunhofer", "skydeck", "us_vc")
UNITS = ("JPY", "USD", "SGD", "EUR", "count", "persons", "%", "share", "JPY/EUR")

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


def by_id(statement_id: str) -> Statement:
    """The registered statement with this id (``ParameterError`` listing the ids otherwise)."""
    for s in all_statements():
        if s.id == statement_id:
            return s
    raise ParameterError("statement", statement_id, "unknown deck statement", [s.id for s in all_statements()])


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
