"""Two output folders compared value by value: every CSV under ``tables/`` and ``figures/``.

A file's rows are matched on a key: the identity columns of ``output_diff_keys.toml`` it has (entity, indicator,
year, hypothesis, model, term, ...), widened by tie-break columns while two rows share a key, or the key the file
declares there. Every CSV is read as text, so a value is never altered by reading it: a column is numeric when
every non-empty cell on both sides is a number, and key values are written canonically (``2021.0`` is ``2021``).
A numeric value *moved* when ``|new - old| > rtol * |old|`` (an exact zero ``old`` counts any change); an empty
cell becoming a number is ``gap filled``, the reverse ``now a gap``. One tidy row per change: ``COLUMNS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import datafiles
from .errors import DataFileError

RULES_FILE = Path(__file__).with_name("output_diff_keys.toml")
COLUMNS = ["file", "key", "column", "change", "old", "new", "rel_change"]
# The order changes are listed in, within a file (verdict flips of the verdict export come before every file).
KINDS = ["verdict flipped", "file removed", "file added", "column removed", "column added", "year removed",
         "year added", "row removed",
         "row added", "verdict changed", "flag changed", "moved", "gap filled", "now a gap", "changed"]
OCCURRENCE = "#"  # key column numbering rows that no column tells apart (the n-th row with that key)


@dataclass(frozen=True)
class Rules:
    """How rows are matched and changes named (read from ``output_diff_keys.toml``)."""
    identity: list[str]
    tiebreak: list[str]
    flags: list[str]
    flag_suffixes: list[str]
    verdicts: list[str]
    files: dict[str, dict[str, list[str]]]

    def kind_of(self, file: str, column: str) -> str:
        """What a change in a text column of ``file`` is called: ``flag changed``, ``verdict changed``, ``changed``."""
        if column in self.files.get(file, {}).get("flags", []) or column in self.flags \
                or column.endswith(tuple(self.flag_suffixes)):
            return "flag changed"
        return "verdict changed" if column in self.verdicts else "changed"


def _names(path: Path, table: dict, field: str, where: str) -> list[str]:
    value = table.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataFileError(path, f"{where}.{field} must be a list of column names", column=f"{where}.{field}")
    return value


def load_rules(path: Path = RULES_FILE) -> Rules:
    """The matching rules, checked (every field a list of column names; no unknown field)."""
    doc = datafiles.read_toml(path, "output diff rules")
    keys, cols, files = doc.get("keys", {}), doc.get("columns", {}), doc.get("files", {})
    list_spec = {"identity": (list, True), "tiebreak": (list, True)}
    datafiles.check_fields(path, keys, list_spec, 1, "[keys]", prefix="keys.")
    datafiles.check_fields(path, cols, {"flags": (list, True), "flag_suffixes": (list, True),
                                        "verdicts": (list, True)}, 2, "[columns]", prefix="columns.")
    checked: dict[str, dict[str, list[str]]] = {}
    for i, (name, table) in enumerate(files.items(), start=3):
        datafiles.check_fields(path, table, {"key": (list, False), "flags": (list, False)}, i,
                               f"[files.{name!r}]", prefix=f"files.{name}.")
        checked[name] = {f: _names(path, table, f, f"files.{name}") for f in table}
    return Rules(_names(path, keys, "identity", "keys"), _names(path, keys, "tiebreak", "keys"),
                 _names(path, cols, "flags", "columns"), _names(path, cols, "flag_suffixes", "columns"),
                 _names(path, cols, "verdicts", "columns"), checked)


def output_csvs(folder: Path) -> dict[str, Path]:
    """``tables/...csv`` and ``figures/...csv`` (POSIX paths relative to ``folder``) -> file."""
    folder = Path(folder)
    if not any((folder / part).is_dir() for part in ("tables", "figures")):
        raise DataFileError(folder, "not an output folder: it has neither tables/ nor figures/",
                            hint="an output/ folder after `analysis reproduce`")
    found = {}
    for part in ("tables", "figures"):
        for p in sorted((folder / part).rglob("*.csv")):
            rel = p.relative_to(folder)
            if p.is_file() and not any(s.startswith(".") for s in rel.parts):  # not a writer's temporary file
                found[rel.as_posix()] = p
    return found


def read_table(path: Path) -> pd.DataFrame:
    """An output CSV as text cells ("" for an empty cell), exactly as written."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"not a readable CSV: {exc}") from exc
    return df.astype(object)


