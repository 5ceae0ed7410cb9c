"""The client's side of an execution: pack a job into a self-contained task, then write what comes back.

``pack`` turns a :class:`~.jobs.Job` into a :class:`~.jobs.Task`: the notebook's text, its parameters and each
declared data input (processed datasets, raw files, file parameters) by sha256 — with the file's bytes when the
worker may not share this machine's filesystem. A processed dataset is its ``<name>.parquet`` (what
``analysis.inputs.processed`` opens); a dataset without a Parquet file ships every file of that name. A raw file
goes to the path of its resolved vintage. Package data (registry TOMLs, deck statements) and the ``analysis``
modules are part of the installed package: the task carries their sha256 and the worker refuses to run when its
own copies differ.

``deliver`` writes a successful result: output files into the job's folder, ``PARAMETERS.json`` for a run with
other parameters, then the executed notebook, each atomically; the cache records the run only after that
(``schedule``). A failed run's executed copy is written to the job's ``failed_path``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .. import io, paths
from . import codegraph
from .cache import Context
from .jobs import Input, Job, Result, Task


def _processed_files(name: str, outputs: dict[str, str]) -> dict[str, str]:
    files = {f: h for f, h in outputs.items() if Path(f).stem == name}
    parquet = {f: h for f, h in files.items() if f == f"{name}.parquet"}
    return parquet or files


def _raw_relpath(rel: str) -> str:
    """Where a logical raw path (``deck/deck.txt``) lies under ``data/raw`` (in its resolved vintage)."""
    try:
        from .. import vintages
    except ImportError:  # a checkout without dated vintages: raw files are where they are named
        return rel
    return vintages.resolve_relpath(rel, paths.raw_dir())


def installed_files(job: Job) -> dict[str, str]:
    """sha256 of the package files the job's key holds (modules, their data files, declared package data),
    by path relative to the package: a worker checks its own copies against these."""
    out = {}
    for module, digest in job.key.detail.get("code", {}).items():
        name, _, companion = module.partition(":")
        file = codegraph.module_file(name)
        if file is not None:
            rel = file.relative_to(codegraph.PACKAGE_DIR)
            out[(rel.parent / companion if companion else rel).as_posix()] = digest
    for rel in job.declared["package"]:
        out[rel] = job.key.detail.get("inputs", {}).get(f"package:{rel}", "missing")
    return out


def task_inputs(job: Job, ctx: Context) -> tuple[tuple[Input, ...], dict[str, str]]:
    """Every declared data input of ``job`` (dest in the worker's root, sha256, client path) and the file
    parameters' dests."""
    hashes = job.key.detail.get("inputs", {})
    out: list[Input] = []
    for name in job.declared["processed"]:
        for f, h in sorted(_processed_files(name, ctx.outputs).items()):
            out.append(Input(f"data/processed/{f}", h, str(paths.processed_dir() / f)))
    for rel in job.declared["raw"]:
        real = _raw_relpath(rel)
        out.append(Input(f"data/raw/{real}", hashes.get(f"raw:{rel}", "missing"), str(paths.raw_dir() / real)))
    files: dict[str, str] = {}
    for name, value in sorted(job.declared["file_params"].items()):
        dest = f".files/{name}/{Path(value).name}"
        out.append(Input(dest, hashes.get(f"file:{name}", "missing"), value))
        files[name] = dest
    return tuple(i for i in out if i.sha256 != "missing"), files


def _notebook_text(path: str) -> str:
    """The notebook without its stored outputs (papermill replaces them; the worker need not receive them)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(nb, ensure_ascii=False)


def pack(job: Job, ctx: Context, *, embed: bool) -> tuple[Task, dict[str, bytes]]:
    """The task for ``job`` and, with ``embed``, the inputs' bytes by sha256 (else an empty dict)."""
    ins, files = task_inputs(job, ctx)
    code = installed_files(job)
    task = Task(job.name, job.out_name, _notebook_text(job.input_path), dict(job.parameters), job.kernel, ins,
                files, "output_dir" in job.parameters, job.worker_folder, dict(job.declared), dict(job.env), code,
                job.timeout, job.prewarm, job.shared_cache)
    blobs = {i.sha256: Path(i.source).read_bytes() for i in ins} if embed else {}
    return task, blobs


def _parameters_record(job: Job) -> str:
    doc = {"notebook": job.name, "run": job.out_name, "parameters": job.parameters,
           "command": "analysis run " + job.name + "".join(
               f" -p {k} {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
               for k, v in sorted(job.parameters.items()) if k != "output_dir")}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def deliver(job: Job, res: Result) -> Result:
    """Write a result's files and notebook (atomically, notebook last); returns the result with paths filled in."""
    if not res.ok:
        if res.notebook:
            io.write_text(job.failed_path, res.notebook)
            return dataclasses.replace(res, failed_path=job.failed_path, notebook="", files={})
        return res
    folder = Path(job.folder)
    for rel in res.files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:  # a worker writes inside its folder only
            return dataclasses.replace(res, ok=False, message=f"{job.out_name}: worker returned a file outside "
                                       f"its output folder: {rel!r}", notebook="", files={})
    for rel, data in sorted(res.files.items()):
        io.write_bytes(folder / rel, data)
    if job.record_parameters and res.files:
        io.write_text(folder / "PARAMETERS.json", _parameters_record(job))
    io.write_text(job.output_path, res.notebook)
    Path(job.failed_path).unlink(missing_ok=True)
    return dataclasses.replace(res, notebook="", files={})
