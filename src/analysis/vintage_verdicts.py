"""``analysis diff SOURCE=OLD SOURCE=NEW``, the hypotheses: every registered hypothesis re-estimated from each vintage.

For each side, the processed datasets the summary notebook (``h5_summary_all_hypotheses``) declares are built from
``data/raw`` into a temporary folder with the diffed source pinned to that vintage (``$SANGAKU_VINTAGES``; every
other source at its usual pin or newest committed vintage, the same on both sides), and the verdict table is
computed with ``models.summary.all_results`` and ``verdict_table``, called as functions (no notebook is run): the
code h5 runs, so the diff cannot disagree with h5 run on that vintage. The two sides run at the same time in two
fresh Python processes with one BLAS thread each (see ``_both_sides``). ``data/processed`` and ``output/`` are not
touched; only ``output/diff/verdicts_<source>_<old>_<new>.csv`` and ``.md`` are written (atomically).

Rows are compared by ``verdict_diff.compare_frames`` (flips first, then moved estimates, moved intervals, and the
unchanged rows last, so every hypothesis is listed). Only sources whose datasets h5 reads feed a registered
hypothesis (:func:`hypothesis_sources`); for any other source there is nothing to re-estimate.

Randomness: the wild-cluster bootstrap robustness rows draw ``bootstrap_reps`` Webb weights from numpy's
``default_rng`` with the seeds of :func:`seeds` (the defaults h5 uses); the output states both.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import inspect
import multiprocessing
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import io, paths, verdict_diff, vintages
from .errors import DataFileError, ParameterError
from .sources import SOURCE_MODULES

SUMMARY_NOTEBOOK = "h5_summary_all_hypotheses"
# the verdict table's CSV: the comparison's columns, then the stated bootstrap settings on every row
SETTINGS_COLUMNS = ["bootstrap_reps", "seed"]


@dataclass(frozen=True)
class VintageVerdicts:
    """The verdict tables of two vintages of ``source`` compared (``table``: ``verdict_diff.compare_frames``)."""

    source: str
    old: str
    new: str
    rtol: float
    bootstrap_reps: int
    seeds: dict[str, int]
    others: dict[str, str]  # the vintages of the other sources both sides were built from
    table: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)  # build and estimation time of each side


def datasets_of(source: str) -> set[str]:
    """The processed datasets the build writes for ``source``: its tidy frame and its panels' names."""
    mod = importlib.import_module(SOURCE_MODULES[source])
    names = {source, f"{source}_panel"}  # e.g. pwt -> pwt_panel
    if hasattr(mod, "PANEL_NAME"):
        names.add(mod.PANEL_NAME)
    return names


def hypothesis_sources(spec_file: Path | None = None) -> dict[str, list[str]]:
    """{source: the datasets of it that the summary notebook reads}, for every source that feeds a registered
    hypothesis (``notebooks/notebooks.toml``, entry ``h5_summary_all_hypotheses``)."""
    from .execution import specs

    table = specs.load_specs(spec_file) if spec_file else specs.load_specs()
    if SUMMARY_NOTEBOOK not in table:
        raise DataFileError(spec_file or paths.notebooks_dir() / "notebooks.toml",
                            f"no entry [{SUMMARY_NOTEBOOK}]: cannot tell which sources feed the hypotheses")
    read = set(table[SUMMARY_NOTEBOOK].processed)
    out = {src: sorted(read & datasets_of(src)) for src in sorted(SOURCE_MODULES)}
    out = {src: sets for src, sets in out.items() if sets}
    unknown = sorted(read - {d for sets in out.values() for d in sets})
    if unknown:
        raise DataFileError(spec_file or paths.notebooks_dir() / "notebooks.toml",
                            f"[{SUMMARY_NOTEBOOK}] reads {unknown[0]!r}, which no source builds", column="processed")
    return out


