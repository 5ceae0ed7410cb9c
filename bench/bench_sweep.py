"""Benchmark of ``analysis sweep``, the first one-parameter ``analysis run`` and the cached loop, cold and with
warm kernels (``analysis warm``); prints measured figures and the machine load.

    .venv/bin/python bench/bench_sweep.py [--jobs N] [--fig01-only] [--skip-cold] [--repeat 3]

Runs in child processes with ``SANGAKU_OUTPUT`` pointing at temporary folders (never ``output/``), on the
current ``data/processed`` (build it first with ``analysis data``):

1. ``analysis warm start`` in a fresh output folder (timed apart; another fresh folder is the cold one, where
   ``SANGAKU_WARM=0``);
2. the first one-parameter ``analysis run fig01 -p base_year Y`` for ``--repeat`` new values, each value run cold
   (the runner's own pool) and then warm, so that both see the same load (median);
3. issue 15's sweep of 40 runs, fig01 and h4 —
   ``analysis sweep fig01 -p base_year 2011..2015 -p lang ja,en -p countries DEFAULT,["JPN","USA","DEU","KOR"]``
   (20 runs) and ``analysis sweep h4 -p lags 0..3 -p exclude [],["CHN"],["USA"],["JPN"],["KOR"]`` (20 runs),
   each notebook's sweep cold and then warm: wall per run and per notebook, and cold CPU seconds (children's
   user + system; the server's CPU is not a child of this process); then ``warm stop``;
4. the same sweeps again (every run cached) and a cached ``analysis run``: wall, median of 5.

``--fig01-only`` keeps the 20 fig01 runs. ``--snapshot`` runs every child on a copy of ``src/analysis`` taken at the
start (``PYTHONPATH``), so that edits in a shared working tree neither make the warm server stale (it would
refuse and exit, and the commands run cold, as they print) nor mix versions within one benchmark.
Targets (issue 15, 2-core machine): a sweep of 40 runs (fig01 and h4) <= 1.5 s per run; a first one-parameter
``analysis run`` <= 4 s, <= 2 s with warm kernels; a cached one <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = [sys.executable, "-m", "analysis.cli"]
FIG01 = "fig01_business_researchers_index"
H4 = "h4_country_absorptive_capacity"
DEFAULT_COUNTRIES = '["JPN","USA","DEU","FRA","GBR","CHN","KOR"]'
SWEEPS = {
    FIG01: ["-p", "base_year", "2011..2015", "-p", "lang", "ja,en",
            "-p", "countries", f'{DEFAULT_COUNTRIES},["JPN","USA","DEU","KOR"]'],
    H4: ["-p", "lags", "0..3", "-p", "exclude", '[],["CHN"],["USA"],["JPN"],["KOR"]'],
}
FIRST_RUNS = [["-p", "base_year", "2016"], ["-p", "base_year", "2017"], ["-p", "base_year", "2016", "-p", "lang", "en"],
              ["-p", "base_year", "2017", "-p", "lang", "en"], ["-p", "base_year", "2014", "-p", "lang", "en"]]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall and CPU seconds of one command (which must succeed), and its output."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return wall, cpu, out.stdout


def _runs(out: str) -> int:
    return int(next(ln for ln in out.splitlines() if ln.startswith("[sweep]")).split(": ", 1)[1].split()[0])


def sweep_one(env: dict, name: str, extra: list[str], label: str) -> tuple[float, float, int]:
    """One notebook's sweep: prints its wall (and, cold, CPU) per run; returns wall, CPU and runs."""
    wall, cpu, out = timed([*ANALYSIS, "sweep", name, *SWEEPS[name], *extra], env)
    runs = _runs(out)
    warm = any(ln.startswith("warm: running on the warm server") for ln in out.splitlines())
    for note in (ln for ln in out.splitlines() if ln.startswith("warm:") and not warm):
        print(f"  {note}", flush=True)
    cpu_text = f", {cpu:.1f} CPU-s ({cpu / runs:.2f} per run)" if label == "cold" else ""
    print(f"  {label} sweep {name}: {runs} runs{' (warm server)' if warm else ''}, {wall:.1f} s wall "
          f"({wall / runs:.2f} s per run){cpu_text}; load {_load()}", flush=True)
    return wall, cpu, runs


