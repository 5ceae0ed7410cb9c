"""``analysis run``, ``analysis sweep``, ``analysis reproduce``, ``analysis warm`` and ``analysis site`` on the
command line.

``--dask local`` (a ``distributed.LocalCluster`` on 127.0.0.1) or ``--dask tcp://HOST:PORT`` (an existing
scheduler) runs the notebooks on Dask instead of the runner's own process pool (see ``executors``). Without it,
``run`` and ``sweep`` use the warm server of ``analysis warm start`` when one runs and is current (``warm``).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
from pathlib import Path
from typing import Any, Callable

from . import schedule
from .params import read_params_file

EXIT_INTERRUPTED = 130


def _sigterm_as_interrupt(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run ``command`` with SIGTERM raising KeyboardInterrupt (so a terminated run cleans up as after Ctrl-C),
    and restore the previous handler afterwards (``cli.main`` also runs in-process, e.g. in tests).

    A process forked while the handler is installed (a pool worker before its initializer replaced it) must not
    unwind into the parent's code: it exits at once."""

    @functools.wraps(command)
    def wrapped(args: argparse.Namespace) -> int:
        owner = os.getpid()

        def handler(signum, frame):
            if os.getpid() != owner:
                os._exit(128 + signum)
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, handler)
        try:
            return command(args)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapped


def _report_interrupt(summary: schedule.Summary) -> int:
    done = [r.name for r in summary.ran]
    print(f"interrupted: {len(done)} finished ({', '.join(done) or 'none'}), "
          f"{len(summary.failed)} failed, {len(summary.not_finished)} not finished "
          f"({', '.join(summary.not_finished) or 'none'}); cached results of unfinished notebooks were dropped",
          flush=True)
    return EXIT_INTERRUPTED


def _folder_note(folder: str) -> str:
    return f"; figures and tables in {folder}" if folder and Path(folder).is_dir() else ""


@_sigterm_as_interrupt
def _cmd_run(args: argparse.Namespace) -> int:
    from . import pipeline, warm

    from_files: dict[str, Any] = {}
    for f in args.params or []:
        from_files.update(read_params_file(f))
    from_cli = {name: value for name, value in (args.param or [])}
    try:
        if args.vintage:  # as reproduce: the processed data are built from the pinned vintages first
            from .. import vintages

            vintages.pin_for_run(args.vintage)
            with pipeline.output_lock():
                pipeline.prepare_data()
        jobs = pipeline.plan(args.notebooks, [from_files, from_cli], cli_text=True)
        with warm.open_executor(args.dask, args.jobs) as ex:  # the warm server when it runs and is current
            summary = pipeline.execute(jobs, force=args.force, executor=ex, max_workers=args.jobs)
    except (schedule.Interrupted, KeyboardInterrupt) as exc:
        return _report_interrupt(getattr(exc, "summary", schedule.Summary()))
    failed = {r.name: r for r in summary.failed}
    for job in jobs:
        res = failed.get(job.out_name)
        if res is None:
            print(f"{job.out_name}: notebook {job.output_path}{_folder_note(job.folder)}")
        elif res.failed_path:
            print(f"{job.out_name}: FAILED; executed copy kept for inspection: {res.failed_path}")
        else:
            print(f"{job.out_name}: FAILED; no executed copy was written (see the message above)")
    return 0 if summary.ok else 1


@_sigterm_as_interrupt
def _cmd_sweep(args: argparse.Namespace) -> int:
    from . import sweep, warm

    try:
        with warm.open_executor(args.dask, args.jobs) as ex:
            path, summary = sweep.sweep(args.notebook, cli=args.param or [], grid_file=args.grid, force=args.force,
                                        executor=ex, max_workers=args.jobs)
    except (schedule.Interrupted, KeyboardInterrupt) as exc:
        return _report_interrupt(getattr(exc, "summary", schedule.Summary()))
    print(f"index: {path} and {path.with_suffix('.csv')}")
    return 0 if summary.ok else 1


@_sigterm_as_interrupt
def _cmd_reproduce(args: argparse.Namespace) -> int:
    from . import executors, pipeline
    from .. import vintages

    vintages.pin_for_run(args.vintage)  # older vintages for this run (workers and kernels inherit the pins)
    try:
        with executors.open_executor(args.dask, args.jobs) as ex:
            summary = pipeline.reproduce(force=args.force, jobs=args.jobs, executor=ex, data=not args.no_data,
                                         site=not args.no_site)
    except (schedule.Interrupted, KeyboardInterrupt) as exc:
        return _report_interrupt(getattr(exc, "summary", schedule.Summary()))
    return 0 if summary.ok else 1