def default_reps(nbdir: Path | None = None) -> int:
    """``bootstrap_reps`` of the summary notebook's ``parameters`` cell (what h5 runs with by default)."""
    from .execution import specs

    path = Path(nbdir or paths.notebooks_dir()) / f"{SUMMARY_NOTEBOOK}.ipynb"
    if not path.is_file():
        raise DataFileError(path, "notebook not found: cannot read its default bootstrap_reps",
                            hint="pass --bootstrap-reps N")
    reps = specs.load_notebook(path).params.get("bootstrap_reps")
    if not isinstance(reps, int):
        raise DataFileError(path, f"parameters cell has no integer bootstrap_reps (got {reps!r})",
                            hint="pass --bootstrap-reps N")
    return reps


def seeds() -> dict[str, int]:
    """The seeds of the bootstrap draws in ``all_results``: country (``models.country.DEFAULT_SEED``) and
    industry (the default of ``models.industry.run``)."""
    from .models import country, industry

    return {"country": int(country.DEFAULT_SEED),
            "industry": int(inspect.signature(industry.run).parameters["seed"].default)}


@contextmanager
def _environment(pins: dict[str, str], processed: Path) -> Iterator[None]:
    """``$SANGAKU_VINTAGES`` and ``$SANGAKU_PROCESSED`` set for the build and estimation of one side, restored after."""
    saved = {k: os.environ.get(k) for k in (vintages.ENV_PINS, paths.ENV_PROCESSED)}
    os.environ[vintages.ENV_PINS] = ",".join(f"{s}={v}" for s, v in sorted(pins.items()))
    os.environ[paths.ENV_PROCESSED] = str(processed)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def estimate_vintage(source: str, vintage: str, *, bootstrap_reps: int, raw: Path | None = None,
                     sources: list[str] | None = None, jobs: int | None = None
                     ) -> tuple[pd.DataFrame, dict[str, str], dict[str, float]]:
    """The summary notebook's verdict table with ``source`` read from ``vintage``: (table, vintages built from,
    seconds of build and estimation). The processed data live in a temporary folder removed afterwards;
    ``jobs``: worker processes of the build."""
    from . import build
    from .models import summary

    raw = Path(raw or paths.raw_dir())
    sources = sources or sorted(hypothesis_sources())
    pins = {**vintages.parse_pins(os.environ.get(vintages.ENV_PINS, "")), source: vintage}
    with tempfile.TemporaryDirectory(prefix="sangaku-verdicts-") as tmp, _environment(pins, Path(tmp)):
        t0 = time.perf_counter()
        build.build(raw, Path(tmp), sources=sources, jobs=jobs)
        used = vintages.resolved(raw, sources)
        t1 = time.perf_counter()
        table = summary.verdict_table(summary.all_results(bootstrap_reps))
        t2 = time.perf_counter()
    return table, used, {"build": t1 - t0, "estimate": t2 - t1}


def _side_in_worker(source: str, vintage: str, reps: int, raw: Path, sources: list[str]) -> tuple[object, str]:
    # The package's exceptions carry keyword fields that do not survive pickling: report, and let the parent
    # rerun that side itself to raise the exact error (as analysis.build does).
    try:
        return estimate_vintage(source, vintage, bootstrap_reps=reps, raw=raw, sources=sources, jobs=1), ""
    except Exception as exc:  # noqa: BLE001 - re-raised in the parent
        return None, repr(exc)


def _both_sides(source: str, sides: dict[str, str], reps: int, raw: Path,
                sources: list[str]) -> dict[str, tuple[pd.DataFrame, dict[str, str], dict[str, float]]]:
    """Both vintages estimated side by side in two fresh processes with one BLAS thread each: this process has
    numpy loaded with one BLAS thread per core, which makes the many small regressions of ``all_results``
    fight for the cores (the same reason as ``analysis.multiverse.workers``)."""
    from .multiverse import workers

    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(sides), mp_context=ctx,
                                                initializer=workers.one_blas_thread) as pool:
        futures = {side: pool.submit(_side_in_worker, source, v, reps, raw, sources) for side, v in sides.items()}
        done = {side: f.result() for side, f in futures.items()}
    out = {}
    for side, (result, failed) in done.items():
        if failed:
            estimate_vintage(source, sides[side], bootstrap_reps=reps, raw=raw, sources=sources, jobs=1)
            raise RuntimeError(f"re-estimation of {source}={sides[side]} failed in a worker ({failed}) but not "
                               "when rerun")
        out[side] = result
    return out


