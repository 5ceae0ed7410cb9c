"""Build ``data/processed/`` from ``data/raw/``: verify, load every source, validate, then write atomically.

Every source is loaded, validated and written to a temporary file beside its destination before the first
processed file is replaced, so a failure leaves the previous processed data untouched. Sources are built in
parallel worker processes (one per core; the largest first). Each source gives ``<source>.parquet`` (tidy);
sources with a panel layout also give ``<source>_panel.parquet``; ``csv=True`` (``analysis data --csv``) adds a
``<source>.csv`` copy of each for readers, which no notebook reads. ``BUILD.json`` lists the sha256 of each
output, which the notebook cache keys on, and the vintage each source was built from (``vintages``).
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import multiprocessing
import os
import resource
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import io, manifest, paths, vintages
from .sources import SOURCE_MODULES


def register(source: str, module: str) -> None:
    """Add a source module to the build (used by modules that are optional)."""
    SOURCE_MODULES[source] = module


def _modules() -> dict[str, object]:
    return {src: importlib.import_module(mod) for src, mod in sorted(SOURCE_MODULES.items())}


@dataclass
class SourceResult:
    """What one source's build left in the staging files: {output file: sha256}, rows, or why it failed."""

    source: str
    staged: dict[str, Path] = field(default_factory=dict)  # final file name -> staged temporary path
    hashes: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    failed: str = ""  # repr of the error; the parent re-raises the real exception (see _run_jobs)


def _staged_path(out: Path, name: str, token: str) -> Path:
    # ``.<name>.<token>.tmp`` beside the destination: removed by io.remove_stale_temporaries if a build is killed
    return out / f".{name}.{token}.tmp"


def build_source(source: str, mod: object, raw: Path, out: Path, token: str, csv: bool) -> SourceResult:
    """Load, validate and write one source (and its panels) to staging files in ``out``; raises on bad data."""
    from .schema import validate_tidy  # pandas: only a build pays for it, not the modules that import build

    tidy_df = validate_tidy(mod.load(raw), source, raw / source)
    frames = {source: tidy_df}
    for pname, panel in (getattr(mod, "panels", lambda t: {})(tidy_df)).items():
        frames[pname] = panel.reset_index(drop=True)
    res = SourceResult(source, rows=len(tidy_df))
    for name, df in frames.items():
        files = {f"{name}.parquet": io.write_parquet}
        if csv:
            files[f"{name}.csv"] = io.write_csv
        for fname, write in files.items():
            tmp = _staged_path(out, fname, token)
            write(tmp, df)
            res.staged[fname] = tmp
            res.hashes[fname] = io.sha256_file(tmp)
    return res


# The loaders of the build in progress, set before the workers are forked (modules cannot be pickled to them).
_FORKED_MODULES: dict[str, object] = {}


def _build_source_in_worker(source: str, raw: Path, out: Path, token: str, csv: bool) -> SourceResult:
    # Exceptions of the package carry keyword fields that do not survive pickling back to the parent: the
    # worker reports the failure and the parent rebuilds that source itself to raise the exact error.
    try:
        return build_source(source, _FORKED_MODULES[source], raw, out, token, csv)
    except Exception as exc:  # noqa: BLE001 - reported, then re-raised in the parent
        return SourceResult(source, failed=repr(exc))


def default_jobs(n_sources: int) -> int:
    """Worker processes for the build: one per core, no more than sources."""
    return max(1, min(os.cpu_count() or 1, n_sources))


def _size(raw: Path, source: str) -> int:
    folder = vintages.folder(raw, source)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def _run_jobs(mods: dict[str, object], raw: Path, out: Path, token: str, csv: bool, jobs: int,
              progress: Callable[[str], None]) -> dict[str, SourceResult]:
    """Build every source, in ``jobs`` forked workers (largest raw folder first) or in this process."""
    results: dict[str, SourceResult] = {}
    try:
        if jobs <= 1:
            for name, mod in mods.items():
                results[name] = build_source(name, mod, raw, out, token, csv)
                progress(f"loaded {name}: {results[name].rows:,} rows")
        else:
            _run_parallel(mods, raw, out, token, csv, jobs, progress, results)
    except BaseException:
        _discard(results)
        raise
    return results


