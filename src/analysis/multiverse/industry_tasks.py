"""Industry family (I1) specifications on the EHS (2013) panel: the variables of ``models.industry`` (TFP,
frontier, distance, R&D intensity, built by ``industry.build_variables``) and the OLS of ``industry.FORMULA``.

The design is the formula's (constant, the four regressors, country-sector and year dummies) built once per
sample; the CR1 row, the wild-cluster bootstrap row and the null draws of a sample and clustering come from one
``models.inference.wild_bootstrap_draws`` (the bootstrap of ``wild_cluster_bootstrap`` with the hypothesis'
shared cluster weights; its CR1 estimate and SE are the OLS ones by Frisch-Waugh-Lovell, equal to h3's
``cluster_ols`` to rounding, see tests/test_multiverse.py). The specification-curve test uses each distinct
estimate once: the specifications with the registered clustering (country-sector) and CR1 inference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..models import industry, inference
from . import choices
from .tasks import ESTIMATION_ERRORS, Task, check_finite, failed, null_weights, ols_rows, weights_for, weights_seed

TERM = industry.CARRYING
REGRESSORS = ["rdint_l1", "dist_l1", "rdint_l1:dist_l1", "dtfp_frontier"]
NULL_CLUSTER = "id"


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


def variables(panel: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The estimation sample of a specification (rows with every model variable), as ``industry.run_spec``."""
    years = choices.window_years(spec["window"], choices.INDUSTRY_YEARS)
    countries = [c for c in industry.COUNTRIES
                 if spec["countries"] == "all" or c not in industry.LATE_ENTRANTS]
    sub = industry.select(panel, countries, [], *years)
    alphas = industry.ELASTICITIES[spec["elasticities"]] or industry.production_elasticities(sub)
    v = industry.build_variables(sub, *alphas, intensity=spec["intensity"], rd_lag=int(spec["rd_lag"]))
    return v[v["in_sample"]].reset_index(drop=True)


def design_matrix(sample: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(y, X) of ``industry.FORMULA``: constant, regressors, country-sector and year dummies (first dropped)."""
    X = pd.DataFrame({"Intercept": 1.0}, index=sample.index)
    X["rdint_l1"], X["dist_l1"] = sample["rdint_l1"], sample["dist_l1"]
    X["rdint_l1:dist_l1"] = sample["rdint_l1"] * sample["dist_l1"]
    X["dtfp_frontier"] = sample["dtfp_frontier"]
    fe = [pd.get_dummies(sample[c].astype(str), prefix=c, dtype="float64").iloc[:, 1:] for c in ("id", "year")]
    return sample["dtfp"].to_numpy(dtype=float), pd.concat([X, *fe], axis=1)


def estimate(task: Task) -> tuple[list[dict], dict]:
    """Fit every specification of the task: one design per fit key, one bootstrap per fit key and clustering
    (its CR1 part gives the cr1 row, its WCR part the wcr row); rows and the null draws of the test."""
    panel = task.data["panel"]
    rows, nulls, weights = [], {}, {}
    designs: dict[tuple, tuple] = {}
    boots: dict[tuple, tuple] = {}
    for spec in task.specs:
        key, cl = fit_key(spec), spec["cluster"]
        wkey = f"{spec['hypothesis']}:{cl}"
        try:
            if key not in designs:
                sample = variables(panel, spec)
                designs = {key: (sample, *design_matrix(sample))}  # specs arrive grouped by key
            sample, y, X = designs[key]
            if (key, cl) not in boots:
                if wkey not in weights:
                    weights[wkey] = null_weights(task.seed, wkey, task.settings["cluster_labels"][cl], task.reps)
                codes, V = weights_for(weights[wkey], sample[cl])
                boots = {(key, cl): inference.wild_bootstrap_draws(y, X, codes, TERM, V)}
            wb, b_star, t_star = boots[(key, cl)]
            check_finite(wb.estimate, wb.std_error)
        except ESTIMATION_ERRORS as exc:
            rows.append(failed(spec, exc))
            continue
        rows.append(ols_rows(spec, wb, cl, industry.CLUSTERS[cl], weights_seed(task, wkey)))
        if task.test and cl == NULL_CLUSTER and spec["inference"] == "cr1":
            nulls[spec["spec_id"]] = (b_star, 2 * stats.t.sf(np.abs(t_star), wb.n_clusters - 1))
    return rows, nulls
