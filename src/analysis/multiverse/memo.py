"""One estimate of the multiverse shared by the notebooks that need it (h5 shows the shares, h6 the curves).

Both notebooks run the same default multiverse; estimating it twice doubles the longest part of a reproduce and
of the test command. ``run_shared`` stores a run's tables under a key made of exactly what determines them, and
a second caller with the same key reads them instead of estimating again:

* the run's parameters (hypotheses chosen, fixed dimensions, draws, seed, test),
* the content of the declared spaces and the registry (``hypotheses/**/*.toml``),
* the estimation data of the chosen families (``engine.prepare``, read through ``data.load`` like a fresh run,
  so the notebook's declared reads are the same whether the run is estimated or read),
* the code reached from the engine (its static import closure, as in the notebook cache) and the package versions,
* ``MEMO_EPOCH``.

A lock per key makes a concurrent caller with the same key wait for the one estimating (callers with other keys,
e.g. a sweep over ``fix``, estimate side by side). Stored are the three tables every consumer uses
(specifications, tests, grid accounting) as Parquet, written to a temporary folder and renamed, so a reader
never sees half a run; the raw null draws are not stored (a stored run has empty ``nulls``/``null_summary``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from .. import io, paths
from ..execution import codegraph, versions
from . import engine, space

MEMO_EPOCH = 1
TABLES = ("table", "tests", "accounting")
ENGINE_MODULES = ("analysis.multiverse.engine", "analysis.multiverse.dispatch")


def memo_dir() -> Path:
    """``output/.cache/multiverse``: one folder per key."""
    return paths.output_dir() / ".cache" / "multiverse"


def _sha_files(files: list[Path], root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def run_params(hypotheses: list[str] | None, fix: dict | None, *, reps: int, seed: int, test: bool) -> dict:
    """The parameters as ``engine.run`` records them (``[]``/None = every hypothesis with a declared space)."""
    chosen = [sp.hypothesis for sp in space.select(space.load(), list(hypotheses or []))]
    return {"hypotheses": chosen, "fix": fix or {}, "reps": reps, "seed": seed, "test": test}


def families(params: dict) -> list[str]:
    """The families of the chosen hypotheses, in the registry's order."""
    chosen = set(params["hypotheses"])
    return list(dict.fromkeys(sp.family for sp in space.load() if sp.hypothesis in chosen))


def data_digest(data: dict) -> dict[str, str]:
    """sha256 per family of its estimation data (frames by content, index, columns and dtypes)."""
    out = {}
    for fam, parts in sorted(data.items()):
        h = hashlib.sha256()
        for name, obj in sorted(parts.items()):
            h.update(name.encode())
            if isinstance(obj, pd.DataFrame):
                h.update(json.dumps([[str(c), str(t)] for c, t in obj.dtypes.items()]).encode())
                h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
            else:
                h.update(json.dumps(obj, sort_keys=True, default=str).encode())
        out[fam] = h.hexdigest()
    return out


def key(params: dict, data: dict, package_dir: Path | None = None) -> str:
    """The sha256 of everything that determines a run with these ``run_params`` and estimation ``data``."""
    pkg = package_dir or Path(__file__).resolve().parents[1]
    parts = {
        "epoch": MEMO_EPOCH,
        "params": params,
        "package_data": _sha_files(list((pkg / "hypotheses").rglob("*.toml")), pkg),
        "data": data_digest(data),
        "code": codegraph.file_hashes(codegraph.closure(ENGINE_MODULES)),
        "versions": versions.package_versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@contextlib.contextmanager
def _locked(root: Path, k: str) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".lock-{k}", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _encode(df: pd.DataFrame) -> pd.DataFrame:
    # Object columns may mix types (``seed``: an int, or "" without draws); JSON text keeps each value's type.
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [json.dumps(v) for v in out[c]]
    return out


def _decode(df: pd.DataFrame, encoded: list[str]) -> pd.DataFrame:
    for c in encoded:
        df[c] = pd.Series([json.loads(v) for v in df[c]], index=df.index, dtype=object)
    return df


def _read(folder: Path, params: dict) -> engine.Multiverse | None:
    if not all((folder / f).is_file() for f in [*(f"{t}.parquet" for t in TABLES), "encoded.json"]):
        return None
    encoded = json.loads((folder / "encoded.json").read_text())
    frames = {t: _decode(pd.read_parquet(folder / f"{t}.parquet"), encoded[t]) for t in TABLES}
    return engine.Multiverse(frames["table"], frames["tests"], frames["accounting"], {}, {}, params)


def _write(folder: Path, mv: engine.Multiverse) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        encoded = {}
        for t in TABLES:
            df = getattr(mv, t)
            encoded[t] = [c for c in df.columns if df[c].dtype == object]
            io.write_parquet(tmp / f"{t}.parquet", _encode(df))
        io.write_text(tmp / "encoded.json", json.dumps(encoded, sort_keys=True))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_shared(hypotheses: list[str] | None = None, fix: dict | None = None, *, reps: int = engine.DEFAULT_REPS,
               seed: int = engine.DEFAULT_SEED, test: bool = True, workers: int | None = None) -> engine.Multiverse:
    """``engine.run`` on the local pool, or the stored run with the same key. Silent either way, so that a
    notebook's output does not depend on which of the two happened (parameters are checked by ``engine.run``)."""
    params = run_params(hypotheses, fix, reps=reps, seed=seed, test=test)
    data, _ = engine.prepare(families(params))
    k = key(params, data)
    root = memo_dir()
    with _locked(root, k):
        stored = _read(root / k, params)
        if stored is not None:
            return stored
        mv = engine.run(hypotheses, fix, reps=reps, seed=seed, test=test, workers=workers, data=data)
        _write(root / k, mv)
        return mv
