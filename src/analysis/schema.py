"""The one tidy schema every source module returns.

One row = one observation: ``value`` of ``indicator`` (in ``unit``) for ``entity`` in ``year``.

- ``year_type`` keeps calendar and fiscal years apart: ``calendar``, ``fiscal_jp`` (年度, April-March, named by
  the year it starts), ``fiscal_us`` (a US institution's fiscal year, named by the year it ends), ``edition``
  (a publication edition), or ``unknown`` (the source does not say).
- ``flags`` carries status codes as data (OECD: B break, D definition differs, E estimate, P provisional,
  K/W included in / includes another category), '' for none.
- ``source`` is the folder in data/raw; ``source_id`` the publication or table within it;
  ``reliability`` the collector's grade (``official`` for statistical-office releases).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .errors import DataFileError

TIDY_COLUMNS: dict[str, str] = {
    "entity": "string",
    "entity_type": "string",
    "year": "Int64",  # nullable: <NA> only where the source states no year (year_type "unknown")
    "year_type": "string",
    "indicator": "string",
    "unit": "string",
    "value": "float64",
    "flags": "string",
    "source": "string",
    "source_id": "string",
    "reliability": "string",
    "note": "string",
}
TIDY_KEY = ["source", "source_id", "entity", "year", "year_type", "indicator"]
YEAR_TYPES = {"calendar", "fiscal_jp", "fiscal_us", "edition", "unknown"}
ENTITY_TYPES = {"country", "aggregate", "sector", "university", "university_group", "organisation",
                "firm", "country_sector"}
STATUS_FLAGS = {"A", "B", "D", "E", "F", "I", "K", "L", "M", "N", "O", "P", "Q", "S", "U", "W"}
EARLIEST_YEAR = 1900  # no source of the project reaches further back (PWT starts in 1950)


def latest_year() -> int:
    """The latest plausible year of an observation: the current year + 1 (fiscal years, preliminary releases)."""
    return datetime.date.today().year + 1


def read_csv_strings(path: str | Path, required: Iterable[str], *, skiprows: int = 0,
                     hint: str | None = None) -> pd.DataFrame:
    """Read a CSV as strings ('' for blanks) with the checks every loader needs.

    Clear ``DataFileError`` for: a missing file, an empty file, non-UTF-8 bytes, a malformed or truncated CSV,
    a wrong delimiter (one column holding ';', tab or '|'), a missing required column, no data rows. Header names
    are stripped of surrounding spaces.
    """
    path = Path(path)
    required = list(required)
    if not path.exists():
        raise DataFileError(path, "file not found", hint=hint)
    try:
        df = pd.read_csv(path, skiprows=skiprows, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "file is empty", hint=hint) from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 encoded ({exc.reason})", hint="save the file as UTF-8 CSV") from exc
    except (pd.errors.ParserError, OSError, EOFError) as exc:
        raise DataFileError(path, f"malformed or truncated CSV: {exc}") from exc
    cols = [str(c).strip() for c in df.columns]
    if len(cols) == 1 and any(d in cols[0] for d in (";", "\t", "|")):
        raise DataFileError(path, "wrong delimiter: one column only; the format is comma-separated",
                            hint=f"header must contain {','.join(required)}" if required else hint)
    df.columns = cols
    require_columns(df, required, path)
    if df.empty:
        raise DataFileError(path, "file has a header but no data rows")
    return df


def require_columns(df: pd.DataFrame, required: Iterable[str], path: str | Path) -> None:
    """Raise a ``DataFileError`` naming the first required column that ``df`` lacks."""
    have = set(df.columns)
    for col in required:
        if col not in have:
            raise DataFileError(path, f"required column missing (found: {', '.join(map(str, df.columns))})",
                                column=col)


def to_numeric(series: pd.Series, path: str | Path, column: str, *, row_offset: int = 2,
               allow_missing: bool = True) -> pd.Series:
    """Parse a column as float; a non-numeric entry raises ``DataFileError`` with its file row number.

    ``row_offset`` converts the 0-based frame position into the 1-based line number in the file
    (2 = one header line).
    """
    s = series.astype("string").str.strip()
    blank = s.isna() | (s == "")
    out = pd.to_numeric(s.where(~blank), errors="coerce").astype("float64")
    bad = out.isna() & ~blank
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"non-numeric value {s.iloc[pos]!r}", column=column, row=pos + row_offset)
    if not allow_missing and blank.any():
        pos = int(np.flatnonzero(blank.to_numpy())[0])
        raise DataFileError(path, "missing value", column=column, row=pos + row_offset)
    if np.isinf(out.to_numpy(dtype="float64", na_value=np.nan)).any():
        pos = int(np.flatnonzero(np.isinf(out.to_numpy(dtype="float64", na_value=np.nan)))[0])
        raise DataFileError(path, "infinite value", column=column, row=pos + row_offset)
    return out


def _plain(x: object) -> object:
    """numpy scalar -> Python scalar, so messages read 1952 rather than np.int64(1952)."""
    return x.item() if hasattr(x, "item") else x


def check_unique(df: pd.DataFrame, key: list[str], path: str | Path, *, row_offset: int = 2) -> None:
    """Raise ``DataFileError`` naming the first duplicated key and its file row."""
    dup = df.duplicated(key, keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        vals = ", ".join(f"{k}={_plain(df[k].iloc[pos])!r}" for k in key)
        raise DataFileError(path, f"duplicate key ({vals})", column="+".join(key), row=pos + row_offset)


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Cast to the tidy schema, fill optional text columns with '', sort deterministically."""
    out = df.copy()
    for col, dtype in TIDY_COLUMNS.items():
        if col not in out:
            out[col] = ""
        if dtype == "string":
            out[col] = out[col].astype("string").fillna("")
        else:
            out[col] = out[col].astype(dtype)
    out = out[list(TIDY_COLUMNS)]
    return out.sort_values(TIDY_KEY, kind="mergesort").reset_index(drop=True)