def compare(source: str, old: str, new: str, *, rtol: float = 1e-6, bootstrap_reps: int | None = None,
            raw: Path | None = None) -> VintageVerdicts:
    """Re-estimate every registered hypothesis from vintages ``old`` and ``new`` of ``source`` and compare."""
    raw = Path(raw or paths.raw_dir())
    feeding = hypothesis_sources()
    if source not in feeding:
        raise ParameterError("source", source, "no registered hypothesis reads this source", sorted(feeding))
    have = vintages.available(raw, source)
    for v in (old, new):
        if v not in have:
            raise ParameterError("vintage", f"{source}={v}", "no such committed vintage", have)
    reps = default_reps() if bootstrap_reps is None else bootstrap_reps
    from .models import summary

    summary.validate_params({"bootstrap_reps": reps})
    tables, others, seconds = {}, {}, {}
    for side, (table, used, secs) in _both_sides(source, {"old": old, "new": new}, reps, raw,
                                                 sorted(feeding)).items():
        tables[side] = table
        others = {s: v for s, v in used.items() if s != source}
        seconds.update({f"{side} {k}": v for k, v in secs.items()})
    table = verdict_diff.compare_frames(tables["old"], tables["new"], rtol=rtol, intervals=True,
                                        keep_unchanged=True)
    return VintageVerdicts(source, old, new, rtol, reps, seeds(), others, table, seconds)


def _settings(v: VintageVerdicts) -> str:
    seeds_ = ", ".join(f"{fam} {s}" for fam, s in v.seeds.items())
    return (f"bootstrap_reps {v.bootstrap_reps}, seed {seeds_} (numpy default_rng; the defaults of "
            f"{SUMMARY_NOTEBOOK})")


def markdown(v: VintageVerdicts) -> str:
    """A summary line (flips, tolerance, settings, the other sources' vintages), then one table, flips first."""
    others = ", ".join(f"{s}={x}" for s, x in sorted(v.others.items())) or "none"
    moved = int(v.table["change"].isin(["estimate moved", "interval moved"]).sum())
    out = [f"# Hypotheses re-estimated: {v.source} vintage {v.old} -> {v.new}", "",
           f"{verdict_diff.flip_count(v.table)}, {moved} estimate(s) or interval(s) moved by more than "
           f"{v.rtol:g} (relative), of {len(v.table)} registered estimates.", "",
           f"Each side: the processed data of {SUMMARY_NOTEBOOK} built from data/raw into a temporary folder "
           f"with {v.source} pinned, then models.summary.all_results + verdict_table (the code h5 runs); "
           f"{_settings(v)}. Other sources as built on both sides: {others}.", ""]
    return "\n".join(out + verdict_diff.markdown_table(v.table) + [""])


def paths_of(v: VintageVerdicts, folder: Path | None = None) -> tuple[Path, Path]:
    """``output/diff/verdicts_<source>_<old>_<new>.csv`` and ``.md``."""
    folder = Path(folder or paths.output_dir() / "diff")
    stem = f"verdicts_{v.source}_{v.old}_{v.new}"
    return folder / f"{stem}.csv", folder / f"{stem}.md"


def write(v: VintageVerdicts, folder: Path | None = None) -> tuple[Path, Path]:
    """Write the comparison (CSV: ``compare_frames`` columns + ``SETTINGS_COLUMNS``) and its Markdown, atomically."""
    csv_path, md_path = paths_of(v, folder)
    seed = ";".join(f"{fam}={s}" for fam, s in v.seeds.items())
    io.write_csv(csv_path, v.table.assign(bootstrap_reps=v.bootstrap_reps, seed=seed))
    io.write_text(md_path, markdown(v))
    return csv_path, md_path
