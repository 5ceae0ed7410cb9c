"""``analysis diff OLD.csv NEW.csv``: the registered hypotheses' estimates, intervals and verdicts before and after.

The inputs are two verdict exports of the summary notebook (``output/tables/h5_summary_all_hypotheses/
verdicts.csv``), e.g. one saved after ``analysis reproduce --vintage msti=2025-03`` and one after a reproduce from
the newest vintage. Rows are matched on family, hypothesis, model and term; verdict flips come first, then
estimates that moved by more than the tolerance, then rows only one side has.
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
ORDER = {"verdict flipped": 0, "estimate moved": 1, "added": 2, "removed": 3}


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


def compare(old: str | Path, new: str | Path, *, rtol: float = 1e-6) -> VerdictDiff:
    """Every hypothesis row whose verdict flipped or whose estimate moved by more than ``rtol`` (relative)."""
    a, b = read_verdicts(old), read_verdicts(new)
    m = a.merge(b, on=KEY, how="outer", suffixes=("_old", "_new"), indicator="side")
    eo, en = m["estimate_old"], m["estimate_new"]
    moved = (en - eo).abs() > rtol * eo.abs()
    change = pd.Series("", index=m.index, dtype=object)
    both = m["side"] == "both"
    change[both & moved] = "estimate moved"
    change[both & (m["verdict_old"] != m["verdict_new"])] = "verdict flipped"
    change[m["side"] == "left_only"] = "removed"
    change[m["side"] == "right_only"] = "added"
    m = m.assign(change=change)[change != ""]
    m = m.assign(_order=m["change"].map(ORDER)).sort_values(["_order", *KEY], kind="mergesort")
    cols = KEY + ["change"] + [f"{v}_{s}" for v in VALUES for s in ("old", "new")]
    return VerdictDiff(str(old), str(new), rtol, m[cols].reset_index(drop=True))


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return "" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def markdown(d: VerdictDiff) -> str:
    """Flips first, as one Markdown table."""
    flips = int((d.table["change"] == "verdict flipped").sum())
    out = [f"# Hypotheses: {d.old} -> {d.new}", "",
           f"{flips} verdict flip(s); estimates compared with relative tolerance {d.rtol:g}.", ""]
    if d.table.empty:
        return "\n".join(out + ["No estimate or verdict changed.", ""])
    cols = list(d.table.columns)
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in d.table.itertuples(index=False)]
    return "\n".join(out + [""])


def write(d: VerdictDiff, folder: Path | None = None) -> tuple[Path, Path]:
    """``output/diff/verdicts.csv`` and ``verdicts.md`` (atomically)."""
    folder = Path(folder or paths.output_dir() / "diff")
    io.write_csv(folder / "verdicts.csv", d.table)
    io.write_text(folder / "verdicts.md", markdown(d))
    return folder / "verdicts.csv", folder / "verdicts.md"
