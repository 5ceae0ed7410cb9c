"""Japanese (and deck-comparison) series collected in ``data/raw/japan/*.csv`` -> tidy data.

Every CSV in the folder has the columns ``series, year, value, unit, source_id, reliability, note``
(see ``data/raw/japan/SOURCE.md``). A series name may carry a breakdown category after a bar,
``name|X``: the tidy ``indicator`` is ``name`` and ``entity`` is ``X`` (a university, a group of
universities, a country code, a funding flow); without a bar the entity is the series' natural one.

The rules are tables in :mod:`analysis.sources.japan_rules` (``SERIES_RULES``, ``UNITS``, ``FLAG_RULES``,
``RELIABILITY`` ...), decided from SOURCE.md once per series family, not guessed per row; in short:
Japanese national totals are entity ``JPN``, US ones ``USA``, a university its own name; years are
``fiscal_jp`` (年度), ``calendar``, ``fiscal_us`` or ``unknown``; values are converted exactly to base units,
the value as written kept at the start of ``note``. Besides:

- ``japan_series.toml`` (package data, read with :func:`series_specs`): every series' kind (count, amount,
  share, persons, ...), the units of that kind, its value bounds (no negative count or amount) and its
  plausible years (from the publisher's survey start to the current year + 1). A row outside these is an
  error naming file, row, column and the allowed values; an unknown series is an error too.

``read_file`` loads one file in this format (also used for user-supplied files that fill gaps);
``load`` loads the folder. Choosing between sources (``best``), the rows a figure leaves out (``unused_rows``)
and display names (``entity_label``) are in :mod:`analysis.sources.japan_select`, importable from here too.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from .. import inputs, vintages
from ..errors import DataFileError
from ..schema import latest_year, read_csv_strings, tidy, to_numeric
from .japan_rules import (COUNTRY_CODES, ENTITY_EN, FLAG_RULES, RELIABILITY, SERIES_RULES,  # noqa: F401
                          TOTAL_CATEGORIES, UNITS, _rule)
from .japan_select import _BEST_CACHE, _best, best, entity_label, unused_rows  # noqa: F401

SOURCE = "japan"
COLUMNS = ["series", "year", "value", "unit", "source_id", "reliability", "note"]
REQUIRED = ["series", "year", "value", "unit", "source_id", "reliability"]
# The loader's own declarations (relative to src/analysis/), part of its code like the tables of japan_rules: read
# directly, not through analysis.inputs, because the build and every user-file check need them whatever a notebook
# declares (execution.codegraph hashes japan_*.toml with this module).
SERIES_FILE = "sources/japan_series.toml"


@dataclass(frozen=True)
class SeriesSpec:
    """What one series may hold (from ``japan_series.toml``): kind, units, value bounds, plausible years."""

    name: str
    kind: str
    description: str
    base_units: tuple[str, ...]
    value_min: float | None
    value_max: float | None
    year_min: int
    year_max: int | None  # None: the current year + 1 (schema.latest_year)
    undated: bool  # an empty year is allowed (the source states none)
    publisher: str
    why: str

    @property
    def units(self) -> list[str]:
        """The units as written (keys of ``UNITS``) that this series accepts."""
        return [u for u, (_, base) in UNITS.items() if base in self.base_units]

    def years(self) -> tuple[int, int]:
        """The plausible years, inclusive."""
        return self.year_min, self.year_max if self.year_max is not None else latest_year()

    def value_range(self) -> str:
        """The allowed values in words, e.g. '>= 0' or '0..100'."""
        lo, hi = self.value_min, self.value_max
        if lo is not None and hi is not None:
            return f"{lo:g}..{hi:g}"
        if lo is not None:
            return f">= {lo:g}"
        return f"<= {hi:g}" if hi is not None else "any"


def series_specs() -> dict[str, SeriesSpec]:
    """Every declared series (name -> spec), from ``japan_series.toml`` (parsed once per process)."""
    return _parse_specs(inputs.PACKAGE_DIR / SERIES_FILE)


@functools.lru_cache(maxsize=4)
def _parse_specs(path: Path) -> dict[str, SeriesSpec]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the series declarations: {exc}") from exc
    kinds = doc.get("kinds", {})
    known_bases = {base for _, base in UNITS.values()}
    for kname, k in kinds.items():
        if not k.get("base_units") or set(k["base_units"]) - known_bases:
            raise DataFileError(path, f"kind {kname!r}: base_units must be some of {sorted(known_bases)}",
                                column="base_units")
    specs: dict[str, SeriesSpec] = {}
    for group in doc.get("groups", []):
        for name, decl in group.get("series", {}).items():
            decl = {"kind": decl} if isinstance(decl, str) else decl
            kname = decl.get("kind")
            if kname not in kinds:
                raise DataFileError(path, f"series {name!r}: unknown kind {kname!r}", column="kind",
                                    hint=f"kinds: {', '.join(kinds)}")
            if name in specs:
                raise DataFileError(path, f"series {name!r} is declared twice", column="series")
            kind = kinds[kname]
            bases = tuple(kind["base_units"])
            currency = decl.get("currency", group.get("currency"))
            if len(bases) > 1:  # money: the series' own currency only
                if currency not in bases:
                    raise DataFileError(path, f"series {name!r} ({kname}) needs a currency, one of {list(bases)}",
                                        column="currency")
                bases = (currency,)
            year_min = decl.get("year_min", group.get("year_min"))
            if not isinstance(year_min, int):
                raise DataFileError(path, f"series {name!r} has no integer year_min", column="year_min")
            specs[name] = SeriesSpec(
                name=name, kind=kname, description=kind.get("description", kname), base_units=bases,
                value_min=kind.get("min"), value_max=kind.get("max"), year_min=year_min,
                year_max=decl.get("year_max", group.get("year_max")), undated=bool(decl.get("undated", False)),
                publisher=group.get("publisher", ""), why=decl.get("why", group.get("why", "")))
    return specs


def _check_row(path: Path, pos: int, spec: SeriesSpec, unit: str, year: int | None, value: float,
               written: str) -> None:
    """The row fits its series: a unit of the series' kind, a plausible year, a value within the kind's bounds."""
    base_unit = UNITS[unit][1]
    if base_unit not in spec.base_units:
        raise _bad(path, "unit", pos, f"unit {unit!r} ({base_unit}) does not fit series {spec.name!r}, a {spec.kind} "
                   f"({spec.description})", hint=f"allowed units: {', '.join(spec.units)}")
    lo, hi = spec.years()
    if year is None and not spec.undated:
        raise _bad(path, "year", pos, f"missing year for series {spec.name!r}",
                   hint=f"allowed years: {lo}..{hi}; only series declared undated in {SERIES_FILE} may omit it")
    if year is not None and not lo <= year <= hi:
        last = f" ({hi} = the current year + 1)" if spec.year_max is None else ""
        raise _bad(path, "year", pos, f"year {year} is outside the plausible years of series {spec.name!r}",
                   hint=f"allowed years: {lo}..{hi}{last}; {spec.publisher}: {spec.why}")
    if (spec.value_min is not None and value < spec.value_min) or \
            (spec.value_max is not None and value > spec.value_max):
        what = "negative value" if spec.value_min == 0 and value < 0 else "value"
        raise _bad(path, "value", pos, f"{what} {written} {unit} is not possible for series {spec.name!r}, "
                   f"a {spec.kind}", hint=f"allowed values: {spec.value_range()} {base_unit}")


def _unknown_series(path: Path, pos: int, base: str, specs: dict[str, SeriesSpec]) -> DataFileError:
    close = difflib.get_close_matches(base, list(specs), n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(close)}? " if close else "") + \
        f"allowed values: the {len(specs)} series declared in src/analysis/{SERIES_FILE}"
    return _bad(path, "series", pos, f"unknown series {base!r}", hint=hint)


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a file as strings, with clear errors for empty, non-UTF-8 and wrongly delimited files."""
    df = read_csv_strings(path, REQUIRED, hint=f"expected a header line {','.join(COLUMNS)}")
    if "note" not in df:
        df["note"] = ""
    return df[COLUMNS].apply(lambda s: s.str.strip())


