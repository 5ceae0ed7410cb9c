"""The pipeline: raw data -> processed data -> notebooks -> site, under one lock on ``output/``.

``run`` executes named notebooks with other parameters; ``reproduce`` does everything; ``commit_notebook``
executes a notebook in place for committing, through the same worker as every other execution. Every entry
point takes an ``executor`` (default: the runner's own process pool; ``executors.open_executor`` gives a Dask one).

Parameters are checked in two steps, both before any kernel starts: names, types and paths for every job (no
import, so a cached ``analysis run`` returns at once), then the notebooks' validate hooks for the jobs the cache
does not hold.

Languages: ``reproduce`` runs every figure notebook twice, with its defaults (``lang = "ja"``, the deck's labels;
executed copy ``output/notebooks/<name>.ipynb``, files in ``output/figures/<name>/``) and with ``lang = "en"`` as
an ordinary cached run with other parameters (``output/runs/<name>__<hash>.ipynb`` and ``output/runs/<name>__<hash>/``).
:func:`language_outputs` and :func:`language_notebooks` say where each language's results are, for the site.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import io, paths
from ..errors import SangakuError
from . import cache, delivery, filehash, layout, worker
from .cache import Context
from .jobs import Job, make_job, run_name
from .params import run_hook, validate
from .schedule import Progress, Summary, run_jobs, say
from .specs import Notebook, discover, load_notebook, load_specs, resolve_notebooks

STALE_DATA_TEMP_SECONDS = 3600  # a data temporary this old has lost its writer


class OutputBusyError(SangakuError):
    """Another run holds the lock on ``output/``."""


class OutputNotWritableError(SangakuError):
    """``output/`` (or ``$SANGAKU_OUTPUT``) cannot be written."""


@contextlib.contextmanager
def output_lock() -> Iterator[None]:
    """Hold ``output/.lock`` for the whole run; a second run stops at once with one clear line.

    Taking the lock is also the check that the output folder is writable, before any data are built.
    """
    out = paths.output_dir()
    lock = out / ".lock"
    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = open(lock, "a+", encoding="utf-8")
    except OSError as exc:
        raise OutputNotWritableError(f"output folder {out} is not writable ({exc.strerror}); make it writable "
                                     "or set SANGAKU_OUTPUT to a writable folder") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise OutputBusyError(f"another analysis run is writing {out} ({holder}); wait for it to finish, "
                                  "or set SANGAKU_OUTPUT to another folder") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        io.remove_stale_temporaries(out)  # we hold the lock: nobody else is writing here
        yield
    finally:
        fh.close()  # releases the lock


def prepare_data(*, force: bool = False, progress: Progress = say) -> bool:
    """Verify raw data; rebuild processed data unless their key is unchanged. Returns True when it rebuilt."""
    from .. import build, manifest

    t0 = time.perf_counter()
    rep = manifest.verify(sha256=filehash.sha256)
    progress(f"[data] verified {rep.checked} raw files ({rep.bytes / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    io.remove_stale_temporaries(paths.processed_dir(), older_than=STALE_DATA_TEMP_SECONDS)
    key = cache.data_key()
    why = "forced" if force else cache.data_status(key)
    filehash.save()
    if why is None:
        progress("[data] processed data are current (same raw files and build code); not rebuilt")
        return False
    progress(f"[data] rebuilding ({why})")
    t0 = time.perf_counter()
    build.build(progress=lambda m: progress(f"[data] {m}"))
    cache.record_data(key)
    progress(f"[data] built in {time.perf_counter() - t0:.1f} s")
    return True


def run(names: list[str], overrides: dict[str, Any] | None = None, *, cli_text: bool = False, force: bool = False,
        executor: cf.Executor | None = None, max_workers: int | None = None,
        progress: Progress = say) -> Summary:
    """Validate then execute the named notebooks with the same overrides (``analysis run``)."""
    return run_many(names, [overrides or {}], cli_text=cli_text, force=force, executor=executor,
                    max_workers=max_workers, progress=progress)[1]


def typed_overrides(nb: Notebook, layers: list[dict[str, Any]], *, cli_text: bool = False) -> dict[str, Any]:
    """``layers`` of overrides (a file, then ``-p``) checked for names, types and paths and merged in order."""
    typed: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        typed.update(validate(nb, layer, cli_text=cli_text and i == len(layers) - 1, hook=False))
    return typed


def hook_check(notebooks: dict[str, Notebook], executor: cf.Executor | None = None) -> Callable[[list[Job]], None]:
    """A ``before_start`` callback: the validate hooks of the jobs about to run (cached ones were checked when
    they ran; importing every hook would slow a cached run). An executor with ``check_hooks`` (the warm server)
    runs them itself, so this process imports no figure module."""
    if hasattr(executor, "check_hooks"):
        return executor.check_hooks  # type: ignore[union-attr]

    def check(todo: list[Job]) -> None:
        for job in todo:
            run_hook(notebooks[job.name], job.overrides)
    return check


def plan(names: list[str], layers: list[dict[str, Any]], *, cli_text: bool = False) -> list[Job]:
    """Jobs for the named notebooks; ``layers`` of overrides apply in order (a file, then ``-p``).

    Names, parameter names and types and paths are checked here; the validate hooks (which see all layers
    together) run for the jobs the cache does not hold, before any kernel starts (:func:`hook_check`).
    """
    specs = load_specs()
    nbs = [load_notebook(p, specs) for p in resolve_notebooks(names)]
    ctx = Context.current()
    return [make_job(nb, typed_overrides(nb, layers, cli_text=cli_text), ctx) for nb in nbs]


def run_many(names: list[str], layers: list[dict[str, Any]], *, cli_text: bool = False, force: bool = False,
             executor: cf.Executor | None = None, max_workers: int | None = None,
             progress: Progress = say) -> tuple[list[Job], Summary]:
    """``plan`` then execute under the output lock; returns the jobs and the summary."""
    jobs = plan(names, layers, cli_text=cli_text)
    return jobs, execute(jobs, force=force, executor=executor, max_workers=max_workers, progress=progress)


def execute(jobs: list[Job], *, force: bool = False, executor: cf.Executor | None = None,
            max_workers: int | None = None, progress: Progress = say) -> Summary:
    """Run planned jobs under the output lock; the validate hooks of those that must run are called first."""
    def check(todo: list[Job]) -> None:
        if hasattr(executor, "check_hooks"):
            executor.check_hooks(todo)  # type: ignore[union-attr]
        elif todo:
            specs = load_specs()
            hook_check({job.name: load_notebook(Path(job.input_path), specs) for job in todo})(todo)

    with output_lock():
        return run_jobs(jobs, force=force, executor=executor, max_workers=max_workers, progress=progress,
                        before_start=check)


def english_run(nb: Notebook) -> bool:
    """True for a figure notebook whose default language is not English (reproduce also runs it in English)."""
    return nb.kind == "figure" and nb.params.get("lang", "en") != "en"


def language_outputs(name: str) -> dict[str, Path]:
    """Where each language's output files of notebook ``name`` are: ``{"ja": output/figures/<name>, "en":
    output/runs/<name>__<hash>}`` for a figure notebook (``reproduce`` makes both), ``{"ja": ...}`` otherwise.
    The folders exist once ``reproduce`` has run."""
    nb = load_notebook(resolve_notebooks([name])[0])
    out = {"ja": nb.default_output_folder()}
    if english_run(nb):
        out["en"] = layout.runs_dir() / run_name(nb.name, {"lang": "en"})
    return out


def language_notebooks(name: str) -> dict[str, Path]:
    """The executed notebook of each language of ``name`` (same keys as :func:`language_outputs`)."""
    folders = language_outputs(name)
    out = {"ja": layout.executed_dir() / f"{folders['ja'].name}.ipynb"}
    if "en" in folders:
        out["en"] = folders["en"].with_suffix(".ipynb")
    return out


def reproduce(*, force: bool = False, jobs: int | None = None, executor: cf.Executor | None = None,
              data: bool = True, site: bool = True, languages: bool = True, progress: Progress = say) -> Summary:
    """The whole analysis: data, every notebook (cached, in parallel) and every figure in English, then the site.

    ``languages=False`` runs the defaults only (no English runs), e.g. for a test that needs each notebook once.
    """
    t0 = time.perf_counter()
    with output_lock():
        if data:
            prepare_data(force=force, progress=progress)
        specs = load_specs()
        nbs = {name: load_notebook(p, specs) for name, p in discover().items()}
        undeclared = sorted(set(specs) - set(nbs))
        if undeclared:
            progress(f"[notebooks] note: {layout.SPEC_FILE} declares notebooks that do not exist: {undeclared}")
        ctx = Context.current()
        todo = [make_job(nb, {}, ctx) for nb in nbs.values()]
        todo += [make_job(nb, {"lang": "en"}, ctx) for nb in nbs.values() if languages and english_run(nb)]
        progress(f"[notebooks] {len(nbs)} in {paths.notebooks_dir()}, {len(todo) - len(nbs)} also in English")
        summary = run_jobs(todo, force=force, executor=executor, max_workers=jobs, progress=progress,
                           before_start=hook_check(nbs))
        if site:
            from .. import site as site_mod

            site_mod.render(progress=progress)
    progress(f"[reproduce] {len(summary.ran)} ran, {len(summary.skipped)} cached, {len(summary.failed)} failed "
             f"in {time.perf_counter() - t0:.1f} s")
    for res in summary.failed:
        progress(f"  FAILED {res.message}")
    return summary


def commit_notebook(path: Path, progress: Progress = say) -> None:
    """Execute ``notebooks/NAME.ipynb`` in place with its defaults, through the runner's worker (for committing)."""
    path = Path(path).resolve()
    nb = load_notebook(path)
    validate(nb, {})
    ctx = Context.current()
    job = make_job(nb, {}, ctx, output_path=path)
    task, blobs = delivery.pack(job, ctx, embed=False)
    res = delivery.deliver(job, worker.execute_job(task, blobs))
    if not res.ok:
        raise SangakuError(f"{res.message}" + (f"; executed copy kept: {res.failed_path}" if res.failed_path else ""))
    progress(f"committed {path.name} ({res.seconds:.1f} s)")
