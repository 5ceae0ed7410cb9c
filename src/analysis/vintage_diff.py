"""``analysis diff``: what a new vintage of a source changed, figure by figure.

Both vintages are read with the source's own loader (verified against the manifest first) and matched on
entity, indicator, year and year type (plus ``source_id`` where a source holds several publications of one
value). A value *moved* when ``|new - old| > rtol * |old|`` (``rtol`` is stated in the output; an exact zero
``old`` counts any change). Rows a vintage adds or drops are ``added`` / ``removed``; a different ``flags``
string is ``flag changed`` (``P -> `` is a provisional value made final, `` -> B`` a new break). Each change is
listed under every notebook that draws that series (``notebooks/notebooks.toml`` datasets, narrowed by
``vintage_diff_series.toml``); changes no notebook draws are listed under ``(not drawn)``. What the new vintage
changes in the registered hypotheses' estimates and verdicts is :mod:`analysis.vintage_verdicts`.
"""

from __future__ import annotations

import importlib
import math
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import io, manifest, paths, vintages
from .errors import ParameterError
from .sources import SOURCE_MODULES

SERIES_FILE = Path(__file__).with_name("vintage_diff_series.toml")
BASE_KEY = ["entity", "indicator", "year", "year_type"]
COLUMNS = ["figure", "entity", "indicator", "year", "year_type", "change", "old_value", "new_value",
           "rel_change", "old_flags", "new_flags"]
NOT_DRAWN = "(not drawn)"
DEFAULT_RTOL = 1e-6


@dataclass(frozen=True)
class Diff:
    source: str
    old: str
    new: str
    rtol: float
    table: pd.DataFrame  # COLUMNS, one row per (figure, changed value)

    def counts(self) -> dict[str, int]:
        """Changes by kind, each value counted once (not once per figure)."""
        uniq = self.table.drop_duplicates(["entity", "indicator", "year", "year_type", "change"])
        out: dict[str, int] = {}
        for kinds in uniq["change"]:
            for kind in kinds.split(" + "):
                out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items()))


def load_vintage(source: str, vintage: str, raw: Path | None = None) -> pd.DataFrame:
    """The tidy frame of one committed vintage of ``source``, read by its loader."""
    raw = Path(raw or paths.raw_dir())
    have = vintages.available(raw, source)
    if vintage not in have:
        raise ParameterError("vintage", f"{source}={vintage}", "no such committed vintage", have)
    mod = importlib.import_module(SOURCE_MODULES[source])
    with tempfile.TemporaryDirectory(prefix="sangaku-vintage-") as tmp:
        (Path(tmp) / source).symlink_to(raw / source / vintage, target_is_directory=True)
        return mod.load(Path(tmp))  # a plain folder without manifest: read as it is


def _series_of_notebooks(source: str) -> dict[str, dict[str, list[str] | None]]:
    """notebook -> {dataset: indicators it draws (None = all)} for the datasets built from ``source``."""
    from .execution import specs

    mod = importlib.import_module(SOURCE_MODULES[source])
    datasets = {source, getattr(mod, "PANEL_NAME", source)}
    narrow = tomllib.loads(SERIES_FILE.read_text(encoding="utf-8"))
    out: dict[str, dict[str, list[str] | None]] = {}
    for name, spec in sorted(specs.load_specs().items()):
        used = [d for d in spec.processed if d in datasets]
        if used:
            out[name] = {d: narrow.get(name, {}).get(d) for d in used}
    return out


