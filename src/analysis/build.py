"""Build ``data/processed/`` from ``data/raw/``: verify, load every source, validate, then write atomically.

Every source is loaded and validated in memory before the first file is written, so a failure leaves the
previous processed data untouched. Each source gives ``<source>.parquet`` (tidy) and ``<source>.csv``;
sources with a panel layout also give ``<source>_panel.parquet``. ``BUILD.json`` lists the sha256 of each
output, which the notebook cache keys on, and the vintage each source was built from (``vintages``).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Callable

import pandas as pd

from . import io, manifest, paths, vintages
from .schema import validate_tidy
from .sources import SOURCE_MODULES

def register(source: str, module: str) -> None:
    """Add a source module to the build (used by modules that are optional)."""
    SOURCE_MODULES[source] = module


def _modules() -> dict[str, object]:
    return {src: importlib.import_module(mod) for src, mod in sorted(SOURCE_MODULES.items())}


def build(raw: Path | None = None, out: Path | None = None, *, sources: list[str] | None = None,
          progress: Callable[[str], None] = lambda msg: None) -> dict[str, str]:
    """Verify raw data, rebuild processed data; return {output file name: sha256}."""
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
    frames: dict[str, pd.DataFrame] = {}
    for name, mod in mods.items():
        tidy_df = validate_tidy(mod.load(raw), name, raw / name)
        frames[name] = tidy_df
        for pname, panel in (getattr(mod, "panels", lambda t: {})(tidy_df)).items():
            frames[pname] = panel.reset_index(drop=True)
        progress(f"loaded {name}: {len(tidy_df):,} rows")
    hashes: dict[str, str] = {}
    for name, df in frames.items():
        io.write_parquet(out / f"{name}.parquet", df)
        io.write_csv(out / f"{name}.csv", df)
        hashes[f"{name}.parquet"] = io.sha256_file(out / f"{name}.parquet")
        hashes[f"{name}.csv"] = io.sha256_file(out / f"{name}.csv")
    build_path = out / "BUILD.json"
    previous = json.loads(build_path.read_text()) if build_path.exists() else {}
    merged = {**previous.get("outputs", {}), **hashes} if sources is not None else hashes
    built_from = {**previous.get("vintages", {}), **used} if sources is not None else used
    io.write_text(build_path, json.dumps({"outputs": dict(sorted(merged.items())),
                                          "vintages": dict(sorted(built_from.items()))}, indent=1) + "\n")
    progress(f"wrote {len(hashes)} files to {out}")
    return hashes
