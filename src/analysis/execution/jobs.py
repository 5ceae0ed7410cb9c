"""Jobs and tasks: one notebook execution in plain picklable fields (it may cross to another process or machine).

A :class:`Job` is the client's view (where results go, the cache key); a :class:`Task` is what a worker gets:
the notebook's text, its parameters and every declared input by content hash, so that a worker needs no access to
the client's files. Inputs come with the task as bytes (by hash) or, for a worker on the same machine, as the
client's path (linked, never copied). A :class:`Result` carries the executed notebook and its output files back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import vintage_params
from . import layout
from .cache import Context, Key, notebook_key, sha
from .specs import Notebook

# Passed from the runner's environment to each kernel (only to the kernel: a worker's own environment is not
# touched). The project root and output folder of a kernel are its worker's temporary directory.
ENV_VARS = ("PYTHONHASHSEED", "MPLBACKEND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Notebooks run in parallel across the cores; threaded BLAS inside each kernel would only oversubscribe them.
SINGLE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Job:
    """One notebook execution, as the client sees it."""

    name: str
    out_name: str
    input_path: str
    output_path: str
    failed_path: str
    parameters: dict  # as the kernel sees them on the client's machine (absolute client paths)
    cwd: str
    kernel: str
    key: Key
    folder: str  # where the client writes the output files
    declared: dict  # the spec the kernel enforces (analysis.inputs)
    env: dict = field(default_factory=dict)
    timeout: int = 1800
    prewarm: bool = False  # start the next kernel while this notebook runs (more notebooks follow on this worker)
    record_parameters: bool = False  # write PARAMETERS.json into the run's folder
    overrides: dict = field(default_factory=dict)  # what the user chose (no derived output_dir)
    worker_folder: str = ""  # the output folder relative to the kernel's output root
    file_params: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # notebooks this job starts after when they run too (scheduling only)
    expected_seconds: float = 0.0  # the declared duration, used to order the queue until one is recorded
    shared_cache: str = ""  # the client's folder of caches that jobs share (set by the scheduler)


@dataclass(frozen=True)
class Input:
    """One file a task needs: where it goes in the worker's directory, its sha256 and the client's path."""

    dest: str  # relative to the worker's project root, e.g. "data/processed/oecd_msti.parquet"
    sha256: str
    source: str  # the client's absolute path (used only by a worker that shares the client's filesystem)


@dataclass(frozen=True)
class Task:
    """What a worker needs to execute one notebook, and nothing that points into the client's files."""

    name: str
    out_name: str
    notebook: str  # the notebook's JSON text (outputs dropped)
    parameters: dict  # the client's view, shown in the executed notebook
    kernel: str
    inputs: tuple[Input, ...]
    file_params: dict  # parameter name -> dest of its file (relative to the worker's project root)
    redirect_output_dir: bool  # output_dir is set: point it into the worker's output folder
    worker_folder: str  # folder of the output files, relative to the kernel's output root
    declared: dict
    env: dict
    code: dict  # package file (modules, package data) -> sha256 in the client's key; a worker that differs refuses
    timeout: int = 1800
    prewarm: bool = False
    shared_cache: str = ""  # the client's output/.cache, whose layout.SHARED_CACHES the kernel uses (same machine)


@dataclass(frozen=True)
class Result:
    """What came back from one execution (never an exception)."""

    name: str
    ok: bool
    seconds: float
    message: str = ""
    cell_index: int | None = None
    ename: str = ""
    evalue: str = ""
    failed_path: str = ""
    notebook: str = ""  # the executed, normalised notebook (text), written by the client
    files: dict = field(default_factory=dict)  # output file (relative to the folder) -> bytes
    phases: dict = field(default_factory=dict)  # seconds per phase (inputs, kernel, execute, collect)


def declared_inputs(nb: Notebook, params: dict[str, Any]) -> dict[str, Any]:
    """The spec a kernel enforces: declared names, each file parameter's value, and the raw files of the vintage
    a set vintage parameter names (``oecd_msti/2025-03/msti_raw.csv.gz``: delivered, keyed and readable)."""
    spec = nb.spec.as_dict()
    files = {}
    for name in nb.spec.file_params:
        value = params.get(name, nb.params.get(name))
        if isinstance(value, str) and value:
            files[name] = value
    raw = spec["raw"] + vintage_params.expand(nb.spec.vintage_params, params, nb.params, nb.name)
    return {"notebook": nb.name, "processed": spec["processed"], "raw": raw, "package": spec["package"],
            "file_params": files}


def run_name(name: str, overrides: dict[str, Any]) -> str:
    """``<name>`` for the defaults, ``<name>__<hash of the overrides>`` otherwise (the run's file names)."""
    return f"{name}__{sha(overrides)[:10]}" if overrides else name


def kernel_env() -> dict[str, str]:
    """The environment a job's kernel gets from this process: ``ENV_VARS`` as set here, else a fixed hash seed,
    the Agg backend and one BLAS thread (parallel notebooks would otherwise oversubscribe the cores)."""
    env = {k: os.environ[k] for k in ENV_VARS if k in os.environ}
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("MPLBACKEND", "Agg")
    for var in SINGLE_THREAD:
        env.setdefault(var, "1")
    return env


def make_job(nb: Notebook, overrides: dict[str, Any], ctx: Context, *, output_path: Path | None = None) -> Job:
    """A job for ``nb``: default runs to ``output/notebooks``, overridden runs to ``output/runs``.

    ``output_path`` replaces the executed copy's path (``nbtools commit`` writes the notebook itself).
    """
    params = dict(overrides)
    out_name = run_name(nb.name, params)
    if params:
        folder = layout.runs_dir() / out_name
        if "output_dir" in nb.params and "output_dir" not in params:
            params["output_dir"] = str(folder)
        executed = layout.runs_dir() / f"{out_name}.ipynb"
        failed = layout.runs_dir() / "failed" / f"{out_name}.ipynb"
        if "output_dir" in params:
            folder = Path(params["output_dir"])
        worker_folder = f"runs/{out_name}" if "output_dir" in params else nb.spec.outputs
    else:
        folder = nb.default_output_folder()
        executed = layout.executed_dir() / f"{nb.name}.ipynb"
        failed = layout.executed_dir() / "failed" / f"{nb.name}.ipynb"
        worker_folder = nb.spec.outputs
    env = kernel_env()
    key = notebook_key(nb, params, ctx)
    return Job(nb.name, out_name, str(nb.path), str(output_path or executed), str(failed), params,
               str(nb.path.parent), ctx.kernel, key, str(folder), declared_inputs(nb, params), env,
               record_parameters=bool(overrides) and output_path is None, overrides=dict(overrides),
               worker_folder=worker_folder, file_params=tuple(nb.spec.file_params), after=nb.spec.after,
               expected_seconds=nb.spec.expected_seconds)