def validate_tidy(df: pd.DataFrame, name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Check a frame against the tidy schema: columns, dtypes, codes, finite values, plausible years, unique key.

    A year outside ``EARLIEST_YEAR``..``latest_year()`` raises ``DataFileError`` naming the tidy frame, ``path``
    (the source's raw folder, if given) and the row (0-based position in the frame) with its entity, indicator
    and source_id.
    """
    where = f"<tidy {name}>"
    require_columns(df, TIDY_COLUMNS, where)
    for col, dtype in TIDY_COLUMNS.items():
        if str(df[col].dtype) != dtype:
            raise DataFileError(where, f"dtype {df[col].dtype} is not {dtype}", column=col)
    bad = set(df["year_type"].unique()) - YEAR_TYPES
    if bad:
        raise DataFileError(where, f"unknown year_type {sorted(bad)}", column="year_type")
    bad = set(df["entity_type"].unique()) - ENTITY_TYPES
    if bad:
        raise DataFileError(where, f"unknown entity_type {sorted(bad)}", column="entity_type")
    if df["value"].isna().any() or not np.isfinite(df["value"].to_numpy()).all():
        raise DataFileError(where, "missing or infinite value (gaps are absent rows, not NaN)", column="value")
    flags = set("".join(df["flags"].unique()))
    if flags - STATUS_FLAGS:
        raise DataFileError(where, f"unknown status flag(s) {sorted(flags - STATUS_FLAGS)}", column="flags")
    no_year = df["year"].isna()
    if (no_year & (df["year_type"] != "unknown")).any():
        raise DataFileError(where, "missing year with a known year_type", column="year")
    check_years(df, f"{where} from {path}" if path is not None else where)
    check_unique(df, TIDY_KEY, where, row_offset=0)
    return df


def check_years(df: pd.DataFrame, where: str | Path) -> None:
    """Raise ``DataFileError`` for the first year outside ``EARLIEST_YEAR``..``latest_year()`` (gaps pass)."""
    lo, hi = EARLIEST_YEAR, latest_year()
    years = df["year"].astype("Float64")
    bad = ((years < lo) | (years > hi)).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        r = df.iloc[pos]
        raise DataFileError(where, f"year {_plain(r['year'])} is implausible (entity={r['entity']!r}, indicator="
                                   f"{r['indicator']!r}, source_id={r['source_id']!r})", column="year", row=pos,
                            hint=f"allowed years: {lo}..{hi}, the current year + 1")
