"""Enumerate, estimate and judge every declared specification, on any ``concurrent.futures.Executor``.

``run(hypotheses, fix, executor=...)`` loads the declared spaces, numbers every specification of the full grid
(``<hypothesis>-<nnnn>`` in grid order, so an id means the same specification whatever is fixed), groups the
specifications that share a fit into tasks of about ``CHUNK_FITS`` fits (a task ends where the family's
``share_key`` changes, so that the specifications sharing a sample stay together), submits them to the executor
(default: a local ``ProcessPoolExecutor``; ``distributed.Client(...).get_executor()`` works the same way) and
collects the results in submission order. Verdicts are computed here, in the client, by the registered rule
(``models.verdicts.judge``), and the specification-curve test by ``analysis.multiverse.nulltest``.

The local pool forks its workers where the platform can (Linux: they start at once, with every module the
caller has imported, instead of importing numpy, pandas, scipy and statsmodels again) and spawns them
elsewhere; either way with one BLAS thread each (``multiverse.workers``). A script that calls ``run`` without
an executor on a platform that spawns must guard its entry point with ``if __name__ == "__main__":`` (as for any
spawned ``multiprocessing`` pool); notebooks and interactive sessions need nothing.

Results do not depend on the executor, the start method or the number of workers: tasks are fixed by the grid,
``CHUNK_FITS`` and the share keys, every seed derives from ``seed`` and a hypothesis and clustering
(``tasks.null_weights``).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import registry
from ..errors import ParameterError
from ..models import verdicts
from . import nulltest, space
from . import workers as workers_mod
from .dispatch import module, run_task
from .tasks import Task

DEFAULT_SEED = 20261201
DEFAULT_REPS = 999
CHUNK_FITS = 16
NOT_ESTIMATED = "not estimated"
RESULT_COLUMNS = ["estimate", "std_error", "ci_low", "ci_high", "p_value", "n_obs", "n_clusters", "inference",
                  "verdict", "verdict_flag", "seed", "error"]


@dataclass
class Multiverse:
    """A run: the tidy table (one row per specification), the null draws, the tests and the grid accounting."""

    table: pd.DataFrame
    tests: pd.DataFrame
    accounting: pd.DataFrame
    nulls: dict = field(default_factory=dict)  # spec_id -> (null estimates, null p-values)
    null_summary: dict = field(default_factory=dict)  # hypothesis -> null distributions of the test statistics
    params: dict = field(default_factory=dict)

    @property
    def dimensions(self) -> list[str]:
        return [c for c in self.table.columns if c.startswith("choice:")]


def fix_for(sp: space.Space, fix: dict | None) -> dict:
    """The part of ``fix`` that applies to ``sp``: its dimensions, restricted to the values it declares (values
    of one dimension can differ between families, e.g. sample windows); a space that declares none of the
    given values of one of its dimensions is an error."""
    out = {}
    for d, v in (fix or {}).items():
        if d not in sp.dimensions:
            continue
        vals = list(v) if isinstance(v, (list, tuple)) else [v]
        keep = [x for x in vals if x in sp.dimensions[d]]
        if not keep:
            raise ParameterError("fix", {d: v}, f"none of these values is declared for {sp.hypothesis}.{d}",
                                 list(sp.dimensions[d]))
        out[d] = keep
    return out


def check_fix(spaces: list[space.Space], fix: dict | None) -> None:
    """A fixed dimension must exist in some selected space and its values be declared where it exists."""
    if fix is not None and not isinstance(fix, dict):
        raise ParameterError("fix", fix, "give {dimension: value or [values]} ({} fixes nothing)")
    for d in fix or {}:
        if not any(d in sp.dimensions for sp in spaces):
            raise ParameterError("fix", d, "no selected hypothesis has this dimension",
                                 sorted({x for sp in spaces for x in sp.dimensions}))
    for sp in spaces:
        sp.restricted(fix_for(sp, fix))


def specifications(spaces: list[space.Space], fix: dict | None = None) -> list[dict]:
    """Every specification to estimate: id, family, hypothesis, term, headline flag and the choices."""
    check_fix(spaces, fix)
    out = []
    for sp in spaces:
        keep = sp.restricted(fix_for(sp, fix))
        for i, choice in enumerate(sp.grid(), start=1):
            if all(choice[d] in vals for d, vals in keep.items()):
                out.append({"spec_id": f"{sp.hypothesis}-{i:04d}", "family": sp.family, "hypothesis": sp.hypothesis,
                            "term": sp.term, "headline": choice == sp.headline, **choice})
    return out


def plan(specs: list[dict], data: dict, settings: dict, *, reps: int, seed: int, test: bool) -> list[Task]:
    """Tasks of at least ``CHUNK_FITS`` fits each (the last of a family may have fewer), in grid order; a fit is
    never split across tasks, and a task ends only where the family's ``share_key`` (the part of a fit its
    module computes once for several fits: a sample, a set of elasticities) changes."""
    tasks: list[Task] = []
    for family in dict.fromkeys(s["family"] for s in specs):
        mod = module(family)
        share = getattr(mod, "share_key", None)
        fam = [s for s in specs if s["family"] == family]
        chunk, keys = [], []
        for s in fam:
            k = mod.fit_key(s)
            if k not in keys and len(keys) >= CHUNK_FITS and (share is None or share(s) != share(chunk[-1])):
                tasks.append(Task(family, chunk, data[family], settings[family], reps, seed, test))
                chunk, keys = [], []
            if k not in keys:
                keys.append(k)
            chunk.append(s)
        if chunk:
            tasks.append(Task(family, chunk, data[family], settings[family], reps, seed, test))
    return tasks


def start_method() -> str:
    """How the local pool starts its workers: ``fork`` where the platform has it, else ``spawn``."""
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def default_executor(workers: int | None = None, method: str | None = None) -> cf.Executor:
    """A local process pool with ``workers`` processes (default: the machine's cores, at most 2), started by
    ``method`` (default ``start_method()``) with one BLAS thread per worker and its own output streams
    (``multiverse.workers.initialize``)."""
    n = workers or min(2, os.cpu_count() or 1)
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context(method or start_method()),
                                  initializer=workers_mod.initialize)


def execute(tasks: list[Task], executor: cf.Executor | None = None, workers: int | None = None):
    """Run ``tasks`` on ``executor`` (a new local pool when None, shut down afterwards); results in task order."""
    own = executor is None
    ex = default_executor(workers) if own else executor
    try:
        futures = [ex.submit(run_task, t) for t in tasks]
        return [f.result() for f in futures]
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)


def prepare(families: list[str], data: dict | None = None) -> tuple[dict, dict]:
    """Each family's estimation data (``data`` may pass them in, e.g. simulated panels) and task settings."""
    data = dict(data or {})
    settings = {}
    for fam in families:
        mod = module(fam)
        if fam not in data:
            data[fam] = mod.prepare()
        settings[fam] = {"cluster_labels": mod.cluster_labels(data[fam])}
    return data, settings


def judge(table: pd.DataFrame, hyps: dict[str, registry.Hypothesis]) -> pd.DataFrame:
    """Fill ``verdict`` and ``verdict_flag`` by the registered rule; failed specifications are 'not estimated'."""
    out = table.copy()
    v, f = [], []
    for r in out.itertuples():
        if r.error:
            v.append(NOT_ESTIMATED)
            f.append("")
            continue
        verdict, flag = verdicts.judge(hyps[r.hypothesis], r.estimate, r.p_value, r.n_clusters, r.inference)
        v.append(verdict)
        f.append(flag)
    out["verdict"], out["verdict_flag"] = v, f
    return out


def tidy(specs: list[dict], results: list[dict], spaces: list[space.Space]) -> pd.DataFrame:
    """One row per specification: id, family, hypothesis, term, headline, ``choice:<dimension>`` columns (text;
    empty where a dimension does not apply), then the results."""
    dims = list(dict.fromkeys(d for sp in spaces for d in sp.dimensions))
    by_id = {r["spec_id"]: r for r in results}
    rows = []
    for s in specs:
        r = by_id[s["spec_id"]]
        rows.append({"spec_id": s["spec_id"], "family": s["family"], "hypothesis": s["hypothesis"], "term": s["term"],
                     "headline": bool(s["headline"]),
                     **{f"choice:{d}": (str(s[d]) if d in s else "") for d in dims},
                     **{c: r.get(c, "") for c in RESULT_COLUMNS if c not in ("verdict", "verdict_flag")}})
    df = pd.DataFrame(rows)
    df["n_obs"] = df["n_obs"].astype("int64")
    df["n_clusters"] = df["n_clusters"].astype("int64")
    return df


def run(hypotheses: list[str] | None = None, fix: dict | None = None, *, reps: int = DEFAULT_REPS,
        seed: int = DEFAULT_SEED, test: bool = True, executor: cf.Executor | None = None,
        workers: int | None = None, data: dict | None = None, spaces: list[space.Space] | None = None) -> Multiverse:
    """Estimate every declared specification of ``hypotheses`` ([] / None: every headline hypothesis with a
    space), with the dimensions in ``fix`` restricted. ``reps`` bootstrap draws serve the wild-cluster p-values
    and the joint null draws of the specification-curve test (``test``). See the module docstring for executors
    and determinism."""
    for name, val, low in (("reps", reps, 99), ("seed", seed, 0)):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < low:
            raise ParameterError(name, val, f"must be an integer >= {low}")
    if not isinstance(test, bool):
        raise ParameterError("test", test, "must be True or False", [True, False])
    all_spaces = spaces if spaces is not None else space.load()
    chosen = space.select(all_spaces, list(hypotheses or []))
    specs = specifications(chosen, fix)
    families = list(dict.fromkeys(s["family"] for s in specs))
    data, settings = prepare(families, data)
    for fam in families:
        settings[fam].update({k: v for sp in chosen if sp.family == fam for k, v in sp.settings.items()})
    tasks = plan(specs, data, settings, reps=reps, seed=seed, test=test)
    results, nulls = [], {}
    for rows, draws in execute(tasks, executor, workers):
        results += rows
        nulls.update(draws)
    hyps = {h.id: h for h in registry.load(families=families)}
    table = judge(tidy(specs, results, chosen), hyps)
    acc = pd.DataFrame([r for sp in chosen for r in space.grid_accounting(sp, fix_for(sp, fix))])
    tests, summary = nulltest.all_tests(table, nulls, hyps) if test else (nulltest.empty(), {})
    params = {"hypotheses": [sp.hypothesis for sp in chosen], "fix": fix or {}, "reps": reps, "seed": seed,
              "test": test}
    return Multiverse(table, tests, acc, nulls, summary, params)
