"""Run the notebooks: ``analysis run``, ``analysis reproduce`` and ``analysis site``.

* ``run NOTEBOOK... [-p name value] [--params file]`` validates every parameter *before* any kernel starts
  (unknown notebook, unknown parameter, wrong type versus the default, the notebook's own ``validate`` hook),
  then executes with papermill in the ``sangaku`` kernel (working directory ``notebooks/``). Runs with default
  parameters store their executed copy in ``output/notebooks/<name>.ipynb``; runs with overrides go to
  ``output/runs/<name>__<hash>.ipynb`` (and their files to ``output/runs/<name>__<hash>/``) so the defaults
  stay intact.
* ``reproduce [--force] [--jobs N]``: verify raw data, build processed data (skipped when nothing changed),
  execute every notebook in parallel, render the site. A failing notebook is named with its failing cell, its
  executed copy is kept in ``output/notebooks/failed/``, the others finish, and the command exits 1.
* Content-addressed cache: a notebook is re-executed only when the sha256 of its source cells and parameters,
  the library code (``analysis/**/*.py``), the processed files it ``reads`` (from ``BUILD.json``), the locked
  package versions or the kernel name change, or when its outputs are gone. Keys live in ``output/.cache/``.

Executors: the pipeline only calls ``executor.submit(fn, job)`` and waits on the returned
``concurrent.futures.Future`` objects, so any ``concurrent.futures.Executor`` works: the default
``ProcessPoolExecutor(max_workers=--jobs)``, a ``ThreadPoolExecutor``, or a Dask cluster through
``distributed.Client(...).get_executor()`` (``reproduce(executor=client.get_executor())``).
"""

from __future__ import annotations

import argparse
import ast
import atexit
import concurrent.futures as cf
import dataclasses
import hashlib
import importlib
import importlib.metadata
import json
import logging
import multiprocessing.util
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import io, paths
from .errors import DataFileError, ParameterError

# Same value as ``nbtools.KERNEL_NAME`` (a test checks): importing nbtools pulls in nbformat's schema validator,
# seconds that a cached no-op run should not pay.
KERNEL_NAME = "sangaku"

