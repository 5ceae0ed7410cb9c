"""What the "What changed" page (``changes.html``) shows: the diffs in ``output/diff/``, read as they were written.

Three kinds of file, told apart by name (``layout.is_temporary`` files are never read):

- ``<source>_<old>_<new>.csv`` (``analysis diff msti=OLD msti=NEW``, columns ``vintage_diff.COLUMNS``): per
  figure, the values a new vintage revised by more than the tolerance, years added or removed, flags changed;
- ``verdicts.csv`` and ``verdicts_<source>_<old>_<new>.csv`` (``verdict_diff`` / ``vintage_verdicts``: ``KEY``,
  ``change``, ``<value>_old`` / ``_new``): estimates, intervals and verdicts before and after;
- ``outputs_<old>_<new>.csv`` (``output_diff``: two revisions of the outputs, one row per change: file, key,
  column, change, old, new, rel_change), per file, each file linked to its figure's page.

Every verdict flip of any of them is listed first.

The tolerance is the one the Markdown beside each CSV states (the CSV does not carry it). A file with other
columns is named on the page with what it lacks; the rest of the page still renders.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..execution import layout
from ..verdict_diff import KEY as VERDICT_KEY, ORDER as VERDICT_ORDER, VALUES as VERDICT_VALUES
from ..vintage_diff import COLUMNS as VINTAGE_COLUMNS, NOT_DRAWN
from .collect import diff_folder
from .i18n import label

OUTPUT_COLUMNS = ["file", "key", "column", "change", "old", "new", "rel_change"]
VERDICT_COLUMNS = [*VERDICT_KEY, "change", *(f"{v}_{s}" for v in VERDICT_VALUES for s in ("old", "new"))]
_VINTAGE = r"(?:19|20)\d{2}(?:-\d{2}(?:-\d{2}(?:T\d{4}Z)?)?)?"
VINTAGE_NAME = re.compile(rf"^(?P<source>[a-z0-9_]+?)_(?P<old>{_VINTAGE})_(?P<new>{_VINTAGE})$")
VERDICT_NAME = re.compile(rf"^verdicts(?:_(?P<source>[a-z0-9_]+?)_(?P<old>{_VINTAGE})_(?P<new>{_VINTAGE}))?$")
OUTPUTS_NAME = re.compile(r"^outputs_(?P<old>.+?)_(?P<new>[^_]+)$")  # a revision's label is 12 hex digits
TOLERANCE = [re.compile(p) for p in (r"\|new - old\| > ([0-9][0-9.eE+-]*)", r"relative tolerance ([0-9][0-9.eE+-]*)",
                                     r"more than ([0-9][0-9.eE+-]*) \(relative\)",
                                     r"[Tt]olerance[^0-9\n]{0,40}?([0-9][0-9.eE+-]*)")]
VERDICT_HEADING = re.compile(r"^# Hypotheses: (.+) -> (.+)$", re.M)
OUTPUTS_HEADING = re.compile(r"^# Outputs: (.+) -> (.+)$", re.M)
FLIPPED = "verdict flipped"
UNCHANGED = "unchanged"
# The order kinds of change are shown in within a figure, and the section each goes to.
VINTAGE_KINDS = ("revised", "added", "removed", "flag changed")
VERDICT_KINDS = tuple(sorted(VERDICT_ORDER, key=VERDICT_ORDER.get))  # flips first, unchanged rows last


@dataclass
class Problem:
    """A file of output/diff/ the page cannot show (named with the reason)."""

    file: str
    message: str  # empty: a name that is none of the three kinds (the page says so in both languages)


@dataclass
class FigureChanges:
    """The changes of one vintage diff drawn in one figure, and the other notebooks that draw exactly the same
    values (``also``: (name, href) pairs), so a change is listed once per set of notebooks (``href`` is empty when
    the site has no page for that notebook)."""

    name: str
    href: str
    kinds: dict[str, list[dict]] = field(default_factory=dict)  # VINTAGE_KINDS -> rows
    also: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> list[tuple[str, str]]:
        return [(self.name, self.href), *self.also]

    def signature(self) -> tuple:
        return tuple((k, tuple((r["entity"], r["indicator"], r["year"], r["year_type"]) for r in rows))
                     for k, rows in self.kinds.items())


@dataclass
class VintageChanges:
    file: str
    source: str
    old: str
    new: str
    tolerance: str
    figures: list[FigureChanges]
    counts: dict[str, int]

    @property
    def anchor(self) -> str:
        return _anchor(self.file)


@dataclass
class VerdictChanges:
    file: str
    label: str  # "oecd_msti 2025-03 → 2026-12-01", or the two exports compared
    tolerance: str
    kinds: dict[str, list[dict]]  # VERDICT_KINDS -> rows

    @property
    def anchor(self) -> str:
        return _anchor(self.file)


@dataclass
class OutputChanges:
    file: str
    label: str  # "a5c1918f0e2b → 4a440c3808d3" (the Markdown's heading, else the file's name)
    tolerance: str
    groups: list[dict]  # {"file", "href", "rows"}, verdict flips not repeated
    counts: dict[str, int]
    flips: list[dict]  # rows of the verdict export that flipped, in the layout of a verdict diff's rows

    @property
    def anchor(self) -> str:
        return _anchor(self.file)


@dataclass
class Changes:
    """Everything ``output/diff/`` holds, ready for the template."""

    folder: Path
    vintages: list[VintageChanges] = field(default_factory=list)
    verdicts: list[VerdictChanges] = field(default_factory=list)
    outputs: list[OutputChanges] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.vintages or self.verdicts or self.outputs)

    @property
    def flips(self) -> list[dict]:
        """Every verdict flip of every verdict diff and output diff, each with the diff file it comes from (and a
        link to that diff's section of the page)."""
        return ([{**row, "diff": v.file, "diff_href": "#" + v.anchor} for v in self.verdicts for row in v.kinds[FLIPPED]]
                + [{**row, "diff": o.file, "diff_href": "#" + o.anchor} for o in self.outputs for row in o.flips])


def _anchor(file: str) -> str:
    return "diff-" + re.sub(r"[^A-Za-z0-9_-]", "-", Path(file).stem)


def num(text: str) -> str:
    """A value as shown: up to 10 significant digits with thousands separators; text as it is; NaN/empty empty."""
    try:
        x = float(text)
    except (TypeError, ValueError):
        return text or ""
    if x != x:
        return ""
    return f"{x:,.10g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.4e}"


def percent(text: str) -> str:
    """A relative change (0.01) as a signed percentage (+1 %); empty when there is none."""
    try:
        x = float(text)
    except (TypeError, ValueError):
        return ""
    return "" if x != x else f"{x * 100:+.4g} %"


def flag_change(old: str, new: str) -> tuple[str, str]:
    """(ja, en) words for a change of OECD flags: ``P -> `` is a provisional value made final, `` -> B`` a new
    break; other flags are named with their meaning."""
    def meaning(flags: str, lang: str) -> str:
        return ", ".join(f"{f} ({label(f, lang, 'flag')})" if f in _flag_words() else f for f in flags)

    out = []
    for lang in ("ja", "en"):
        if old and not new:
            key = "flag_final" if "P" in old else "flag_dropped"
        elif new and not old:
            key = "flag_new"
        else:
            key = "flag_other"
        out.append(label(key, lang, "changes").format(old=meaning(old, lang), new=meaning(new, lang)))
    return out[0], out[1]


def _flag_words() -> set[str]:
    from .i18n import _labels

    return set(_labels()["flag"])


def tolerance_of(csv_path: Path) -> str:
    """The relative tolerance the Markdown beside ``csv_path`` states, or '' when it states none."""
    md = csv_path.with_suffix(".md")
    text = md.read_text(encoding="utf-8") if md.is_file() else ""
    for pattern in TOLERANCE:
        m = pattern.search(text)
        if m:
            return m.group(1).rstrip(".")
    return ""


def _read(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """The rows of a diff CSV as text; a missing column is a ``ValueError`` naming it."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"missing column(s) {', '.join(missing)}")
        return [{k: (v or "") for k, v in row.items()} for row in reader]


def _kinds(change: str) -> list[str]:
    return [k.strip() for k in change.split("+")]


def _vintage_row(r: dict[str, str]) -> dict:
    kinds = _kinds(r["change"])
    old, new = r["old_flags"], r["new_flags"]
    if "flag changed" in kinds:
        flags = f"{old or '—'} → {new or '—'}"
    else:  # a year added or removed has flags on one side only; a revised value kept its flags
        flags = new if "added" in kinds else old
    return {"entity": r["entity"], "indicator": r["indicator"], "year": r["year"], "year_type": r["year_type"],
            "change": r["change"], "old": num(r["old_value"]), "new": num(r["new_value"]),
            "rel": percent(r["rel_change"]), "flags": flags,
            "flag_words": flag_change(old, new) if "flag changed" in kinds else ("", "")}


def _short(label: str) -> str:
    """A label without the project's own folder (``/…/proj/output/x`` -> ``output/x``)."""
    return label.replace(str(paths.project_root()) + "/", "")


def vintage_changes(path: Path, m: re.Match, pages: dict[str, str]) -> VintageChanges:
    rows = _read(path, VINTAGE_COLUMNS)
    figures: dict[str, FigureChanges] = {}
    counts = {k: 0 for k in VINTAGE_KINDS}
    seen: set[tuple] = set()
    for r in rows:
        kinds = _kinds(r["change"])
        unknown = [k for k in kinds if k not in VINTAGE_KINDS]
        if unknown:
            raise ValueError(f"column change: unknown kind {unknown[0]!r} (known: {', '.join(VINTAGE_KINDS)})")
        fig = figures.setdefault(r["figure"], FigureChanges(r["figure"], "" if r["figure"] == NOT_DRAWN
                                                            else pages.get(r["figure"], ""),
                                                            {k: [] for k in VINTAGE_KINDS}))
        row = _vintage_row(r)
        for k in kinds:
            fig.kinds[k].append(row)
            value = (r["entity"], r["indicator"], r["year"], r["year_type"], k)
            if value not in seen:  # a value drawn in three figures is one change
                seen.add(value)
                counts[k] += 1
    grouped: dict[tuple, FigureChanges] = {}
    for name in sorted(figures, key=lambda n: (n == NOT_DRAWN, n)):
        fig = figures[name]
        first = grouped.setdefault((name == NOT_DRAWN, fig.signature()), fig)
        if first is not fig:
            first.also.append((fig.name, fig.href))
    return VintageChanges(path.name, m["source"], m["old"], m["new"], tolerance_of(path), list(grouped.values()),
                          counts)


def _verdict_row(r: dict[str, str]) -> dict:
    def ci(side: str) -> str:
        lo, hi = num(r[f"ci_low_{side}"]), num(r[f"ci_high_{side}"])
        return f"[{lo}, {hi}]" if lo and hi else ""

    return {"family": r["family"], "hypothesis": r["hypothesis"], "model": r["model"], "term": r["term"],
            "change": r["change"], "href": f"findings.html#finding-{r['hypothesis']}" if r["hypothesis"] else "",
            **{f"{v}_{s}": num(r[f"{v}_{s}"]) for v in ("estimate", "p_value", "n_obs") for s in ("old", "new")},
            "ci_old": ci("old"), "ci_new": ci("new"), "verdict_old": r["verdict_old"], "verdict_new": r["verdict_new"]}


def verdict_changes(path: Path, m: re.Match, anchors: set[str]) -> VerdictChanges:
    rows = _read(path, VERDICT_COLUMNS)
    kinds: dict[str, list[dict]] = {k: [] for k in VERDICT_KINDS}
    for r in rows:
        row = _verdict_row(r)
        if row["hypothesis"] not in anchors:
            row["href"] = ""  # no card on the findings page to point at
        kinds.setdefault(r["change"], []).append(row)  # a kind verdict_diff adds later is shown under its name
    if m["source"]:
        name = f"{m['source']} {m['old']} → {m['new']}"
    else:
        md = path.with_suffix(".md")
        head = VERDICT_HEADING.search(md.read_text(encoding="utf-8")) if md.is_file() else None
        name = _short(f"{head.group(1)} → {head.group(2)}") if head else path.name
    return VerdictChanges(path.name, name, tolerance_of(path), kinds)


def _figure_of(file: str, pages: dict[str, str]) -> str:
    """The site page of the figure or notebook an output file belongs to (``figures/<name>/x.csv``), or ''."""
    for part in reversed(Path(file).parts[:-1] or Path(file).parts):
        if part in pages:
            return pages[part]
    stem = Path(file).stem
    return pages.get(stem, "")


def _key_fields(key: str) -> dict[str, str]:
    """``family=country; hypothesis=C1b; ...`` (output_diff's key of a verdict row) -> its fields."""
    return dict(part.split("=", 1) for part in key.split("; ") if "=" in part)


def _output_flip(r: dict[str, str], estimate: dict[str, str] | None, anchors: set[str]) -> dict:
    f = _key_fields(r["key"])
    hyp = f.get("hypothesis", r["key"])
    return {"hypothesis": hyp, "model": f.get("model", ""), "term": f.get("term", ""), "change": FLIPPED,
            "href": f"findings.html#finding-{hyp}" if hyp in anchors else "",
            "verdict_old": r["old"], "verdict_new": r["new"],
            "estimate_old": num(estimate["old"]) if estimate else "", "estimate_new": num(estimate["new"]) if estimate else "",
            **{k: "" for k in ("ci_old", "ci_new", "p_value_old", "p_value_new", "n_obs_old", "n_obs_new")}}


def output_changes(path: Path, m: re.Match, pages: dict[str, str], anchors: set[str]) -> OutputChanges:
    rows = _read(path, OUTPUT_COLUMNS)
    groups: dict[str, dict] = {}
    counts: dict[str, int] = {}
    estimates = {r["key"]: r for r in rows if r["column"] == "estimate" and r["change"] == "moved"}
    flips = []
    for r in rows:
        counts[r["change"]] = counts.get(r["change"], 0) + 1
        if r["change"] == FLIPPED:
            flips.append(_output_flip(r, estimates.get(r["key"]), anchors))
            continue
        g = groups.setdefault(r["file"], {"file": r["file"], "href": _figure_of(r["file"], pages), "rows": []})
        g["rows"].append({"key": r["key"], "column": r["column"], "change": r["change"], "old": num(r["old"]),
                          "new": num(r["new"]), "rel": percent(r["rel_change"])})
    md = path.with_suffix(".md")
    head = OUTPUTS_HEADING.search(md.read_text(encoding="utf-8")) if md.is_file() else None
    name = _short(f"{head.group(1)} → {head.group(2)}") if head else f"{m['old']} → {m['new']}"
    return OutputChanges(path.name, name, tolerance_of(path), [groups[k] for k in sorted(groups)],
                         dict(sorted(counts.items())), flips)


def collect(pages: dict[str, str], anchors: set[str], folder: Path | None = None) -> Changes:
    """Read every diff CSV of ``folder`` (default ``output/diff``). ``pages``: notebook name -> site-relative href
    of its page (figure page, else notebook page); ``anchors``: hypotheses with a card on the findings page."""
    folder = Path(folder or diff_folder())
    out = Changes(folder)
    files = sorted(p for p in folder.glob("*.csv") if not layout.is_temporary(p)) if folder.is_dir() else []
    for path in files:
        try:
            if m := VERDICT_NAME.match(path.stem):
                out.verdicts.append(verdict_changes(path, m, anchors))
            elif m := OUTPUTS_NAME.match(path.stem):
                out.outputs.append(output_changes(path, m, pages, anchors))
            elif m := VINTAGE_NAME.match(path.stem):
                out.vintages.append(vintage_changes(path, m, pages))
            else:
                out.problems.append(Problem(path.name, ""))
        except (ValueError, KeyError, csv.Error, UnicodeDecodeError) as exc:
            out.problems.append(Problem(path.name, str(exc)))
    return out