def _bad(path: Path, column: str, pos: int, problem: str, hint: str | None = None) -> DataFileError:
    return DataFileError(path, problem, column=column, row=pos + 2, hint=hint)


def read_file(path: str | Path, *, source: str = SOURCE) -> pd.DataFrame:
    """Read and validate one CSV in the ``data/raw/japan`` format; return tidy rows in base units.

    Errors (``DataFileError`` naming file, column and row): missing file or required column, empty file,
    wrong delimiter, unknown series (not in ``japan_series.toml``), bad category, non-integer year, non-numeric
    or missing value, unknown unit or reliability grade, duplicate (series, year, source_id); and, from the
    series' declaration, a unit of another kind (a money unit on a count), a value out of the kind's bounds (a
    negative count or amount), a year outside the series' plausible years or a missing one. Every row is
    either returned or an error: none is dropped.
    """
    path = Path(path)
    specs = series_specs()
    df = _read_csv(path)
    to_numeric(df["value"], path, "value", allow_missing=False)  # row-numbered error for bad values
    for col in ("series", "source_id", "unit", "reliability"):
        blank = df[col] == ""
        if blank.any():
            raise _bad(path, col, int(np.flatnonzero(blank.to_numpy())[0]), "missing value")
    years: list[int | None] = []
    for pos, y in enumerate(df["year"]):
        if y != "" and not re.fullmatch(r"\d{4}", y):
            raise _bad(path, "year", pos, f"year {y!r} is not a 4-digit year",
                       hint="leave empty only if the source states no year")
        years.append(int(y) if y else None)
    dup = df[["series", "year", "source_id"]].duplicated(keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise _bad(path, "series+year+source_id", pos,
                   f"duplicate key (series={df['series'].iloc[pos]!r}, year={df['year'].iloc[pos]!r}, "
                   f"source_id={df['source_id'].iloc[pos]!r})")
    rows = []
    cols = {c: df[c].tolist() for c in COLUMNS}
    for pos in range(len(df)):
        series, unit, rel = cols["series"][pos], cols["unit"][pos], cols["reliability"][pos]
        if unit not in UNITS:
            raise _bad(path, "unit", pos, f"unknown unit {unit!r}", hint=f"known units: {', '.join(UNITS)}")
        if rel not in RELIABILITY:
            raise _bad(path, "reliability", pos, f"unknown reliability grade {rel!r}",
                       hint=f"valid grades: {', '.join(RELIABILITY)}")
        base, _, cat = series.partition("|")
        spec = specs.get(base)
        if spec is None:
            raise _unknown_series(path, pos, base, specs)
        rule = _rule(base)
        if rule is None:
            raise _bad(path, "series", pos, f"series {base!r} matches no rule of analysis.sources.japan.SERIES_RULES",
                       hint="add a rule giving its year type and entity")
        year_type, entity, etype, kind = rule
        indicator = base
        if cat:
            if kind is None:
                raise _bad(path, "series", pos, f"series {base!r} takes no '|category' (found {cat!r})")
            if cat in TOTAL_CATEGORIES and entity:
                pass  # national total: natural entity
            elif kind == "country_code":
                if cat not in COUNTRY_CODES:
                    raise _bad(path, "series", pos, f"unknown country code {cat!r}",
                               hint=f"known codes: {', '.join(COUNTRY_CODES)}")
                entity, etype, suffix = COUNTRY_CODES[cat]
                indicator = base + suffix
            else:
                entity, etype = cat, {"university": "university", "university_group": "university_group",
                                      "sector_flow": "sector"}[kind]
        elif not entity:
            raise _bad(path, "series", pos, f"series {base!r} needs a '|category' (e.g. a university or country)")
        try:
            mult, base_unit = UNITS[unit]
            converted = float(Decimal(cols["value"][pos]) * Decimal(mult))
        except InvalidOperation as exc:  # pragma: no cover - to_numeric already rejected non-numbers
            raise _bad(path, "value", pos, f"non-numeric value {cols['value'][pos]!r}") from exc
        year = years[pos]
        _check_row(path, pos, spec, unit, year, converted, cols["value"][pos])
        flags = ""
        if year is not None:
            flags = "".join(f for pat, y, f, _ in FLAG_RULES if y == year and re.fullmatch(pat, base))
        else:
            year_type = "unknown"
        original = f"{cols['value'][pos]} {unit}"
        note = cols["note"][pos]
        rows.append({
            "entity": entity, "entity_type": etype, "year": year, "year_type": year_type,
            "indicator": indicator, "unit": base_unit, "value": converted, "flags": flags,
            "source": source, "source_id": cols["source_id"][pos], "reliability": rel,
            "note": f"{original}; {note}" if note else original,
        })
    return tidy(pd.DataFrame(rows))


def files(raw_dir: Path) -> list[Path]:
    """The CSV files of ``raw_dir/japan`` (sorted; the third_party JSON is not read: the CSVs reshape it)."""
    folder = vintages.folder(raw_dir, SOURCE)
    found = sorted(folder.glob("*.csv"))
    if not found:
        raise DataFileError(folder, "no CSV files found")
    return found


def load(raw_dir: Path) -> pd.DataFrame:
    """Read every CSV in ``raw_dir/japan``; a (series, year, source_id) given in two files is an error."""
    frames = []
    seen: dict[tuple, str] = {}
    for path in files(raw_dir):
        df = read_file(path)
        for key in zip(df["indicator"], df["entity"], df["year"].astype("string").fillna(""), df["source_id"]):
            if key in seen:
                raise DataFileError(path, f"duplicate key {key} also in {seen[key]}", column="series+year+source_id")
            seen[key] = path.name
        frames.append(df)
    return tidy(pd.concat(frames, ignore_index=True))
