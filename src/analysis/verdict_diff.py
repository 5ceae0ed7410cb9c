"""``analysis diff OLD.csv NEW.csv``: the registered hypotheses' estimates, intervals and verdicts before and after.

The inputs are two verdict exports of the summary notebook (``output/tables/h5_summary_all_hypotheses/
verdicts.csv``), e.g. one saved after ``analysis reproduce --vintage msti=2025-03`` and one after a reproduce from
the newest vintage. Rows are matched on family, hypothesis, model and term; verdict flips come first, then
estimates that moved by more than the tolerance, then intervals or p-values that moved while the estimate did
not (with ``intervals``), then rows only one side has (and, with ``keep_unchanged``, the rows that did not
change, as ``unchanged``).
``compare_frames`` does the same for two verdict tables in memory (``analysis.vintage_verdicts`` re-estimates
each vintage and compares them with it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import io, paths
from .errors import DataFileError

KEY = ["family", "hypothesis", "model", "term"]
VALUES = ["estimate", "ci_low", "ci_high", "p_value", "n_obs", "verdict"]
ORDER = {"verdict flipped": 0, "estimate moved": 1, "interval moved": 2, "added": 3, "removed": 4, "unchanged": 5}
FLIPPED = "verdict flipped"


@dataclass(frozen=True)
class VerdictDiff:
    old: str
    new: str
    rtol: float
    table: pd.DataFrame  # KEY, change, <value>_old, <value>_new


def read_verdicts(path: str | Path) -> pd.DataFrame:
    """A verdict export, checked for the columns the comparison needs."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "verdict export not found",
                            hint="output/tables/h5_summary_all_hypotheses/verdicts.csv after a reproduce")
    df = pd.read_csv(path, dtype={"verdict": str}, keep_default_na=False, na_values=[""])
    missing = [c for c in KEY + VALUES if c not in df.columns]
    if missing:
        raise DataFileError(path, f"missing column(s) {', '.join(missing)}", column=missing[0])
    if df.duplicated(KEY).any():
        pos = int(df.duplicated(KEY).to_numpy().nonzero()[0][0])
        raise DataFileError(path, f"two rows for {tuple(df.loc[pos, KEY])}", row=pos + 2)
    df["verdict"] = df["verdict"].fillna("")
    return df[KEY + VALUES]


def _moved(old: pd.Series, new: pd.Series, rtol: float) -> pd.Series:
    """``|new - old| > rtol * |old|``; a value that appears or disappears (NaN on one side only) moved too."""
    return ((new - old).abs() > rtol * old.abs()) | (old.isna() != new.isna())


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, *, rtol: float = 1e-6, intervals: bool = False,
                   keep_unchanged: bool = False) -> pd.DataFrame:
    """Two verdict tables (columns ``KEY`` + ``VALUES``) matched on ``KEY``: ``KEY``, ``change``, then
    ``<value>_old`` and ``<value>_new`` for each of ``VALUES``; flips first (see the module docstring).
    ``intervals`` also reports ``interval moved``; ``keep_unchanged`` keeps the other rows as ``unchanged``
    (``compare`` uses neither: its changes are the ones ``analysis.output_diff`` maps)."""
    a, b = a[KEY + VALUES], b[KEY + VALUES]
    m = a.merge(b, on=KEY, how="outer", suffixes=("_old", "_new"), indicator="side")
    both = m["side"] == "both"
    change = pd.Series("unchanged" if keep_unchanged else "", index=m.index, dtype=object)
    interval = pd.Series(False, index=m.index)
    for col in ("ci_low", "ci_high", "p_value"):
        interval |= _moved(m[f"{col}_old"], m[f"{col}_new"], rtol)
    if intervals:
        change[both & interval] = "interval moved"
    change[both & _moved(m["estimate_old"], m["estimate_new"], rtol)] = "estimate moved"
    change[both & (m["verdict_old"] != m["verdict_new"])] = FLIPPED
    change[m["side"] == "left_only"] = "removed"
    change[m["side"] == "right_only"] = "added"
    m = m.assign(change=change)[change != ""]
    m = m.assign(_order=m["change"].map(ORDER)).sort_values(["_order", *KEY], kind="mergesort")
    cols = KEY + ["change"] + [f"{v}_{s}" for v in VALUES for s in ("old", "new")]
    return m[cols].reset_index(drop=True)


def compare(old: str | Path, new: str | Path, *, rtol: float = 1e-6) -> VerdictDiff:
    """Every hypothesis row whose verdict flipped or whose estimate moved by more than ``rtol`` (relative)."""
    return VerdictDiff(str(old), str(new), rtol, compare_frames(read_verdicts(old), read_verdicts(new), rtol=rtol))


def flip_count(table: pd.DataFrame) -> str:
    """``"0 verdict flips"``, ``"1 verdict flip"``, ``"2 verdict flips"``."""
    n = int((table["change"] == FLIPPED).sum())
    return f"{n} verdict flip{'' if n == 1 else 's'}"


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return "" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def markdown(d: VerdictDiff) -> str:
    """Flips first, as one Markdown table."""
    flips = int((d.table["change"] == FLIPPED).sum())
    out = [f"# Hypotheses: {d.old} -> {d.new}", "",
           f"{flips} verdict flip(s); estimates compared with relative tolerance {d.rtol:g}.", ""]
    if d.table.empty:
        return "\n".join(out + ["No estimate or verdict changed.", ""])
    return "\n".join(out + markdown_table(d.table) + [""])


def markdown_table(table: pd.DataFrame) -> list[str]:
    """The lines of ``table`` as one Markdown table (numbers to 4 significant digits)."""
    cols = list(table.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return out + ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in table.itertuples(index=False)]


def write(d: VerdictDiff, folder: Path | None = None) -> tuple[Path, Path]:
    """``output/diff/verdicts.csv`` and ``verdicts.md`` (atomically)."""
    folder = Path(folder or paths.output_dir() / "diff")
    io.write_csv(folder / "verdicts.csv", d.table)
    io.write_text(folder / "verdicts.md", markdown(d))
    return folder / "verdicts.csv", folder / "verdicts.md"
