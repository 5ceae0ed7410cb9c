"""Jobs: one notebook execution in plain picklable fields (it may cross to another process or machine)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from . import layout
from .cache import Context, Key, notebook_key, sha
from .specs import Notebook

# Passed from the runner's environment to each kernel.
ENV_VARS = ("SANGAKU_ROOT", "SANGAKU_OUTPUT", "PYTHONHASHSEED", "MPLBACKEND", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Notebooks run in parallel across the cores; threaded BLAS inside each kernel would only oversubscribe them.
SINGLE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Job:
    """One notebook execution."""

    name: str
    out_name: str
    input_path: str
    output_path: str
    failed_path: str
    parameters: dict
    cwd: str
    kernel: str
    key: Key
    folder: str
    declared: dict  # the spec the kernel enforces (analysis.inputs)
    env: dict = field(default_factory=dict)
    timeout: int = 1800
    prewarm: bool = False  # start the next kernel while this notebook runs (more notebooks follow on this worker)
    record_parameters: bool = False  # write PARAMETERS.json into the run's folder


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


def declared_inputs(nb: Notebook, params: dict[str, Any]) -> dict[str, Any]:
    """The spec a kernel enforces: declared names, and each file parameter's value."""
    spec = nb.spec.as_dict()
    files = {}
    for name in nb.spec.file_params:
        value = params.get(name, nb.params.get(name))
        if isinstance(value, str) and value:
            files[name] = value
    return {"notebook": nb.name, "processed": spec["processed"], "raw": spec["raw"], "package": spec["package"],
            "file_params": files}


def make_job(nb: Notebook, overrides: dict[str, Any], ctx: Context, *, output_path: Path | None = None) -> Job:
    """A job for ``nb``: default runs to ``output/notebooks``, overridden runs to ``output/runs``.

    ``output_path`` replaces the executed copy's path (``nbtools commit`` writes the notebook itself).
    """
    params = dict(overrides)
    if params:
        out_name = f"{nb.name}__{sha(params)[:10]}"
        folder = layout.runs_dir() / out_name
        if "output_dir" in nb.params and "output_dir" not in params:
            params["output_dir"] = str(folder)
        executed = layout.runs_dir() / f"{out_name}.ipynb"
        failed = layout.runs_dir() / "failed" / f"{out_name}.ipynb"
        if "output_dir" in params:
            folder = Path(params["output_dir"])
    else:
        out_name = nb.name
        folder = nb.default_output_folder()
        executed = layout.executed_dir() / f"{nb.name}.ipynb"
        failed = layout.executed_dir() / "failed" / f"{nb.name}.ipynb"
    env = {k: os.environ[k] for k in ENV_VARS if k in os.environ}
    env.setdefault("SANGAKU_ROOT", str(paths.project_root()))
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("MPLBACKEND", "Agg")
    for var in SINGLE_THREAD:
        env.setdefault(var, "1")
    key = notebook_key(nb, params, ctx)
    return Job(nb.name, out_name, str(nb.path), str(output_path or executed), str(failed), params,
               str(nb.path.parent), ctx.kernel, key, str(folder), declared_inputs(nb, params), env,
               record_parameters=bool(overrides) and output_path is None)
