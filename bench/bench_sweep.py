"""Benchmark of ``analysis sweep`` and the cached interactive loop; prints measured figures and the machine load.

    .venv/bin/python bench/bench_sweep.py [--jobs N] [--years 2011..2017] [--dask]

Runs in child processes with ``SANGAKU_OUTPUT`` pointing at a temporary folder (never ``output/``), on the
current ``data/processed`` (build it first with ``analysis data``):

1. ``analysis sweep fig01_business_researchers_index -p base_year YEARS -p lang ja,en``: wall and CPU seconds
   (children's user + system), per run;
2. the same sweep again (every run cached): wall;
3. ``analysis run fig01 -p base_year <first year>`` (cached by step 1): wall and CPU, median of 5.

Target (issue 15, 2-core machine): a sweep <= 1.5 s per run; a cached ``analysis run`` <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = [sys.executable, "-m", "analysis.cli"]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall and CPU seconds of one command (which must succeed), and its output."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return wall, cpu, out.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--years", default="2011..2017")
    ap.add_argument("--dask", action="store_true", help="run the sweep on --dask local")
    args = ap.parse_args()
    first_year = args.years.split("..")[0].split(",")[0]
    with tempfile.TemporaryDirectory(prefix="sangaku-bench-sweep-") as tmp:
        env = {**os.environ, "SANGAKU_OUTPUT": tmp}
        extra = (["--jobs", str(args.jobs)] if args.jobs else []) + (["--dask", "local"] if args.dask else [])
        sweep = [*ANALYSIS, "sweep", "fig01_business_researchers_index", "-p", "base_year", args.years,
                 "-p", "lang", "ja,en", *extra]
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        wall, cpu, out = timed(sweep, env)
        runs = int(next(ln for ln in out.splitlines() if ln.startswith("[sweep]")).split(": ", 1)[1].split()[0])
        print(f"sweep of {runs} runs: {wall:.1f} s wall, {cpu:.1f} CPU-s; {wall / runs:.2f} s wall and "
              f"{cpu / runs:.2f} CPU-s per run (target <= 1.5 s per run)")
        wall, cpu, _ = timed(sweep, env)
        print(f"the same sweep, all cached: {wall:.2f} s wall, {cpu:.2f} CPU-s")
        run = [*ANALYSIS, "run", "fig01_business_researchers_index", "-p", "base_year", first_year]
        times = [timed(run, env)[:2] for _ in range(5)]
        print(f"cached analysis run: {statistics.median(t[0] for t in times):.2f} s wall, "
              f"{statistics.median(t[1] for t in times):.2f} CPU-s (median of 5; target <= 1 s)")
        print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
