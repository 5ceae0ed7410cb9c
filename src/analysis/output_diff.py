"""``analysis diff REV_A REV_B``: what changed in the outputs between two git revisions of the project.

Each side is a git revision (a branch, tag, sha or ``HEAD~1``), whose outputs are reproduced in a checkout of
that commit (:mod:`analysis.output_revisions`; cached under ``output/diff/.revisions/<sha>/``), or an existing
output folder holding ``tables/`` and ``figures/`` (a folder wins over a revision of the same name). Compared:
every CSV under ``tables/`` and ``figures/`` (:mod:`analysis.output_compare`: values that moved by more than
``rtol`` relative, gaps filled or opened, flags and verdicts that changed, rows, years, columns and files added or
removed), and the hypotheses of the verdict export with :func:`analysis.verdict_diff.compare`, whose verdict flips
come first. The working tree's uncommitted changes are part of no revision: comparing the checked-out commit
while the tree has them is refused (:class:`~analysis.output_revisions.DirtyTreeError`) unless ``allow_dirty``.

Output: ``output/diff/outputs_<old>_<new>.csv`` (one tidy row per change: ``file, key, column, change, old, new,
rel_change``) and ``.md`` (a summary of counts per file, the verdict flips, then each file), written atomically.
A revision is named by the first 12 digits of its commit, a folder by its name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from . import io, output_compare, output_revisions, paths, verdict_diff
from .errors import DataFileError, ParameterError
from .output_compare import COLUMNS

VERDICTS = "tables/h5_summary_all_hypotheses/verdicts.csv"
MD_ROWS_PER_FILE = 60  # the Markdown lists this many changes of a file; the CSV lists all
_VERDICT_CHANGE = {"verdict flipped": ("verdict flipped", "verdict"), "estimate moved": ("moved", "estimate"),
                   "added": ("row added", ""), "removed": ("row removed", "")}


@dataclass(frozen=True)
class Side:
    """One side of a diff: what the user named, how files and headings call it, and its output folder (for a
    commit not yet reproduced: its repository)."""
    text: str
    label: str
    title: str
    folder: Path
    commit: str | None = None


@dataclass(frozen=True)
class OutputDiff:
    old: Side
    new: Side
    rtol: float
    table: pd.DataFrame  # COLUMNS, verdict flips first, then by file and kind of change
    keys: dict[str, list[str]]  # file both sides have -> the columns its rows were matched on
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """file -> kind of change -> number of changes."""
        out: dict[str, dict[str, int]] = {}
        for (f, change), n in self.table.groupby(["file", "change"], sort=False).size().items():
            out.setdefault(f, {})[change] = int(n)
        return {f: dict(sorted(c.items(), key=lambda kv: output_compare.KINDS.index(kv[0])))
                for f, c in sorted(out.items())}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "outputs"


def locate(text: str, *, repo: Path | None = None, allow_dirty: bool = False) -> Side:
    """An output folder as it is, or the commit ``text`` names (its folder is filled in by :func:`materialise`).
    Checks everything that can fail fast: the folder's layout, the revision, a dirty working tree."""
    folder = Path(text)
    if folder.is_dir():
        output_compare.output_csvs(folder)  # refuses a folder without tables/ and figures/
        return Side(text, _safe(folder.resolve().name), f"folder {folder}", folder)
    top = output_revisions.repository(Path(repo or paths.project_root()))
    sha = output_revisions.resolve(top, text)
    if not allow_dirty:
        output_revisions.check_clean(top, text, sha)
    title = sha[:12] if sha.startswith(text) else f"{text} ({sha[:12]})"
    return Side(text, sha[:12], title, top, sha)


def materialise(s: Side, *, build_data: bool = True, progress: Callable[[str], None] = lambda msg: None) -> Side:
    """A revision's outputs reproduced (or found in the cache ``output/diff/.revisions/<sha>/output``)."""
    if s.commit is None:
        return s
    cache = paths.output_dir() / "diff" / ".revisions"
    out = output_revisions.reproduce_revision(s.folder, s.text, s.commit, cache, build_data=build_data,
                                              progress=progress)
    return Side(s.text, s.label, s.title, out, s.commit)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return output_compare.number_text(value)
    return "" if value is None else str(value)


def _verdict_rows(vd: verdict_diff.VerdictDiff) -> pd.DataFrame:
    """The verdict comparison as tidy rows: a flip (and its estimate when it moved), a moved estimate, a row."""
    rows = []
    for r in vd.table.to_dict("records"):
        key = "; ".join(f"{k}={_cell(r[k])}" for k in verdict_diff.KEY)
        change, column = _VERDICT_CHANGE[r["change"]]
        eo, en = r["estimate_old"], r["estimate_new"]
        moved = not (math.isnan(eo) or math.isnan(en)) and abs(en - eo) > vd.rtol * abs(eo)
        rel = (en - eo) / abs(eo) if moved and eo != 0 else math.nan
        if column == "verdict":
            rows.append([VERDICTS, key, "verdict", change, _cell(r["verdict_old"]), _cell(r["verdict_new"]), math.nan])
        if column == "estimate" or (column == "verdict" and moved):
            rows.append([VERDICTS, key, "estimate", "moved", _cell(eo), _cell(en), rel])
        if not column:
            rows.append([VERDICTS, key, "", change, "", "", math.nan])
    return pd.DataFrame(rows, columns=COLUMNS)