def _changes(old: pd.DataFrame, new: pd.DataFrame, rtol: float) -> pd.DataFrame:
    key = BASE_KEY + (["source_id"] if old.duplicated(BASE_KEY).any() or new.duplicated(BASE_KEY).any() else [])
    cols = key + ["value", "flags"]
    m = old[cols].merge(new[cols], on=key, how="outer", suffixes=("_old", "_new"), indicator="side")
    o, n = m["value_old"], m["value_new"]
    both = m["side"] == "both"
    revised = both & ~(o.isna() & n.isna()) & (o.isna() | n.isna() | ((n - o).abs() > rtol * o.abs())
                                               | ((o == 0) & (n != 0)))
    flagged = both & (m["flags_old"].fillna("") != m["flags_new"].fillna(""))
    change = pd.Series("", index=m.index, dtype=object)
    change[m["side"] == "left_only"] = "removed"
    change[m["side"] == "right_only"] = "added"
    change[revised & ~flagged] = "revised"
    change[revised & flagged] = "revised + flag changed"
    change[~revised & flagged] = "flag changed"
    keep = change != ""
    m = m[keep]
    rel = ((m["value_new"] - m["value_old"]) / m["value_old"].abs()).where(revised[keep] & (m["value_old"] != 0))
    return pd.DataFrame({"entity": m["entity"], "indicator": m["indicator"], "year": m["year"],
                         "year_type": m["year_type"], "change": change[keep], "old_value": m["value_old"],
                         "new_value": m["value_new"], "rel_change": rel,
                         "old_flags": m["flags_old"].fillna(""), "new_flags": m["flags_new"].fillna("")},
                        columns=COLUMNS[1:]).reset_index(drop=True)


def diff(source: str, old: str, new: str, *, rtol: float = DEFAULT_RTOL, raw: Path | None = None) -> Diff:
    """Every value of ``source`` that vintage ``new`` changed against ``old``, under each notebook drawing it."""
    raw = Path(raw or paths.raw_dir())
    if source not in SOURCE_MODULES:
        raise ParameterError("source", source, "not a built source", sorted(SOURCE_MODULES))
    if not rtol >= 0:
        raise ParameterError("tolerance", rtol, "must be a number >= 0")
    manifest.verify(raw, sources=[source])
    changed = _changes(load_vintage(source, old, raw), load_vintage(source, new, raw), rtol)
    parts = []
    drawn = pd.Series(False, index=changed.index)
    for name, sets in _series_of_notebooks(source).items():
        for indicators in sets.values():
            hit = changed["indicator"].isin(indicators) if indicators is not None else pd.Series(True, index=changed.index)
            drawn |= hit
            if hit.any():
                parts.append(changed[hit].assign(figure=name))
    parts.append(changed[~drawn].assign(figure=NOT_DRAWN))
    table = pd.concat(parts, ignore_index=True)[COLUMNS].drop_duplicates(ignore_index=True)
    table = table.sort_values(["figure", "indicator", "entity", "year", "change"], kind="mergesort",
                              ignore_index=True)
    return Diff(source, old, new, rtol, table)


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return "" if math.isnan(x) else f"{x:.6g}"
    return str(x)


def markdown(d: Diff) -> str:
    """The diff as Markdown: a summary line, then one table per notebook."""
    counts = ", ".join(f"{n} {k}" for k, n in d.counts().items()) or "no changes"
    out = [f"# {d.source}: vintage {d.old} -> {d.new}", "",
           f"Tolerance: a value moved when |new - old| > {d.rtol:g} x |old|. Changes: {counts}.", ""]
    for fig, rows in d.table.groupby("figure", sort=True):
        out += [f"## {fig}", "", "| " + " | ".join(COLUMNS[1:]) + " |", "|" + "---|" * (len(COLUMNS) - 1)]
        out += ["| " + " | ".join(_fmt(v) for v in r[1:]) + " |" for r in rows[COLUMNS].itertuples(index=False)]
        out.append("")
    return "\n".join(out)


def write(d: Diff, folder: Path | None = None) -> tuple[Path, Path]:
    """Write ``<source>_<old>_<new>.csv`` and ``.md`` (atomically) to ``output/diff/``."""
    folder = Path(folder or paths.output_dir() / "diff")
    stem = f"{d.source}_{d.old}_{d.new}"
    csv_path, md_path = folder / f"{stem}.csv", folder / f"{stem}.md"
    io.write_csv(csv_path, d.table)
    io.write_text(md_path, markdown(d))
    return csv_path, md_path
