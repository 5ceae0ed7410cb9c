"""Speed of the specification curves (issue 10): prints its figures, asserts nothing.

1. Specifications per second on a fixed workload (the first ``--per-hypothesis`` specifications of every declared
   grid, bootstrap included) with 1 and 2 local worker processes (the default executor) and with a 2-worker
   ``distributed.LocalCluster`` (its ``Client.get_executor()``).
2. Wall time for ``--sizes`` specifications (default 100, 1,000, 5,000) with the default executor (2 workers):
   specifications are taken round-robin in blocks of ten from every hypothesis' grid, and the grid is repeated
   (ids suffixed ``~k``) beyond its 1,764 specifications, so every size has the same mix; time should grow
   linearly.

Run: ``.venv/bin/python bench/bench_multiverse.py [--sizes 100,1000,5000] [--per-hypothesis 40] [--reps 999]``.
The load average is printed before and after: the machine is shared, and the figures scale with it.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as the workers: one BLAS thread per process

import argparse  # noqa: E402
import itertools  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--per-hypothesis", type=int, default=40)
    parser.add_argument("--reps", type=int, default=999)
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

    fixed = [s for sp in spaces for s in [x for x in specs if x["hypothesis"] == sp.hypothesis][:args.per_hypothesis]]
    print(f"\n1. speed on {len(fixed)} specifications (first {args.per_hypothesis} of each grid)")
    for label, kw in (("1 local worker", {"workers": 1}), ("2 local workers", {"workers": 2})):
        el = timed(engine, fixed, data, settings, args.reps, **kw)
        print(f"   {label:<28} {el:7.1f} s  {len(fixed) / el:7.1f} specifications/s")
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        el = timed(engine, fixed, data, settings, args.reps, executor=client.get_executor())
    print(f"   {'2-worker Dask LocalCluster':<28} {el:7.1f} s  {len(fixed) / el:7.1f} specifications/s")

    print("\n2. wall time by number of specifications (default executor, 2 workers)")
    base = None
    for n in [int(x) for x in args.sizes.split(",")]:
        el = timed(engine, workload(specs, n), data, settings, args.reps, workers=2)
        base = base or el / n
        print(f"   {n:>6} specifications {el:8.1f} s  {n / el:6.1f}/s  (time / n relative to the first size: "
              f"{el / n / base:.2f})")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
