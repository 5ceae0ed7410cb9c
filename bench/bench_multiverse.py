"""Speed of the specification curves (issue 10): prints its figures, asserts nothing.

1. Specifications per second on a fixed workload (the first ``--per-hypothesis`` specifications of every declared
   grid, bootstrap included) with 1 and 2 local worker processes (the default executor) and with a 2-worker
   ``distributed.LocalCluster`` (its ``Client.get_executor()``).
   The 2 local workers are forked (the default on Linux) and, for comparison, spawned (each imports numpy,
   pandas, scipy and statsmodels first).
2. Wall time for ``--sizes`` specifications (default 100, 1,000, 5,000) with the default executor (2 workers):
   specifications are taken round-robin in blocks of ten from every hypothesis' grid, and the grid is repeated
   (ids suffixed ``~k``) beyond its 1,764 specifications, so every size has the same mix; time should grow
   linearly.
3. The whole declared grid (``engine.run`` with its defaults, as h5 and h6 run it) on the default executor:
   wall time, CPU seconds of this process and its workers, specifications per CPU second (target of issue 15:
   the 1,764 specifications in <= 15 CPU-s). ``--save-table FILE`` stores that run's tables and null draws
   (pickle); ``--check-table FILE`` compares them with a stored run, value by value (bitwise, else the largest
   relative difference per column), so a speed change can show that it changed no result.

Run: ``.venv/bin/python bench/bench_multiverse.py [--sizes 100,1000,5000] [--per-hypothesis 40] [--reps 999]
[--skip-sizes] [--grid-only] [--save-table FILE] [--check-table FILE]``. The load average is printed before and after: the
machine is shared, and the figures scale with it (CPU seconds less than wall time).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as the workers: one BLAS thread per process

import argparse  # noqa: E402
import itertools  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402


def workload(specs: list[dict], n: int, block: int = 10) -> list[dict]:
    """``n`` specifications: blocks of ``block`` consecutive specifications of each hypothesis in turn (consecutive
    ones share fits, as in a real run), repeating the grid with new ids when it runs out."""
    by_hyp: dict[str, list[dict]] = {}
    for s in specs:
        by_hyp.setdefault(s["hypothesis"], []).append(s)
    blocks = [[lst[i:i + block] for i in range(0, len(lst), block)] for lst in by_hyp.values()]
    order = [b for group in itertools.zip_longest(*blocks) for b in group if b]
    out: list[dict] = []
    for k in itertools.count():
        for b in order:
            for s in b:
                if len(out) == n:
                    return out
                out.append({**s, "spec_id": s["spec_id"] + (f"~{k}" if k else "")})


def timed(engine, specs, data, settings, reps, executor=None, workers=None) -> float:
    tasks = engine.plan(specs, data, settings, reps=reps, seed=engine.DEFAULT_SEED, test=True)
    t0 = time.perf_counter()
    results = engine.execute(tasks, executor, workers)
    elapsed = time.perf_counter() - t0
    assert sum(len(rows) for rows, _ in results) == len(specs)
    return elapsed


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished child processes so far."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def compare_runs(stored: dict, mv) -> list[str]:
    """Lines saying whether ``mv``'s tables and null draws equal ``stored``'s (bitwise, or by how much not)."""
    import numpy as np
    import pandas as pd

    out = []
    for name in ("table", "tests", "accounting"):
        old, new = stored[name], getattr(mv, name)
        if list(old.columns) != list(new.columns) or len(old) != len(new):
            out.append(f"   {name}: other columns or rows ({len(old)} -> {len(new)})")
            continue
        diffs = []
        for c in old.columns:
            a, b = old[c], new[c]
            if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
                x, y = a.to_numpy(), b.to_numpy()
                differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
                if differ.any():
                    rel = np.abs(x[differ] - y[differ]) / np.maximum(np.abs(x[differ]), np.finfo(float).tiny)
                    diffs.append(f"{c}: {int(differ.sum())} values, largest relative difference {np.nanmax(rel):.2g}")
            elif not a.equals(b):
                diffs.append(f"{c}: {int((a != b).sum())} values differ")
        out.append(f"   {name}: " + ("bitwise identical" if not diffs else "; ".join(diffs)))
    old_n, new_n = stored["nulls"], mv.nulls
    same = set(old_n) == set(new_n) and all(
        np.array_equal(old_n[k][0], new_n[k][0]) and np.array_equal(old_n[k][1], new_n[k][1], equal_nan=True)
        for k in old_n)
    out.append(f"   null draws of {len(old_n)} specifications: {'bitwise identical' if same else 'DIFFERENT'}")
    return out


def part1(engine, spaces, specs, data, settings, args) -> None:
    """Specifications per second on the first ``--per-hypothesis`` specifications of every grid, by executor."""
    fixed = [s for sp in spaces for s in [x for x in specs if x["hypothesis"] == sp.hypothesis][:args.per_hypothesis]]
    print(f"\n1. speed on {len(fixed)} specifications (first {args.per_hypothesis} of each grid)")
    for label, kw in (("1 local worker", {"workers": 1}), ("2 local workers", {"workers": 2})):
        el = timed(engine, fixed, data, settings, args.reps, **kw)
        print(f"   {label:<28} {el:7.1f} s  {len(fixed) / el:7.1f} specifications/s")
    if engine.start_method() != "spawn":
        with engine.default_executor(2, "spawn") as ex:
            el = timed(engine, fixed, data, settings, args.reps, executor=ex)
        print(f"   {'2 local workers, spawned':<28} {el:7.1f} s  {len(fixed) / el:7.1f} specifications/s")
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        el = timed(engine, fixed, data, settings, args.reps, executor=client.get_executor())
    print(f"   {'2-worker Dask LocalCluster':<28} {el:7.1f} s  {len(fixed) / el:7.1f} specifications/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--per-hypothesis", type=int, default=40)
    parser.add_argument("--reps", type=int, default=999)
    parser.add_argument("--skip-sizes", action="store_true", help="leave out part 2")
    parser.add_argument("--grid-only", action="store_true", help="part 3 only: the whole declared grid")
    parser.add_argument("--save-table", help="store part 3's tables and null draws in this file (pickle)")
    parser.add_argument("--check-table", help="compare part 3's tables and null draws with this stored run")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from analysis.multiverse import engine, space

    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    spaces = space.load()
    specs = engine.specifications(spaces)
    families = list(dict.fromkeys(s["family"] for s in specs))
    data, settings = engine.prepare(families)
    for sp in spaces:
        settings[sp.family].update(sp.settings)
    print(f"declared grid: {len(specs)} specifications; bootstrap draws {args.reps}")

    if not args.grid_only:
        part1(engine, spaces, specs, data, settings, args)
    if not (args.skip_sizes or args.grid_only):
        print("\n2. wall time by number of specifications (default executor, 2 workers)")
        base = None
        for n in [int(x) for x in args.sizes.split(",")]:
            el = timed(engine, workload(specs, n), data, settings, args.reps, workers=2)
            base = base or el / n
            print(f"   {n:>6} specifications {el:8.1f} s  {n / el:6.1f}/s  (time / n relative to the first size: "
                  f"{el / n / base:.2f})")

    print(f"\n3. the whole declared grid, engine.run with its defaults ({engine.start_method()}ed local workers), "
          f"load {os.getloadavg()[0]:.2f}")
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    mv = engine.run(reps=args.reps, data=data)
    el, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(f"   {len(mv.table)} specifications {el:8.1f} s wall  {cpu:6.1f} CPU-s (this process and its workers)  "
          f"{len(mv.table) / cpu:6.1f} specifications per CPU-s  (target <= 15 CPU-s)")
    if args.save_table:
        with open(args.save_table, "wb") as fh:
            pickle.dump({"table": mv.table, "tests": mv.tests, "accounting": mv.accounting, "nulls": mv.nulls}, fh)
        print(f"   stored in {args.save_table}")
    if args.check_table:
        with open(args.check_table, "rb") as fh:
            stored = pickle.load(fh)
        print(f"   compared with {args.check_table}:")
        print("\n".join(compare_runs(stored, mv)))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
