"""Industry family (I1) specifications on the EHS (2013) panel: the variables of ``models.industry`` (TFP,
frontier, distance, R&D intensity, built by ``industry.build_variables``) and the OLS of ``industry.FORMULA``.

The design is the formula's (constant, the four regressors, country-sector and year dummies) built once per
sample; the CR1 row, the wild-cluster bootstrap row and the null draws of a sample and clustering come from one
``models.inference.wild_bootstrap_draws`` (the bootstrap of ``wild_cluster_bootstrap`` with the hypothesis'
shared cluster weights; its CR1 estimate and SE are the OLS ones by Frisch-Waugh-Lovell, equal to h3's
``cluster_ols`` to rounding, see tests/test_multiverse.py). The specification-curve test uses each distinct
estimate once: the specifications with the registered clustering (country-sector) and CR1 inference.

Speed without other numbers: the variables are built on the panel's model columns only (``MODEL_COLUMNS``:
every other column is text that ``build_variables`` only carries along), the estimated production elasticities
of a sample are computed once per task, the design is built with numpy (the columns and values of
``design_matrix``) and its partialling-out is shared by both clusterings (``inference.partial_out``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models import industry, inference
from . import choices
from .tasks import (ESTIMATION_ERRORS, Task, check_finite, dummies, failed, null_weights, ols_rows, t_sf2,
                    weights_for, weights_seed)

TERM = industry.CARRYING
REGRESSORS = ["rdint_l1", "dist_l1", "rdint_l1:dist_l1", "dtfp_frontier"]
NULL_CLUSTER = "id"
# what build_variables, the elasticities, the design and the clusterings read (in the panel's order)
MODEL_COLUMNS = ["id", "country", "sector", "year", "lny", "lnl", "lnk", "lnrd"]


def prepare() -> dict:
    """The estimation data of the family: the processed EHS country-sector panel."""
    from .. import data

    return {"panel": data.load(industry.PANEL)}


def cluster_labels(data: dict) -> dict:
    """Every cluster label of the panel per clustering (country-sector id, country), for the shared weights."""
    return {c: sorted(data["panel"][c].unique().tolist()) for c in industry.CLUSTERS}


def fit_key(spec: dict) -> tuple:
    """Specifications that share the variables (and so one design): clustering and inference vary within."""
    return tuple(spec[d] for d in ("hypothesis", "elasticities", "intensity", "rd_lag", "countries", "window"))


def share_key(spec: dict) -> str:
    """What ``engine.plan`` keeps in one task: the specifications of one elasticity convention (the estimated
    elasticities of each sample are then computed once)."""
    return spec["elasticities"]


def variables(panel: pd.DataFrame, spec: dict, elasticities: dict | None = None,
              frontiers: dict | None = None) -> pd.DataFrame:
    """The estimation sample of a specification (rows with every model variable), as ``industry.run_spec``.
    ``elasticities`` keeps the estimated elasticities of each (countries, window) for the next call,
    ``frontiers`` the ``industry.frontier_variables`` of each (countries, window, elasticities)."""
    years = choices.window_years(spec["window"], choices.INDUSTRY_YEARS)
    countries = [c for c in industry.COUNTRIES
                 if spec["countries"] == "all" or c not in industry.LATE_ENTRANTS]
    sub = None  # the selected rows, needed only where a memo has no entry yet (build_variables reads the frontier)
    alphas = industry.ELASTICITIES[spec["elasticities"]]
    if alphas is None:
        memo = elasticities if elasticities is not None else {}
        k = (spec["countries"], spec["window"])
        if k not in memo:
            sub = industry.select(panel, countries, [], *years)
            memo[k] = industry.production_elasticities(sub)
        alphas = memo[k]
    fk = (spec["countries"], spec["window"], alphas)
    memo = frontiers if frontiers is not None else {}
    if fk not in memo:
        sub = industry.select(panel, countries, [], *years) if sub is None else sub
        memo[fk] = industry.frontier_variables(sub, *alphas)
    v = industry.build_variables(None, *alphas, intensity=spec["intensity"], rd_lag=int(spec["rd_lag"]),
                                 frontier=memo[fk])
    return v[v["in_sample"]].reset_index(drop=True)


def design_matrix(sample: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(y, X) of ``industry.FORMULA``: constant, regressors, country-sector and year dummies (first dropped)."""
    X = pd.DataFrame({"Intercept": 1.0}, index=sample.index)
    X["rdint_l1"], X["dist_l1"] = sample["rdint_l1"], sample["dist_l1"]
    X["rdint_l1:dist_l1"] = sample["rdint_l1"] * sample["dist_l1"]
    X["dtfp_frontier"] = sample["dtfp_frontier"]
    fe = [pd.get_dummies(sample[c].astype(str), prefix=c, dtype="float64").iloc[:, 1:] for c in ("id", "year")]
    return sample["dtfp"].to_numpy(dtype=float), pd.concat([X, *fe], axis=1)


def design_arrays(sample: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``design_matrix`` as arrays: (y, the ``TERM`` column, the other columns in order); the same values to the
    last bit."""
    r, d = sample["rdint_l1"].to_numpy(dtype=float), sample["dist_l1"].to_numpy(dtype=float)
    others = np.column_stack([np.ones(len(sample)), r, d, sample["dtfp_frontier"].to_numpy(dtype=float)])
    W = np.hstack([others, dummies(sample["id"]), dummies(sample["year"])])
    return sample["dtfp"].to_numpy(dtype=float), r * d, W


def estimate(task: Task) -> tuple[list[dict], dict]:
    """Fit every specification of the task: one design and partialling-out per fit key, one bootstrap per fit
    key and clustering (its CR1 part gives the cr1 row, its WCR part the wcr row); rows and the null draws of
    the test."""
    panel = task.data["panel"]
    panel = panel[[c for c in panel.columns if c in MODEL_COLUMNS]]
    rows, nulls, weights, elasticities, frontiers = [], {}, {}, {}, {}
    designs: dict[tuple, tuple] = {}
    boots: dict[tuple, tuple] = {}
    for spec in task.specs:
        key, cl = fit_key(spec), spec["cluster"]
        wkey = f"{spec['hypothesis']}:{cl}"
        try:
            if key not in designs:
                sample = variables(panel, spec, elasticities, frontiers)
                y, x, W = design_arrays(sample)
                designs = {key: (sample, inference.partial_out(y, x, W))}  # specs arrive grouped by key
                boots = {}
            sample, part = designs[key]
            if (key, cl) not in boots:
                if wkey not in weights:
                    weights[wkey] = null_weights(task.seed, wkey, task.settings["cluster_labels"][cl], task.reps)
                codes, V = weights_for(weights[wkey], sample[cl])
                boots[(key, cl)] = inference.wild_bootstrap_draws(None, None, codes, TERM, V, partialled=part)
            wb, b_star, t_star = boots[(key, cl)]
            check_finite(wb.estimate, wb.std_error)
        except ESTIMATION_ERRORS as exc:
            rows.append(failed(spec, exc))
            continue
        rows.append(ols_rows(spec, wb, cl, industry.CLUSTERS[cl], weights_seed(task, wkey)))
        if task.test and cl == NULL_CLUSTER and spec["inference"] == "cr1":
            nulls[spec["spec_id"]] = (b_star, t_sf2(t_star, wb.n_clusters - 1))
    return rows, nulls