def _numbers(cells: pd.Series) -> pd.Series | None:
    """The column as floats (NaN for an empty cell), or None when a non-empty cell is not a number."""
    nums = pd.to_numeric(cells.where(cells != ""), errors="coerce").astype(float)
    return None if (nums.isna() & (cells != "")).any() else nums


def number_text(x: float) -> str:
    """A number as the diff shows it: whole numbers without ``.0``, others at full precision; NaN as ""."""
    x = float(x)
    if math.isnan(x):
        return ""
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _canonical(old: pd.Series, new: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Key cells of a column written the same way on both sides when the column is numeric on both."""
    a, b = _numbers(old), _numbers(new)
    if a is None or b is None:
        return old, new
    return a.map(number_text), b.map(number_text)


def _repeats(df: pd.DataFrame, key: list[str]) -> bool:
    """Two rows of ``df`` share a key (with no key column: there are two rows)."""
    return bool(df.duplicated(key).any()) if key else len(df) > 1


def choose_key(file: str, old: pd.DataFrame, new: pd.DataFrame, rules: Rules, where: str | Path = "") -> list[str]:
    """The columns that identify a row of ``file`` on both sides (``OCCURRENCE`` last when none suffice)."""
    common = [c for c in new.columns if c in set(old.columns)]
    declared = rules.files.get(file, {}).get("key")
    if declared:
        missing = [c for c in declared if c not in common]
        if missing:
            raise DataFileError(where or file, f"declared key column(s) {', '.join(missing)} not in both revisions",
                                column=missing[0], hint=f"[files.{file!r}] in {RULES_FILE}")
        return list(declared)
    key = [c for c in common if c in rules.identity]
    extra = iter(c for c in rules.tiebreak if c in common and c not in key)
    while _repeats(old, key) or _repeats(new, key):
        nxt = next(extra, None)
        if nxt is None:
            return key + [OCCURRENCE]
        key.append(nxt)
    return key


def _key_text(df: pd.DataFrame, key: list[str], canon: dict[str, pd.Series]) -> pd.Series:
    """``col=value; col=value`` per row (canonical values; the occurrence number when the key needs one)."""
    cells = pd.DataFrame({c: canon[c] for c in key if c != OCCURRENCE}, index=df.index)
    if OCCURRENCE in key:
        cells[OCCURRENCE] = (cells.groupby(list(cells.columns), sort=False).cumcount() + 1).astype(str) \
            if len(cells.columns) else pd.Series(range(1, len(df) + 1), index=df.index).astype(str)
    out = pd.Series("", index=df.index, dtype=object)
    for i, c in enumerate(cells.columns):
        out = out + ("" if i == 0 else "; ") + c + "=" + cells[c].astype(str)
    return out


def _row_values(df: pd.DataFrame, skip: list[str]) -> list[str]:
    """A removed or added row's non-empty numeric cells, e.g. ``value=26506; per_million=20.2713451``."""
    nums = {c: _numbers(df[c]) for c in df.columns if c not in skip}
    nums = {c: v for c, v in nums.items() if v is not None}
    return ["; ".join(f"{c}={number_text(v[i])}" for c, v in nums.items() if not math.isnan(v[i]))
            for i in df.index]


def _rows(file: str, keys: list, column: str, change: str, old: list | str = "", new: list | str = "",
          rel: list | None = None) -> pd.DataFrame:
    """Tidy rows, one per key; a text ``old``/``new`` is the same for every row."""
    n = len(keys)
    return pd.DataFrame({"file": [file] * n, "key": list(keys), "column": [column] * n, "change": [change] * n,
                         "old": [old] * n if isinstance(old, str) else list(old),
                         "new": [new] * n if isinstance(new, str) else list(new),
                         "rel_change": [math.nan] * n if rel is None else list(rel)}, columns=COLUMNS)


def _column_changes(file: str, col: str, o: pd.Series, n: pd.Series, rtol: float, rules: Rules) -> list[pd.DataFrame]:
    """The changes of one column of the rows both sides have (``o`` and ``n`` indexed by key text)."""
    a, b = _numbers(o), _numbers(n)
    kind = rules.kind_of(file, col)
    if a is None or b is None or kind != "changed":  # text, or a flag/verdict column (0/1, True/False, codes)
        if a is not None and b is not None:
            o, n = a.map(number_text), b.map(number_text)
        hit = (o != n).to_numpy()
        return [_rows(file, o.index[hit], col, kind, o[hit], n[hit])] if hit.any() else []
    out = []
    moved = a.notna() & b.notna() & ((b - a).abs() > rtol * a.abs())
    for mask, change in ((moved, "moved"), (a.isna() & b.notna(), "gap filled"), (a.notna() & b.isna(), "now a gap")):
        m = mask.to_numpy()
        if m.any():
            rel = ((b - a) / a.abs()).where(a != 0)[m] if change == "moved" else None
            out.append(_rows(file, o.index[m], col, change, a[m].map(number_text), b[m].map(number_text), rel))
    return out


def _year_order(year: str) -> tuple[float, str]:
    try:
        return float(year), year
    except ValueError:
        return math.inf, year


def compare_tables(file: str, old: pd.DataFrame, new: pd.DataFrame, rtol: float, rules: Rules,
                   where: tuple[str | Path, str | Path] = ("", "")) -> tuple[pd.DataFrame, list[str]]:
    """The changes of one CSV (``COLUMNS``, in ``KINDS`` order, rows in file order) and the key it was matched on.
    ``where`` names the two files in errors."""
    parts = [_rows(file, [""], c, "column removed") for c in old.columns if c not in set(new.columns)]
    parts += [_rows(file, [""], c, "column added") for c in new.columns if c not in set(old.columns)]
    key = choose_key(file, old, new, rules, where[1])
    real = [c for c in key if c != OCCURRENCE]
    canon = {c: _canonical(old[c], new[c]) for c in real}
    ko = _key_text(old, key, {c: v[0] for c, v in canon.items()})
    kn = _key_text(new, key, {c: v[1] for c, v in canon.items()})
    for side, keys in ((0, ko), (1, kn)):
        dup = keys.duplicated().to_numpy()
        if dup.any():
            raise DataFileError(where[side] or file, f"two rows with the key {keys[dup].iloc[0]}",
                                row=int(dup.nonzero()[0][0]) + 2, hint=f"declare the file's key in {RULES_FILE}")
    if "year" in real:  # a year no row had before (or has any more), once per file
        yo, yn = set(canon["year"][0]) - {""}, set(canon["year"][1]) - {""}
        for change, years in (("year removed", yo - yn), ("year added", yn - yo)):
            if years:
                parts.append(_rows(file, [f"year={y}" for y in sorted(years, key=_year_order)], "year", change))
    o, n = old.set_axis(ko.to_numpy(), axis=0), new.set_axis(kn.to_numpy(), axis=0)
    gone, came = o.index[~o.index.isin(n.index)], n.index[~n.index.isin(o.index)]
    if len(gone):
        parts.append(_rows(file, gone, "", "row removed", _row_values(old[~o.index.isin(n.index)], real)))
    if len(came):
        parts.append(_rows(file, came, "", "row added", "", _row_values(new[~n.index.isin(o.index)], real)))
    shared = n.index[n.index.isin(o.index)]
    for col in [c for c in new.columns if c in set(old.columns) and c not in real]:
        parts += _column_changes(file, col, o.loc[shared, col], n.loc[shared, col], rtol, rules)
    return order(pd.concat(parts, ignore_index=True) if parts else _rows(file, [], "", "")), key


def order(table: pd.DataFrame) -> pd.DataFrame:
    """Changes by file, then in ``KINDS`` order; within a kind, rows keep their order (the file's)."""
    rank = table["change"].map({k: i for i, k in enumerate(KINDS)})
    return (table.assign(_r=rank).sort_values(["file", "_r"], kind="mergesort").drop(columns="_r")
            .reset_index(drop=True))


def compare_folders(old: Path, new: Path, *, rtol: float = 1e-6,
                    rules: Rules | None = None) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every change between two output folders (``COLUMNS``, by file) and the key each common file was matched on."""
    rules = rules or load_rules()
    a, b = output_csvs(old), output_csvs(new)
    parts = [_rows(f, [""], "", "file removed") for f in sorted(set(a) - set(b))]
    parts += [_rows(f, [""], "", "file added") for f in sorted(set(b) - set(a))]
    keys = {}
    for f in sorted(set(a) & set(b)):
        changes, keys[f] = compare_tables(f, read_table(a[f]), read_table(b[f]), rtol, rules, (a[f], b[f]))
        parts.append(changes)
    table = order(pd.concat(parts, ignore_index=True)) if parts else pd.DataFrame(columns=COLUMNS)
    return table[COLUMNS], keys