def _cmd_site(args: argparse.Namespace) -> int:
    from .. import site as site_mod

    index = site_mod.render(force=args.force)
    print(f"site: {index}")
    return 0


def _cmd_warm(args: argparse.Namespace) -> int:
    from . import warm

    if args.action == "start":
        warm.start(args.jobs or schedule.default_jobs(), args.idle_minutes)
        return 0
    if args.action == "stop":
        pid = warm.stop()
        print(f"warm: stopped server pid {pid}" if pid else "warm: no warm server was running")
        return 0
    info, reasons = warm.status()
    print(warm.describe(info, reasons))
    return 0 if info is not None and not reasons else 1


def _minutes_arg(text: str) -> float:
    try:
        m = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--idle-minutes expects a number, got {text!r}") from None
    if not m > 0:
        raise argparse.ArgumentTypeError("--idle-minutes must be above 0")
    return m


def _jobs_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs expects a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return n


def _add_vintage(s: argparse.ArgumentParser) -> None:
    s.add_argument("--vintage", action="append", metavar="SOURCE=VINTAGE",
                   help="build from an older vintage, e.g. msti=2025-03 (default: newest committed; data/vintages.toml)")


def _add_dask(s: argparse.ArgumentParser) -> None:
    s.add_argument("--dask", metavar="local|tcp://HOST:PORT", default=None,
                   help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1 (--jobs workers), an address uses "
                        "an existing scheduler (default: the runner's own process pool)")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``run``, ``sweep``, ``reproduce``, ``warm`` and ``site`` on the ``analysis`` command."""
    s = sub.add_parser("run", help="validate parameters and execute notebooks (cached)")
    s.add_argument("notebooks", nargs="+", help="notebook names, e.g. fig01 (see notebooks/)")
    s.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="override a parameter (converted to the type of its default)")
    s.add_argument("--params", action="append", metavar="FILE", help="YAML or JSON file of parameters")
    s.add_argument("--force", action="store_true", help="execute even if the cached result is current")
    s.add_argument("--jobs", type=_jobs_arg, default=None, help="parallel notebooks (default: cores)")
    _add_vintage(s)
    _add_dask(s)
    s.set_defaults(func=_cmd_run)
    s = sub.add_parser("sweep", help="run a notebook for every combination of parameter values (cached) and "
                                     "index the runs in output/runs/sweeps/")
    s.add_argument("notebook", help="notebook name, e.g. fig01")
    s.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "V1,V2,..."),
                   help="values of one parameter (comma-separated; START..END for whole numbers)")
    s.add_argument("--grid", metavar="FILE", help="TOML file with a [parameters] table of NAME = [V1, V2, ...]")
    s.add_argument("--force", action="store_true", help="execute even the runs whose cached result is current")
    s.add_argument("--jobs", type=_jobs_arg, default=None, help="parallel runs (default: cores)")
    _add_dask(s)
    s.set_defaults(func=_cmd_sweep)
    s = sub.add_parser("reproduce", help="verify and build data, execute every notebook, render the site")
    s.add_argument("--force", action="store_true", help="rebuild data and re-execute every notebook")
    s.add_argument("--jobs", type=_jobs_arg, default=None,
                   help=f"parallel notebooks (default: cores = {schedule.default_jobs()})")
    s.add_argument("--no-data", action="store_true", help="skip verifying raw data and building processed data")
    s.add_argument("--no-site", action="store_true", help="skip rendering output/site")
    _add_vintage(s)
    _add_dask(s)
    s.set_defaults(func=_cmd_reproduce)
    s = sub.add_parser("warm", help="keep workers with warm kernels between `analysis run` and `analysis sweep` "
                                    "commands (start, stop, status)")
    s.add_argument("action", choices=("start", "stop", "status"))
    s.add_argument("--jobs", type=_jobs_arg, default=None, help="workers (default: cores)")
    s.add_argument("--idle-minutes", type=_minutes_arg, default=15.0,
                   help="exit after this many minutes without a command (default 15)")
    s.set_defaults(func=_cmd_warm)
    s = sub.add_parser("site", help="render output/site from the executed notebooks and their outputs")
    s.add_argument("--force", action="store_true", help="re-render every page")
    s.set_defaults(func=_cmd_site)