def _run_parallel(mods: dict[str, object], raw: Path, out: Path, token: str, csv: bool, jobs: int,
                  progress: Callable[[str], None], results: dict[str, SourceResult]) -> None:
    order = sorted(mods, key=lambda s: (-_size(raw, s), s))
    # fork: workers inherit the imported loaders and the environment (vintage pins); nothing is re-imported
    ctx = multiprocessing.get_context("fork")
    _FORKED_MODULES.clear()
    _FORKED_MODULES.update(mods)
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        futures = {name: pool.submit(_build_source_in_worker, name, raw, out, token, csv) for name in order}
        try:
            for name in mods:  # reported in name order, so the log is the same on every run
                results[name] = futures[name].result()
                if results[name].failed:
                    break
                progress(f"loaded {name}: {results[name].rows:,} rows")
        finally:
            for f in futures.values():
                f.cancel()
        for name, f in futures.items():  # collect what finished, so every staging file can be removed
            if name not in results and not f.cancelled():
                results[name] = f.result()
    failed = [r for r in results.values() if r.failed]
    if failed:
        _discard(results)
        # the same loader on the same files fails the same way here, with the error's full fields
        again = build_source(failed[0].source, mods[failed[0].source], raw, out, token, csv)
        results[again.source] = again  # staged files of a rebuild that did not fail are discarded too
        raise RuntimeError(f"source {failed[0].source} failed in a worker ({failed[0].failed}) but not when rebuilt")


def _discard(results: dict[str, SourceResult]) -> None:
    for r in results.values():
        for tmp in r.staged.values():
            tmp.unlink(missing_ok=True)


def _peak_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB (Linux: KiB units)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def build(raw: Path | None = None, out: Path | None = None, *, sources: list[str] | None = None,
          csv: bool = False, jobs: int | None = None,
          progress: Callable[[str], None] = lambda msg: None) -> dict[str, str]:
    """Verify raw data, rebuild processed data; return {output file name: sha256}.

    ``csv`` also writes a CSV copy of every dataset; without it, CSV copies left by an earlier build of the
    same datasets are removed (they would no longer match the Parquet files). ``jobs``: worker processes
    (default: one per core; 1 builds in this process).
    """
    raw = raw or paths.raw_dir()
    out = out or paths.processed_dir()
    mods = _modules()
    if sources is not None:
        unknown = sorted(set(sources) - set(mods))
        if unknown:
            from .errors import ParameterError
            raise ParameterError("sources", unknown, "unknown source", sorted(mods))
        mods = {k: v for k, v in mods.items() if k in sources}
    # Building everything verifies all of data/raw (notebooks read some raw files directly); a partial build
    # verifies its sources' folders, including that no unlisted file sits in them.
    report = manifest.verify(raw, sources=None if sources is None else list(mods))
    used = vintages.resolved(raw, list(mods))  # pinned or newest committed vintage of each source
    progress("vintages: " + ", ".join(f"{s}={v}" for s, v in used.items()))
    scope = "all of data/raw" if sources is None else f"of the {len(mods)} sources it builds"
    progress(f"verified {report.checked} raw files ({report.bytes / 1e6:.1f} MB) {scope}")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    token = f"build-{os.getpid()}"
    jobs = default_jobs(len(mods)) if jobs is None else max(1, jobs)
    try:
        results = _run_jobs(mods, raw, out, token, csv, jobs, progress)
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    hashes: dict[str, str] = {}
    for r in results.values():  # everything is validated and written: now replace the processed files
        for fname, tmp in r.staged.items():
            os.replace(tmp, out / fname)
        hashes.update(r.hashes)
    built = {Path(f).stem for f in hashes}
    if not csv:
        for name in sorted(built):
            (out / f"{name}.csv").unlink(missing_ok=True)
    build_path = out / "BUILD.json"
    previous = json.loads(build_path.read_text()) if build_path.exists() else {}
    kept = {f: h for f, h in previous.get("outputs", {}).items() if Path(f).stem not in built}
    merged = {**kept, **hashes} if sources is not None else hashes
    built_from = {**previous.get("vintages", {}), **used} if sources is not None else used
    io.write_text(build_path, json.dumps({"outputs": dict(sorted(merged.items())),
                                          "vintages": dict(sorted(built_from.items()))}, indent=1) + "\n")
    own, worker = _peak_mib()
    progress(f"wrote {len(hashes)} files to {out}"
             f" ({jobs} worker{'s' if jobs > 1 else ''}; peak memory {own:.0f} MiB in this process"
             + (f", {worker:.0f} MiB in the largest worker)" if jobs > 1 else ")"))
    return hashes
