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

The statements and their file are in :mod:`analysis.deck_registry`, the checks in
:mod:`analysis.deck_checks`; every public name of both is importable from here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import inputs
from .deck_checks import (AGREE, CONSISTENCY, DEFAULT_REL_TOL, DIFFER, NOT_AVAILABLE, STATUSES,  # noqa: F401
                          Consistency, check_rel_tol, consistency, crosscheck, implied_rates)
from .deck_registry import (QUALIFIERS, STATEMENTS_FILE, TOPICS, UNITS, Check, Statement,  # noqa: F401
                            all_statements, by_id, check_topics, load_statements, parse_number)
from .errors import DataFileError

DECK_FILE = Path("deck") / "deck.txt"


def __getattr__(name: str) -> object:
    # STATEMENTS is read on first use, not at import: importing analysis.deck opens no file
    if name == "STATEMENTS":
        return all_statements()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def deck_path(raw: Path | None = None) -> Path:
    """Path of the vendored deck text, ``data/raw/deck/deck.txt`` (a raw input the notebook must declare)."""
    return inputs.raw(DECK_FILE, raw)


def deck_text(raw: Path | None = None) -> str:
    """The deck text (UTF-8), exactly as vendored."""
    path = deck_path(raw)
    if not path.exists():
        raise DataFileError(path, "deck text not found", hint="it is vendored in data/raw/deck/ (see its SOURCE.md)")
    return path.read_text(encoding="utf-8")


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