CACHE_VERSION = 1  # bump when the key recipe changes
OUTPUT_KINDS = {"figure": "figures", "hypothesis": "tables"}
ENV_VARS = ("SANGAKU_ROOT", "SANGAKU_OUTPUT", "PYTHONHASHSEED", "MPLBACKEND", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Notebooks run in parallel across the cores; threaded BLAS inside each kernel would only oversubscribe them.
# The models are small dense problems for which one thread is also the fastest on its own.
SINGLE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
Progress = Callable[[str], None]


def _print(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------- discovery


def discover(nbdir: Path | None = None) -> dict[str, Path]:
    """Notebooks in ``notebooks/`` by name (file stem), sorted; checkpoints and hidden files excluded."""
    nbdir = nbdir or paths.notebooks_dir()
    if not nbdir.is_dir():
        return {}
    return {p.stem: p for p in sorted(nbdir.glob("*.ipynb")) if not p.name.startswith(".")}


@dataclass(frozen=True)
class Notebook:
    """A notebook with its project metadata and parameters (name -> default value)."""

    name: str
    path: Path
    meta: dict
    params: dict[str, Any]
    cells: list[tuple[str, str, list[str]]]

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", ""))

    def default_output_folder(self) -> Path | None:
        """``output/figures/<name>`` or ``output/tables/<name>`` by kind; None for other notebooks."""
        sub = OUTPUT_KINDS.get(self.kind)
        return paths.output_dir() / sub / self.name if sub else None


_UNPARSEABLE = object()  # a default that is an expression rather than a literal: any value is accepted


def _literal(src: str | None) -> Any:
    try:
        return ast.literal_eval(src) if src is not None else _UNPARSEABLE
    except (ValueError, SyntaxError):
        return _UNPARSEABLE


def _parameters_cell(nb: dict) -> dict[str, Any]:
    """Names and literal defaults assigned at the top level of the cell tagged ``parameters``."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(_source(cell))
            except SyntaxError:
                return {}
            out: dict[str, Any] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                else:
                    continue
                for t in targets:
                    if isinstance(t, ast.Name):
                        try:
                            out[t.id] = ast.literal_eval(value)
                        except ValueError:
                            out[t.id] = _UNPARSEABLE
            return out
    return {}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def load_notebook(path: Path, *, inspect: bool = True) -> Notebook:
    """Read a notebook, its ``metadata["sangaku"]`` and its parameters.

    Parameters are the literal assignments of the cell tagged ``parameters`` (read with ``ast``), completed by
    ``papermill.inspect_notebook`` when ``inspect`` (papermill skips lines with a trailing comment, so it
    cannot be the only reader). The notebook JSON is read directly: importing nbformat's validator costs
    seconds, which a cached no-op run should not pay.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["cells"], nb.setdefault("metadata", {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(path, f"not a readable notebook: {exc}") from exc
    params = _parameters_cell(nb)
    if inspect:
        import papermill

        logger = logging.getLogger("papermill")
        level = logger.level
        logger.setLevel(logging.ERROR)  # silence its "Unable to parse line" for lines the ast reader handles
        try:
            inspected = papermill.inspect_notebook(str(path))
        finally:
            logger.setLevel(level)
        for name, info in inspected.items():
            params.setdefault(name, _literal(info.get("default")))
    cells = [(c["cell_type"], _source(c), sorted(c.get("metadata", {}).get("tags", []))) for c in nb["cells"]]
    return Notebook(path.stem, path, dict(nb["metadata"].get("sangaku", {})), params, cells)


def resolve_notebooks(names: Iterable[str], nbdir: Path | None = None) -> list[Path]:
    """Map names (``fig01_x``, ``fig01_x.ipynb``, ``notebooks/fig01_x.ipynb`` or a unique prefix such as ``fig01``)
    to notebook paths; unknown or ambiguous -> ``ParameterError`` listing the candidates."""
    found = discover(nbdir)
    out = []
    for raw in names:
        stem = Path(raw).name.removesuffix(".ipynb")
        if stem not in found:
            # A unique prefix is enough: `analysis run fig03` for fig03_herd_business_share_2021.
            hits = [n for n in found if n.startswith(stem)] if stem else []
            if len(hits) != 1:
                problem = (f"ambiguous: matches {len(hits)} notebooks" if hits
                           else f"no such notebook in {nbdir or paths.notebooks_dir()}")
                raise ParameterError("notebook", raw, problem, hits or sorted(found))
            stem = hits[0]
        out.append(found[stem])
    return out


# -------------------------------------------------------------------------------------------- parameters

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _type_name(value: Any) -> str:
    return type(value).__name__


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an int", "a float"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def coerce_cli_value(name: str, text: str, default: Any) -> Any:
    """Turn the text of ``-p name value`` into the type of the parameter's default."""
    if default is _UNPARSEABLE or default is None:
        val = _literal(text)
        return text if val is _UNPARSEABLE else val
    try:
        if isinstance(default, bool):
            low = text.strip().lower()
            if low in _TRUE | _FALSE:
                return low in _TRUE
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, str):
            return text
        val = _literal(text)
        if val is _UNPARSEABLE:
            val = json.loads(text)
        return val
    except (ValueError, json.JSONDecodeError):
        raise ParameterError(name, text, f"expected {_a(_type_name(default))} like the default {default!r}") from None


def check_type(name: str, value: Any, default: Any) -> Any:
    """Check a typed value against the default's type (an int is accepted for a float); return it."""
    if default is _UNPARSEABLE or default is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        value = type(default)(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ParameterError(name, value, f"expected {_a(_type_name(default))} like the default {default!r}, "
                                          f"got {_a(_type_name(value))}")
    return value


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML or JSON file holding one mapping."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "parameter file not found")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            import yaml

            doc = yaml.safe_load(text)
    except Exception as exc:  # yaml and json raise their own error types
        raise DataFileError(path, f"cannot parse parameters: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataFileError(path, "must hold a mapping of parameter name to value")
    return doc


def _hook(nb: Notebook) -> Callable[[dict], None] | None:
    spec = nb.meta.get("validate")
    if not spec:
        return None
    mod_name, _, func_name = str(spec).partition(":")
    try:
        return getattr(importlib.import_module(mod_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise DataFileError(nb.path, f"validate hook {spec!r} cannot be loaded: {exc}",
                            hint='metadata["sangaku"]["validate"] must be "module:function"') from exc


def validate(nb: Notebook, overrides: dict[str, Any], *, cli_text: bool = False) -> dict[str, Any]:
    """Check overrides against the notebook's parameters and its validate hook; return typed overrides.

    ``cli_text=True`` means values are strings from ``-p`` and are converted to the default's type first.
    """
    typed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in nb.params:
            raise ParameterError(name, value, f"notebook {nb.name} has no such parameter", sorted(nb.params))
        default = nb.params[name]
        if cli_text and isinstance(value, str):
            value = coerce_cli_value(name, value, default)
        typed[name] = check_type(name, value, default)
    hook = _hook(nb)
    if hook is not None:
        full = {k: v for k, v in nb.params.items() if v is not _UNPARSEABLE}
        hook({**full, **typed})
    return typed


# ------------------------------------------------------------------------------------------ cache keys


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def library_hash(root: Path | None = None) -> str:
    """sha256 over every ``analysis/**/*.py`` (path and content); ``root`` defaults to this package."""
    root = root or Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def locked_versions(root: Path | None = None) -> dict[str, str]:
    """Installed versions of the packages pinned in ``requirements.lock`` (or the pyproject dependencies)."""
    root = root or Path(__file__).resolve().parents[2]
    names: list[str] = []
    lock = root / "requirements.lock"
    if lock.exists():
        names = [ln.split("==")[0].strip() for ln in lock.read_text().splitlines()
                 if ln.strip() and not ln.startswith("#")]
    if not names:
        names = ["pandas", "numpy", "matplotlib", "statsmodels", "papermill", "nbconvert", "ipykernel"]
    out = {}
    for n in sorted(set(names)):
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            out[n] = "absent"
    return out


def build_outputs(processed: Path | None = None) -> dict[str, str]:
    """``BUILD.json`` outputs {file: sha256}; empty when data have not been built."""
    path = (processed or paths.processed_dir()) / "BUILD.json"
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text()).get("outputs", {}))
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON: {exc}") from exc


def data_inputs(nb: Notebook, outputs: dict[str, str]) -> dict[str, str]:
    """Hashes of the processed files the notebook reads; every file when it declares no ``reads``."""
    reads = nb.meta.get("reads")
    if reads is None:
        return dict(outputs)
    picked: dict[str, str] = {}
    for r in reads:
        hits = {f: h for f, h in outputs.items() if f == r or Path(f).stem == r or Path(f).stem.startswith(f"{r}_")}
        picked.update(hits or {f"{r} (not built)": "missing"})
    return picked


@dataclass(frozen=True)
class Context:
    """What every key shares within one invocation (computed once)."""

    library: str
    versions: dict[str, str]
    outputs: dict[str, str]
    kernel: str = KERNEL_NAME

    @classmethod
    def current(cls) -> "Context":
        return cls(library_hash(), locked_versions(), build_outputs())


def key_parts(nb: Notebook, params: dict[str, Any], ctx: Context) -> dict[str, str]:
    """The hashed components of a cache key, kept separately so a rerun can say what changed."""
    return {
        "notebook": _sha({"v": CACHE_VERSION, "cells": nb.cells, "sangaku": nb.meta}),
        "parameters": _sha(params),
        "library code": ctx.library,
        "processed data": _sha(data_inputs(nb, ctx.outputs)),
        "package versions": _sha({"packages": ctx.versions, "python": sys.version.split()[0]}),
        "kernel": _sha(ctx.kernel),
    }


def cache_key(nb: Notebook, params: dict[str, Any], ctx: Context) -> str:
    """The content address of one execution: sha256 over its key parts."""
    return _sha(key_parts(nb, params, ctx))


def cache_dir() -> Path:
    return paths.output_dir() / ".cache"


def _folder_files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): io.sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def cache_status(job: "Job") -> str | None:
    """None when the stored result is current, else why the notebook must run."""
    rec_path = cache_dir() / "notebooks" / f"{job.out_name}.json"
    if not rec_path.exists():
        return "not run before"
    try:
        rec = json.loads(rec_path.read_text())
    except json.JSONDecodeError:
        return "cache record unreadable"
    if rec.get("key") != job.key:
        changed = [k for k, v in job.parts.items() if rec.get("parts", {}).get(k) != v]
        return f"{', '.join(changed) or 'inputs'} changed"
    if not Path(job.output_path).exists():
        return "executed copy missing"
    if rec.get("folder"):
        folder = paths.output_dir() / rec["folder"]  # relative, so a moved checkout keeps its cache
        if not folder.is_dir():
            return "output folder missing"
        now = _folder_files(folder)
        for f, h in rec.get("files", {}).items():
            if now.get(f) != h:
                return f"output {f} missing or changed"
    return None


def _record(job: "Job", seconds: float) -> None:
    folder = Path(job.folder) if job.folder else None
    rel = ""
    if folder and folder.is_dir():
        try:
            rel = folder.resolve().relative_to(paths.output_dir()).as_posix()
        except ValueError:  # an explicit output_dir outside output/: keyed by its absolute path
            rel = str(folder.resolve())
    rec = {"key": job.key, "parts": job.parts, "notebook": job.name, "seconds": round(seconds, 2),
           "folder": rel, "files": _folder_files(folder) if rel else {}}
    io.write_text(cache_dir() / "notebooks" / f"{job.out_name}.json", json.dumps(rec, indent=1, sort_keys=True) + "\n")


def _forget(job: "Job") -> None:
    (cache_dir() / "notebooks" / f"{job.out_name}.json").unlink(missing_ok=True)


def _last_seconds(out_name: str) -> float:
    try:
        return float(json.loads((cache_dir() / "notebooks" / f"{out_name}.json").read_text()).get("seconds", 0))
    except (OSError, ValueError):
        return 0.0


# ---------------------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """One notebook execution, in plain picklable fields (it may cross to another process or machine)."""

    name: str
    out_name: str
    input_path: str
    output_path: str
    failed_path: str
    parameters: dict
    cwd: str
    kernel: str
    key: str
    folder: str
    env: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)
    timeout: int = 1800
    prewarm: bool = False  # start the next kernel while this notebook runs (more notebooks follow on this worker)


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    seconds: float
    message: str = ""
    cell_index: int | None = None
    ename: str = ""
    evalue: str = ""
    failed_path: str = ""


def _param_hash(params: dict) -> str:
    return _sha(params)[:10]


def make_job(nb: Notebook, overrides: dict[str, Any], ctx: Context) -> Job:
    """A job for ``nb``: default runs to ``output/notebooks``, overridden runs to ``output/runs``."""
    out = paths.output_dir()
    params = dict(overrides)
    if params:
        out_name = f"{nb.name}__{_param_hash(params)}"
        folder = out / "runs" / out_name
        if "output_dir" in nb.params and "output_dir" not in params:
            params["output_dir"] = str(folder)
        output_path = out / "runs" / f"{out_name}.ipynb"
        failed = out / "runs" / "failed" / f"{out_name}.ipynb"
        if "output_dir" in params:
            folder = Path(params["output_dir"])
    else:
        out_name = nb.name
        folder = nb.default_output_folder()
        output_path = out / "notebooks" / f"{nb.name}.ipynb"
        failed = out / "notebooks" / "failed" / f"{nb.name}.ipynb"
    env = {k: os.environ[k] for k in ENV_VARS if k in os.environ}
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("MPLBACKEND", "Agg")
    for var in SINGLE_THREAD:
        env.setdefault(var, "1")
    parts = key_parts(nb, params, ctx)
    return Job(nb.name, out_name, str(nb.path), str(output_path), str(failed), params, str(nb.path.parent),
               KERNEL_NAME, _sha(parts), str(folder) if folder else "", env, parts)


def _normalise(nb):
    """Strip volatile metadata and give papermill's injected cell a fixed id, so equal runs give equal bytes."""
    from .nbtools import strip_volatile

    nb = strip_volatile(nb)
    for i, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
        elif "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = f"papermill-error-{i}"
    return nb


# Kernels started ahead of time, per worker process: a kernel takes about a second to start, which can overlap
# with the previous notebook instead of adding up. Each notebook still gets a fresh kernel of its own.
_WARM: dict[tuple, Any] = {}
_WARM_LOCK = threading.Lock()


def _warm_key(job: Job) -> tuple:
    return (job.kernel, job.cwd, tuple(sorted(job.env.items())))


def _start_kernel(job: Job):
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=job.kernel)
    run_sync(km.start_kernel)(cwd=job.cwd, env={**os.environ, **job.env})
    return km


def _stop_kernel(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=False)
    except Exception:  # already gone: nothing to clean up
        pass


def shutdown_warm_kernels() -> None:
    """Stop kernels started ahead for notebooks that never came (end of a run, or on exit)."""
    with _WARM_LOCK:
        kms = list(_WARM.values())
        _WARM.clear()
    for km in kms:
        _stop_kernel(km)


def _take_kernel(job: Job):
    from jupyter_core.utils import run_sync

    with _WARM_LOCK:
        km = _WARM.pop(_warm_key(job), None)
    if km is not None and not run_sync(km.is_alive)():
        km = None
    km = km or _start_kernel(job)
    if job.prewarm:
        nxt = _start_kernel(job)
        with _WARM_LOCK:
            old = _WARM.pop(_warm_key(job), None)
            _WARM[_warm_key(job)] = nxt
        if old is not None:
            _stop_kernel(old)
    return km


atexit.register(shutdown_warm_kernels)
multiprocessing.util.Finalize(None, shutdown_warm_kernels, exitpriority=10)  # pool workers skip atexit


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"(?:Cell In|Input In)\s*\[(\d+)\],\s*line (\d+)")


def failing_line(source: str, exec_count: int | None, traceback: list[str]) -> tuple[int, str] | None:
    """(line number, text) of the line of a cell that raised, from IPython's traceback frames.

    The innermost frame of the failing cell (``Cell In[<execution count>], line <n>``) names the line; ``None``
    when no frame of this cell is found (e.g. an error raised before the cell ran), so nothing wrong is quoted.
    """
    if exec_count is None:
        return None
    found = None
    for frame in traceback:
        for m in _CELL_FRAME.finditer(_ANSI.sub("", frame)):
            if int(m.group(1)) == exec_count:
                found = int(m.group(2))
    lines = source.splitlines()
    if found is None or not 1 <= found <= len(lines) or not lines[found - 1].strip():
        return None
    return found, lines[found - 1].strip()


def execute_job(job: Job) -> Result:
    """Execute one notebook with papermill; never raises (failures come back as a ``Result``).

    papermill writes to a temporary file beside the target; the stripped notebook then replaces the executed
    copy atomically, so an interrupted run never leaves a half-written notebook.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    os.environ.update(job.env)
    t0 = time.perf_counter()
    target = Path(job.output_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}.{os.getpid()}.{time.monotonic_ns()}.running.ipynb"

    def keep_failed() -> str:
        if not tmp.exists():
            return ""
        nb = _normalise(nbformat.read(tmp, as_version=4))
        io.write_text(job.failed_path, nbformat.writes(nb) + "\n")
        return job.failed_path

    km = None
    try:
        km = _take_kernel(job)
        papermill.execute_notebook(
            job.input_path, str(tmp), parameters=job.parameters or None, kernel_name=job.kernel,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=job.timeout, resources={"metadata": {"path": job.cwd}}, km=km,
        )
        nb = _normalise(nbformat.read(tmp, as_version=4))
        io.write_text(target, nbformat.writes(nb) + "\n")
        Path(job.failed_path).unlink(missing_ok=True)
        return Result(job.out_name, True, time.perf_counter() - t0)
    except PapermillExecutionError as exc:
        kept = keep_failed()
        line = failing_line(exc.source or "", exc.exec_count, exc.traceback or [])
        msg = (f"{job.out_name}: cell {exc.cell_index} (execution count {exc.exec_count}) raised {exc.ename}: "
               f"{exc.evalue}" + (f" — at line {line[0]}: `{line[1][:80]}`" if line else ""))
        return Result(job.out_name, False, time.perf_counter() - t0, msg, exc.cell_index, exc.ename,
                      str(exc.evalue), kept)
    except Exception as exc:  # kernel death, timeout, missing kernel: report, let the other notebooks finish
        kept = keep_failed()
        msg = f"{job.out_name}: {type(exc).__name__}: {exc}"
        return Result(job.out_name, False, time.perf_counter() - t0, msg, None, type(exc).__name__, str(exc), kept)
    finally:
        if km is not None:
            _stop_kernel(km)
        tmp.unlink(missing_ok=True)


@dataclass
class Summary:
    """What a run did: ran / skipped (cached) / failed results."""

    ran: list[Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run_jobs(jobs: list[Job], *, force: bool = False, executor: cf.Executor | None = None,
             max_workers: int | None = None, progress: Progress = _print,
             before_start: Callable[[list[Job]], None] | None = None) -> Summary:
    """Execute the jobs whose cache key changed (all with ``force``), in parallel on ``executor``.

    ``before_start(jobs_to_run)`` is called before any of them is submitted (reproduce validates there).

    Without an executor a ``ProcessPoolExecutor`` with ``max_workers`` (default: cores) is created and shut
    down here; a given executor is used as is and left open for the caller.
    """
    summary = Summary()
    todo: list[tuple[Job, str]] = []
    for job in jobs:
        why = "forced" if force else cache_status(job)
        if why is None:
            summary.skipped.append(job.out_name)
        else:
            todo.append((job, why))
    if before_start is not None:
        before_start([job for job, _ in todo])
    if summary.skipped:
        progress(f"cached, not re-run ({len(summary.skipped)}): {', '.join(summary.skipped)}")
    if not todo:
        return summary
    # Longest first (by the last recorded duration) so the slowest notebook does not start last.
    todo.sort(key=lambda jw: (-_last_seconds(jw[0].out_name), jw[0].out_name))
    n = len(todo)
    own = executor is None
    if own:
        workers = min(n, max_workers or default_jobs())
        executor = cf.ProcessPoolExecutor(max_workers=workers)
        progress(f"running {n} notebook(s) on {workers} worker(s)")
    else:
        progress(f"running {n} notebook(s) on {type(executor).__name__}")
    try:
        futures = {}
        # The last job each worker takes needs no kernel started ahead.
        workers = getattr(executor, "_max_workers", 1) or 1
        todo = [(dataclasses.replace(job, prewarm=i < n - workers), why) for i, (job, why) in enumerate(todo)]
        for job, why in todo:
            futures[executor.submit(execute_job, job)] = job
            progress(f"  queued {job.out_name} ({why})")
        for i, fut in enumerate(cf.as_completed(futures), 1):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker itself died (e.g. killed): still report this notebook
                res = Result(job.out_name, False, 0.0, f"{job.out_name}: worker failed: {type(exc).__name__}: {exc}")
            if res.ok:
                _record(job, res.seconds)
                summary.ran.append(res)
                progress(f"[{i}/{n}] {res.name} done {res.seconds:.1f} s")
            else:
                _forget(job)
                summary.failed.append(res)
                progress(f"[{i}/{n}] {res.name} FAILED after {res.seconds:.1f} s: {res.message}")
                if res.failed_path:
                    progress(f"        executed copy kept for inspection: {res.failed_path}")
    finally:
        if own:
            executor.shutdown(wait=True)
        shutdown_warm_kernels()  # those a thread executor left in this process
    summary.ran.sort(key=lambda r: r.name)
    summary.failed.sort(key=lambda r: r.name)
    return summary


# ------------------------------------------------------------------------------------------- commands


def run(names: list[str], overrides: dict[str, Any] | None = None, *, cli_text: bool = False, force: bool = False,
        executor: cf.Executor | None = None, max_workers: int | None = None,
        progress: Progress = _print) -> Summary:
    """Validate then execute the named notebooks with the same overrides (``analysis run``)."""
    overrides = overrides or {}
    paths_ = resolve_notebooks(names)
    nbs = [load_notebook(p) for p in paths_]
    typed = [validate(nb, overrides, cli_text=cli_text) for nb in nbs]  # every check before any kernel
    ctx = Context.current()
    jobs = [make_job(nb, t, ctx) for nb, t in zip(nbs, typed)]
    return run_jobs(jobs, force=force, executor=executor, max_workers=max_workers, progress=progress)


def _data_stamp() -> dict:
    raw_manifest = paths.raw_dir() / "manifest.json"
    return {"manifest": io.sha256_file(raw_manifest) if raw_manifest.exists() else "",
            "library": library_hash()}


def data_is_current() -> bool:
    """True when processed data were built by this code from this raw manifest and are unchanged since."""
    stamp_path = cache_dir() / "data.json"
    outputs = build_outputs()
    if not stamp_path.exists() or not outputs:
        return False
    try:
        stamp = json.loads(stamp_path.read_text())
    except json.JSONDecodeError:
        return False
    if stamp.get("stamp") != _data_stamp() or stamp.get("outputs") != outputs:
        return False
    proc = paths.processed_dir()
    return all((proc / f).exists() and io.sha256_file(proc / f) == h for f, h in outputs.items())


def prepare_data(*, force: bool = False, progress: Progress = _print) -> bool:
    """Verify raw data; rebuild processed data unless current. Returns True when it rebuilt."""
    from . import build, manifest

    t0 = time.perf_counter()
    rep = manifest.verify()
    progress(f"[data] verified {rep.checked} raw files ({rep.bytes / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    if not force and data_is_current():
        progress("[data] processed data are current (same raw manifest and code); not rebuilt")
        return False
    t0 = time.perf_counter()
    build.build(progress=lambda m: progress(f"[data] {m}"))
    io.write_text(cache_dir() / "data.json",
                  json.dumps({"stamp": _data_stamp(), "outputs": build_outputs()}, indent=1, sort_keys=True) + "\n")
    progress(f"[data] built in {time.perf_counter() - t0:.1f} s")
    return True


def reproduce(*, force: bool = False, jobs: int | None = None, executor: cf.Executor | None = None,
              data: bool = True, site: bool = True, progress: Progress = _print) -> Summary:
    """The whole analysis: data, every notebook (cached, in parallel), then the site."""
    t0 = time.perf_counter()
    if data:
        prepare_data(force=force, progress=progress)
    found = discover()
    nbs = {name: load_notebook(p, inspect=False) for name, p in found.items()}
    ctx = Context.current()
    progress(f"[notebooks] {len(nbs)} in {paths.notebooks_dir()}")

    def check(todo: list[Job]) -> None:
        # The notebooks about to run have their validate hook called on their defaults before any kernel
        # starts; cached ones were checked when they ran (importing every hook would slow a no-op run).
        for job in todo:
            validate(nbs[job.name], {})

    summary = run_jobs([make_job(nb, {}, ctx) for nb in nbs.values()], force=force, executor=executor,
                       max_workers=jobs, progress=progress, before_start=check)
    if site:
        from . import site as site_mod

        site_mod.render(progress=progress)
    progress(f"[reproduce] {len(summary.ran)} ran, {len(summary.skipped)} cached, {len(summary.failed)} failed "
             f"in {time.perf_counter() - t0:.1f} s")
    for res in summary.failed:
        progress(f"  FAILED {res.message}")
    return summary


def _parse_cli_params(pairs: list[list[str]] | None, files: list[str] | None) -> tuple[dict, dict]:
    from_files: dict[str, Any] = {}
    for f in files or []:
        from_files.update(read_params_file(f))
    from_cli = {name: value for name, value in (pairs or [])}
    return from_files, from_cli


def _cmd_run(args: argparse.Namespace) -> int:
    from_files, from_cli = _parse_cli_params(args.param, args.params)
    paths_ = resolve_notebooks(args.notebooks)
    nbs = [load_notebook(p) for p in paths_]
    typed_all = []
    for nb in nbs:
        typed = validate(nb, from_files)
        typed.update(validate(nb, from_cli, cli_text=True))
        validate(nb, typed)  # the hook sees file and command-line values together
        typed_all.append(typed)
    ctx = Context.current()
    jobs = [make_job(nb, t, ctx) for nb, t in zip(nbs, typed_all)]
    summary = run_jobs(jobs, force=args.force, max_workers=args.jobs)
    failed = {r.name: r for r in summary.failed}
    for job in jobs:
        res = failed.get(job.out_name)
        if res is None:
            print(f"{job.out_name}: {job.output_path}")
        elif res.failed_path:
            print(f"{job.out_name}: FAILED; executed copy kept for inspection: {res.failed_path}")
        else:
            print(f"{job.out_name}: FAILED; no executed copy was written (see the message above)")
    return 0 if summary.ok else 1


def _cmd_reproduce(args: argparse.Namespace) -> int:
    summary = reproduce(force=args.force, jobs=args.jobs, data=not args.no_data, site=not args.no_site)
    return 0 if summary.ok else 1


def _cmd_site(args: argparse.Namespace) -> int:
    from . import site as site_mod

    index = site_mod.render(force=args.force)
    print(f"site: {index}")
    return 0


def _jobs_arg(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return n


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``run``, ``reproduce`` and ``site`` on the ``analysis`` command."""
    s = sub.add_parser("run", help="validate parameters and execute notebooks (cached)")
    s.add_argument("notebooks", nargs="+", help="notebook names, e.g. fig01 (see notebooks/)")
    s.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="override a parameter (converted to the type of its default)")
    s.add_argument("--params", action="append", metavar="FILE", help="YAML or JSON file of parameters")
    s.add_argument("--force", action="store_true", help="execute even if the cached result is current")
    s.add_argument("--jobs", type=_jobs_arg, default=None, help="parallel notebooks (default: cores)")
    s.set_defaults(func=_cmd_run)
    s = sub.add_parser("reproduce", help="verify and build data, execute every notebook, render the site")
    s.add_argument("--force", action="store_true", help="rebuild data and re-execute every notebook")
    s.add_argument("--jobs", type=_jobs_arg, default=None, help=f"parallel notebooks (default: cores = {default_jobs()})")
    s.add_argument("--no-data", action="store_true", help="skip verifying raw data and building processed data")
    s.add_argument("--no-site", action="store_true", help="skip rendering output/site")
    s.set_defaults(func=_cmd_reproduce)
    s = sub.add_parser("site", help="render output/site from the executed notebooks and their outputs")
    s.add_argument("--force", action="store_true", help="re-render every page")
    s.set_defaults(func=_cmd_site)