def diff(old: str, new: str, *, rtol: float = 1e-6, repo: Path | None = None, allow_dirty: bool = False,
         build_data: bool = True, progress: Callable[[str], None] = lambda msg: None) -> OutputDiff:
    """Every change in the outputs from ``old`` to ``new`` (revisions or output folders)."""
    if not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol >= 0):
        raise ParameterError("tolerance", rtol, "must be a finite number >= 0")
    a, b = (locate(t, repo=repo, allow_dirty=allow_dirty) for t in (old, new))
    if a.commit and a.commit == b.commit:
        raise output_revisions.RevisionError(f"{old!r} and {new!r} are the same commit {a.commit[:12]}: nothing "
                                             "to compare (uncommitted changes belong to no revision)")
    a, b = (materialise(s, build_data=build_data, progress=progress) for s in (a, b))
    table, keys = output_compare.compare_folders(a.folder, b.folder, rtol=rtol)
    notes = []
    va, vb = a.folder / VERDICTS, b.folder / VERDICTS
    if va.is_file() and vb.is_file():
        try:
            verdicts = _verdict_rows(verdict_diff.compare(va, vb, rtol=rtol))
        except DataFileError as exc:  # e.g. an older export without a column: its rows are still compared below
            notes.append(f"The hypotheses could not be compared by verdict: {exc}")
        else:
            mine = table["file"] == VERDICTS
            dup = mine & (table["change"].isin(["row added", "row removed"]) | (table["column"] == "verdict")
                          | ((table["column"] == "estimate") & (table["change"] == "moved")))
            table = pd.concat([verdicts, table[~dup]], ignore_index=True)
            table = output_compare.order(table)
    else:
        notes.append(f"No verdict export ({VERDICTS}) on " + ("either side" if not (va.is_file() or vb.is_file())
                                                                 else "the " + ("old" if not va.is_file() else "new")
                                                                 + " side") + ".")
    flips = table["change"] == "verdict flipped"
    table = pd.concat([table[flips], table[~flips]], ignore_index=True)[COLUMNS]
    return OutputDiff(a, b, rtol, table, keys, notes)


def _md_cell(value: object) -> str:
    text = _cell(value) if not (isinstance(value, float) and math.isnan(value)) else ""
    if isinstance(value, float) and text:
        text = f"{value:+.3g}"
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(rows: pd.DataFrame, cols: list[str]) -> list[str]:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return out + ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in rows[cols].itertuples(index=False)]


def markdown(d: OutputDiff) -> str:
    """The diff as Markdown: what was compared, counts per file, verdict flips, then the changes of each file."""
    counts = d.counts()
    out = [f"# Outputs: {d.old.title} -> {d.new.title}", "",
           f"Compared every CSV under `tables/` and `figures/` ({len(d.keys)} in both; figure images are drawn from "
           f"them and not compared). A number moved when |new - old| > {d.rtol:g} x |old|; rows are matched on the "
           "key shown under each file. The CSV beside this file lists every change.", ""]
    out += [f"Note: {n}" for n in d.notes] + ([""] if d.notes else [])
    out += ["## Summary", ""]
    if not counts:
        out += ["No output changed.", ""]
    else:
        out += ["| file | changes |", "|---|---|"]
        out += [f"| `{f}` | " + ", ".join(f"{n} {k}" for k, n in c.items()) + " |" for f, c in counts.items()]
        out.append("")
    flips = d.table[d.table["change"] == "verdict flipped"]
    out += ["## Verdict flips", ""]
    out += (_md_table(flips, ["file", "key", "old", "new"]) if len(flips) else ["No verdict flipped."]) + [""]
    out += ["## Per file", ""] if counts else []
    for f in counts:
        rows = d.table[(d.table["file"] == f) & (d.table["change"] != "verdict flipped")]
        if rows.empty:
            continue
        out += [f"### `{f}`", ""]
        if f in d.keys:
            key = d.keys[f]
            out += ["Rows matched on " + (", ".join(f"`{k}`" for k in key) or "nothing (one row)")
                    + (" (`#`: the n-th of the rows no column tells apart)" if output_compare.OCCURRENCE in key
                       else "") + ".", ""]
        out += _md_table(rows.head(MD_ROWS_PER_FILE), ["key", "column", "change", "old", "new", "rel_change"])
        if len(rows) > MD_ROWS_PER_FILE:
            out.append(f"\n... and {len(rows) - MD_ROWS_PER_FILE} more change(s) of this file in the CSV.")
        out.append("")
    return "\n".join(out)


def write(d: OutputDiff, folder: Path | None = None) -> tuple[Path, Path]:
    """``outputs_<old>_<new>.csv`` and ``.md`` in ``folder`` (default ``output/diff``), written atomically."""
    folder = Path(folder or paths.output_dir() / "diff")
    stem = f"outputs_{d.old.label}_{d.new.label}"
    csv_path, md_path = folder / f"{stem}.csv", folder / f"{stem}.md"
    io.write_csv(csv_path, d.table)
    io.write_text(md_path, markdown(d))
    return csv_path, md_path


def run(old: str, new: str, *, rtol: float = 1e-6, output: Path | None = None, repo: Path | None = None,
        allow_dirty: bool = False, build_data: bool = True) -> tuple[Path, Path]:
    """Compare the outputs of ``old`` and ``new`` and write the CSV and the Markdown; return their paths.

    Prints nothing (a revision's reproduce writes its log to ``output/diff/.revisions/<sha>/reproduce.log``); the
    Markdown file holds the text of :func:`markdown`. ``repo`` is the git repository (default: the project's);
    ``allow_dirty`` compares the checked-out commit although the working tree has uncommitted changes (they are
    still not compared); ``build_data=False`` reproduces with ``--no-data`` (processed data committed)."""
    return write(diff(old, new, rtol=rtol, repo=repo, allow_dirty=allow_dirty, build_data=build_data), output)
