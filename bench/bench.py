"""Benchmark of the reproduce pipeline; prints a table of measured figures against the project's targets.

    .venv/bin/python bench/bench.py [--jobs N] [--skip-baseline]

Measured, in this order, each in a fresh child process so imports are paid as a user pays them:

1. ``analysis data``: wall time and peak resident memory (``os.wait4`` rusage of that child) to build the
   processed data from raw.
2. Baseline: every notebook in ``notebooks/`` run one after another with the plain papermill API in one process
   (kernel ``sangaku``, cwd ``notebooks/``), executed copies to a temporary folder.
3. Ours, notebooks only: ``analysis reproduce --force --no-data --no-site`` (parallel, ``--jobs`` workers).
4. Cold full reproduce: ``analysis reproduce --force`` (verify, rebuild data, every notebook, site).
5. No-op rerun: ``analysis reproduce`` right after (everything cached).

The machine's load average is printed before and after: on a shared machine other work inflates every figure.
Targets (2-core machine): full reproduce <= 60 s, no-op <= 5 s, >= 1.5x faster than sequential papermill,
data build <= 10 s and <= 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}


def timed_child(args: list[str], quiet: bool = True) -> tuple[float, int, int]:
    """Run a child process; return (wall seconds, peak RSS in bytes, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL if quiet else None,
                            stderr=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss * 1024, proc.returncode  # ru_maxrss is KiB on Linux


BASELINE = r"""
import sys, tempfile, papermill
from pathlib import Path
nbdir = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    for nb in sorted(nbdir.glob("*.ipynb")):
        papermill.execute_notebook(str(nb), str(Path(tmp) / nb.name), kernel_name="sangaku", cwd=str(nbdir),
                                   progress_bar=False)
"""


def fmt_s(x: float) -> str:
    return f"{x:.1f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=None, help="workers for our runs (default: cores)")
    p.add_argument("--skip-baseline", action="store_true", help="skip the sequential papermill baseline")
    args = p.parse_args(argv)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    nbs = sorted((ROOT / "notebooks").glob("*.ipynb"))
    cli = [PY, "-m", "analysis.cli"]
    print(f"notebooks: {len(nbs)}; cores: {os.cpu_count()}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    rows: list[tuple[str, str, str, str]] = []

    def check(ok: bool) -> str:
        return "yes" if ok else "NO"

    wall, rss, code = timed_child(cli + ["data"])
    assert code == 0, "analysis data failed"
    rows.append(("data build (`analysis data`), wall", fmt_s(wall), "<= 10 s", check(wall <= 10)))
    rows.append(("data build, peak memory (child RSS)", f"{rss / 2**20:.0f} MiB", "<= 1 GiB", check(rss <= 2**30)))
    print("data build measured", flush=True)

    base = None
    if not args.skip_baseline:
        base, _, code = timed_child([PY, "-c", BASELINE, str(ROOT / "notebooks")])
        assert code == 0, "baseline papermill run failed"
        rows.append((f"baseline: {len(nbs)} notebooks one after another (papermill API)", fmt_s(base), "", ""))
        print("baseline measured", flush=True)

    ours, _, code = timed_child(cli + ["reproduce", "--force", "--no-data", "--no-site", *jobs])
    assert code == 0, "reproduce (notebooks only) failed"
    rows.append((f"ours: same notebooks (`reproduce --force --no-data --no-site`)", fmt_s(ours), "", ""))
    if base is not None:
        rows.append(("speed-up, baseline / ours", f"{base / ours:.2f}x", ">= 1.5x", check(base / ours >= 1.5)))
    print("notebooks measured", flush=True)

    full, _, code = timed_child(cli + ["reproduce", "--force", *jobs])
    assert code == 0, "reproduce --force failed"
    rows.append(("cold full reproduce (`reproduce --force`: verify, data, notebooks, site)", fmt_s(full),
                 "<= 60 s", check(full <= 60)))
    noop, _, code = timed_child(cli + ["reproduce", *jobs])
    assert code == 0, "no-op reproduce failed"
    rows.append(("no-op rerun (`reproduce`, everything cached)", fmt_s(noop), "<= 5 s", check(noop <= 5)))

    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    w = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{w}} | {'value':>9} | {'target':>8} | met |")
    print(f"|{'-' * (w + 2)}|{'-' * 11}|{'-' * 10}|-----|")
    for name, value, target, ok in rows:
        print(f"| {name:<{w}} | {value:>9} | {target:>8} | {ok:<3} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
