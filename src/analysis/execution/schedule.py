"""Scheduling: which jobs run (the cache decides), on which executor, and what a run reports.

The scheduler packs each job that must run into a self-contained task (``delivery.pack``), calls
``executor.submit(execute_job, task, blobs)`` and writes what comes back (``delivery.deliver``) before the cache
records it, so any ``concurrent.futures.Executor`` works: its own ``ProcessPoolExecutor`` (the default, the only
one that starts kernels ahead), a ``ThreadPoolExecutor``, a Dask cluster (``executors.DaskExecutor``, or
``distributed.Client(...).get_executor()``). Executors on this machine get the inputs as paths, others as bytes.
Ctrl-C stops its own workers and their kernels within seconds and raises :class:`Interrupted` carrying what
finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cache, codegraph, delivery, executors, filehash, layout, worker
from .jobs import Job, Result

Progress = Callable[[str], None]


def say(msg: str) -> None:
    print(msg, flush=True)


@dataclass
class Summary:
    """What a run did: ran / skipped (cached) / failed results, and what an interrupt left undone."""

    ran: list[Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    not_finished: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_finished


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) during a run; ``summary`` says what finished and what did not."""

    def __init__(self, summary: Summary):
        self.summary = summary
        super().__init__("interrupted")


def default_jobs() -> int:
    """The cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _stop_pool(executor: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the workers (they kill their kernels on SIGTERM)."""
    procs = list(getattr(executor, "_processes", {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)  # shutdown() drops the reference
    executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()  # SIGTERM: the worker kills its kernels and exits
        except (OSError, ValueError):
            pass
    for p in procs:
        p.join(timeout=5)
    # The pool's manager thread closes its wake-up pipe when it sees the workers gone; if the interpreter exits
    # first, concurrent.futures' atexit hook writes to that pipe as it closes (EBADF traceback). Let it finish.
    if manager is not None:
        manager.join(timeout=5)


def priorities(jobs: list[Job]) -> dict[str, float]:
    """Each job's critical path in seconds: its own duration (the last recorded one, else its declared
    ``expected_seconds``) plus the longest path of the jobs that start after it (``after``)."""
    cost = {j.out_name: cache.last_seconds(j.out_name) or j.expected_seconds for j in jobs}
    followers: dict[str, list[Job]] = {}
    for j in jobs:
        for dep in j.after:
            followers.setdefault(dep, []).append(j)
    memo: dict[str, float] = {}

    def path(j: Job, seen: frozenset = frozenset()) -> float:
        if j.out_name not in memo:
            nxt = [path(f, seen | {j.out_name}) for f in followers.get(j.name, []) if f.out_name not in seen]
            memo[j.out_name] = cost[j.out_name] + max(nxt, default=0.0)
        return memo[j.out_name]

    return {j.out_name: path(j) for j in jobs}


def _clear_shared_caches() -> None:
    """``--force`` ignores every cache, the notebooks' shared ones (``layout.SHARED_CACHES``) too."""
    for name in layout.SHARED_CACHES:
        shutil.rmtree(layout.cache_dir() / name, ignore_errors=True)


def run_jobs(jobs: list[Job], *, force: bool = False, executor: cf.Executor | None = None,
             max_workers: int | None = None, progress: Progress = say,
             before_start: Callable[[list[Job]], None] | None = None) -> Summary:
    """Execute the jobs whose cache key changed (all with ``force``), in parallel on ``executor``.

    ``before_start(jobs_to_run)`` is called before any of them is submitted (reproduce validates there).
    Without an executor a process pool with ``max_workers`` (default: cores) is created and shut down here; a
    given executor is used as is and left open for the caller.

    Order: the longest critical path first (:func:`priorities`); a job whose spec says ``after = [X]`` is
    submitted once every job of X in this run has finished (ok or not). The runner's own pool is fed one job
    more than it has workers, so the order holds at every dispatch; other executors get every ready job at once.
    """
    summary = Summary()
    todo: list[tuple[Job, str]] = []
    for job in jobs:
        why = "forced" if force else cache.status(job.out_name, job.key, job.output_path)
        if why is None:
            summary.skipped.append(job.out_name)
        else:
            todo.append((job, why))
    codegraph.save_scans()  # the keys are computed: keep their import scans and file hashes for the next command
    filehash.save()
    n = len(todo)
    own = executor is None
    workers = min(n, max_workers or default_jobs()) if own else 0
    if own and todo:
        # Started before the validate hooks run here, so the workers' own imports (papermill, nbformat, the
        # kernel client: about a second) and their templates' (``template.start``: the heavy modules) or
        # kernels' starts overlap them; no notebook code runs before the hooks have passed, and a failing hook
        # stops the pool with its kernels. A template only when more jobs follow than there are workers: a
        # single run needs fewer modules than a template imports, so each worker starts a plain kernel instead.
        executor = cf.ProcessPoolExecutor(max_workers=workers, initializer=worker.init_pool_worker,
                                          initargs=(dict(todo[0][0].env) if n > workers else None,))
        ahead = (todo[0][0].kernel, dict(todo[0][0].env)) if n <= workers else ()
        for _ in range(workers):
            executor.submit(worker.warm_up, *ahead)
    try:
        if before_start is not None:
            before_start([job for job, _ in todo])
    except BaseException:
        if own and todo:
            _stop_pool(executor)  # type: ignore[arg-type]
        raise
    if summary.skipped:
        progress(f"cached, not re-run ({len(summary.skipped)}): {', '.join(summary.skipped)}")
    if not todo:
        return summary
    if force:
        _clear_shared_caches()
    rank = priorities([job for job, _ in todo])
    todo.sort(key=lambda jw: (-rank[jw[0].out_name], jw[0].out_name))
    if own:
        progress(f"running {n} notebook(s) on {workers} worker(s)")
    else:
        progress(f"running {n} notebook(s) on {type(executor).__name__}")
    embed = not executors.shares_files(executor)
    shared = "" if embed else str(layout.cache_dir())
    if shared:
        Path(shared).mkdir(parents=True, exist_ok=True)
    ctx = cache.Context.current()
    waiting = list(todo)  # not yet submitted, in priority order
    unfinished: dict[str, int] = {}  # notebook name -> its jobs of this run not finished
    for job, _ in todo:
        unfinished[job.name] = unfinished.get(job.name, 0) + 1
    limit = workers + 1 if own else n
    futures: dict[cf.Future, Job] = {}
    submitted = done = 0

    def submit_ready() -> None:
        nonlocal submitted
        ready = [jw for jw in waiting if not any(unfinished.get(d) for d in jw[0].after if d != jw[0].name)]
        if not ready and not futures and waiting:
            ready = waiting[:1]  # cannot happen with checked specs (no cycles); never wait forever
        for jw in ready:
            if len(futures) >= limit:
                break
            job, why = jw
            waiting.remove(jw)
            # Only the runner's own pool starts kernels ahead; the last job of each worker needs none.
            job = dataclasses.replace(job, prewarm=own and submitted < n - workers, shared_cache=shared)
            task, blobs = delivery.pack(job, ctx, embed=embed)
            try:
                fut = executor.submit(worker.execute_job, task, blobs)
            except Exception as exc:  # e.g. a broken pool takes no more jobs: reported as this job's failure
                fut = cf.Future()
                fut.set_exception(exc)
            futures[fut] = job
            submitted += 1
            progress(f"  queued {job.out_name} ({why})")

    try:
        submit_ready()
        while futures:
            finished, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                job = futures.pop(fut)
                done += 1
                _collect(job, fut, summary, progress, f"[{done}/{n}]")
                unfinished[job.name] -= 1
            submit_ready()
    except KeyboardInterrupt:
        summary.not_finished = sorted([job.out_name for job in futures.values()] + [j.out_name for j, _ in waiting])
        for name in summary.not_finished:
            cache.forget(name)  # an interrupted notebook is never taken for current
        if own:
            _stop_pool(executor)  # type: ignore[arg-type]
            own = False
        else:
            for fut in futures:
                fut.cancel()
        raise Interrupted(summary) from None
    finally:
        if own:
            executor.shutdown(wait=True)  # type: ignore[union-attr]
        worker.shutdown_warm_kernels()  # those a thread executor left in this process
    summary.ran.sort(key=lambda r: r.name)
    summary.failed.sort(key=lambda r: r.name)
    return summary


def _collect(job: Job, fut: cf.Future, summary: Summary, progress: Progress, count: str) -> None:
    """Write one finished job's results, then record it in the cache (or forget it when it failed)."""
    try:
        res = fut.result()
    except Exception as exc:  # the worker itself died (e.g. killed): still report this notebook
        res = Result(job.out_name, False, 0.0, f"{job.out_name}: worker failed: {type(exc).__name__}: {exc}")
    try:
        res = delivery.deliver(job, res)
    except OSError as exc:
        res = Result(job.out_name, False, res.seconds, f"{job.out_name}: cannot write its results: {exc}")
    if res.ok:
        cache.record(job.out_name, job.name, job.key, job.folder, res.seconds)  # after the files
        summary.ran.append(res)
        progress(f"{count} {res.name} done {res.seconds:.1f} s")
    else:
        cache.forget(job.out_name)
        summary.failed.append(res)
        progress(f"{count} {res.name} FAILED after {res.seconds:.1f} s: {res.message}")
        if res.failed_path:
            progress(f"        executed copy kept for inspection: {res.failed_path}")