def first_runs(envs: dict[str, dict], repeat: int) -> None:
    """The first one-parameter ``analysis run`` (not cached) for ``repeat`` new parameter values, each value
    run in every mode of ``envs`` one after the other (cold, then warm), so that both see the same load."""
    walls: dict[str, list[float]] = {label: [] for label in envs}
    notes = []
    for params in FIRST_RUNS[:repeat]:
        for label, env in envs.items():
            wall, _, out = timed([*ANALYSIS, "run", FIG01, *params], env)
            assert "cached, not re-run" not in out, out
            walls[label].append(wall)
            notes += [ln for ln in out.splitlines() if ln.startswith("warm:") and "running on the warm" not in ln]
    for label, ws in walls.items():
        target = "<= 2 s" if label == "warm" else "<= 4 s"
        print(f"{label}: first one-parameter analysis run {FIG01}: median {statistics.median(ws):.2f} s wall of "
              f"{', '.join(f'{w:.2f}' for w in ws)} (target {target})", flush=True)
    print(f"  (cold and warm runs alternated; load {_load()})", flush=True)
    for note in notes:  # a warm server refused (e.g. the package changed on disk since it started)
        print(f"  {note}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--fig01-only", action="store_true", help="only the 20 fig01 runs of the sweep")
    ap.add_argument("--skip-cold", action="store_true", help="only the warm measurements and the cached loop")
    ap.add_argument("--repeat", type=int, default=3, help="first runs per mode (at most 5)")
    ap.add_argument("--snapshot", action="store_true", help="run on a copy of src/analysis taken at the start")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sw-src-") as src:
        base = dict(os.environ)
        base.pop("PYTHONDONTWRITEBYTECODE", None)  # as ./run.sh: children use the bytecode cache
        if args.snapshot:
            shutil.copytree(ROOT / "src" / "analysis", Path(src) / "analysis")  # with its bytecode caches
            base.update(PYTHONPATH=os.pathsep.join(filter(None, [src, base.get("PYTHONPATH")])),
                        SANGAKU_ROOT=str(ROOT))
            print(f"on a snapshot of src/analysis in {src}", flush=True)
        return measure(args, base)


def measure(args: argparse.Namespace, base: dict) -> int:
    names = [FIG01] if args.fig01_only else [FIG01, H4]
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"load average before: {_load()} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="sw-cold-") as cold, tempfile.TemporaryDirectory(prefix="sw-w-") as hot:
        cold_env = {**base, "SANGAKU_OUTPUT": cold, "SANGAKU_WARM": "0"}
        warm_env = {**base, "SANGAKU_OUTPUT": hot}
        warm_env.pop("SANGAKU_WARM", None)
        modes = {"warm": warm_env} if args.skip_cold else {"cold": cold_env, "warm": warm_env}
        try:
            wall, _, _ = timed([*ANALYSIS, "warm", "start", *extra], warm_env)
            print(f"warm: analysis warm start {wall:.1f} s (once per session, not counted); load {_load()}", flush=True)
            first_runs(modes, args.repeat)
            totals = {label: [0.0, 0.0, 0] for label in modes}
            for name in names:  # each notebook's sweep cold, then warm: both see about the same load
                for label, env in modes.items():
                    w, c, n = sweep_one(env, name, extra if label == "cold" else [], label)
                    totals[label] = [totals[label][0] + w, totals[label][1] + c, totals[label][2] + n]
            for label, (w, c, n) in totals.items():
                cpu_text = f", {c / n:.2f} CPU-s" if label == "cold" else ""
                print(f"{label}: {n} runs in {w:.1f} s: {w / n:.2f} s wall{cpu_text} per run (target <= 1.5 s "
                      "per run)", flush=True)
        finally:
            subprocess.run([*ANALYSIS, "warm", "stop"], env=warm_env, cwd=ROOT, capture_output=True)
        env = warm_env if args.skip_cold else cold_env
        t0 = time.perf_counter()
        for name in names:
            timed([*ANALYSIS, "sweep", name, *SWEEPS[name]], env)
        print(f"the same sweeps, all cached: {time.perf_counter() - t0:.2f} s wall", flush=True)
        run = [*ANALYSIS, "run", FIG01, *FIRST_RUNS[0]]
        times = [timed(run, env)[:2] for _ in range(5)]
        print(f"cached analysis run: {statistics.median(t[0] for t in times):.2f} s wall, "
              f"{statistics.median(t[1] for t in times):.2f} CPU-s (median of 5; target <= 1 s)")
    print(f"load average after: {_load()} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
