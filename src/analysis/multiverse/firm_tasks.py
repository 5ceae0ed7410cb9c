"""Firm family (F1, F2a) specifications on the Cincera (1997) panel, estimated with ``models.firm.design`` and
``models.count_panel`` (the estimators of h2/h5, unchanged).

A specification picks the estimator, the estimation window, the lag of rdexp and spil, the firm sample and the
pooled models' control dummies (``hypotheses/spaces/firm.toml``). Inference is firm-clustered with the normal
reference distribution, as registered.

Null draws for the specification-curve test: a wild score bootstrap (Kline & Santos 2012, J. Econometrics
170(1)) with the null imposed as Simonsohn, Simmons & Nelson do for a linear model, by removing the estimated
effect: each draw is the one-step deviation b* - b = (H^-1 sum_g v_g s_g)_k from the cluster scores s_g at the
estimate, weighted by the shared cluster weights v_g, so the draws are centred on a zero effect; its t statistic
uses the sandwich of the weighted scores. Every estimator enters (NB2 with its dispersion among the parameters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr  # the normal cdf: scipy.stats.norm.sf(z) is ndtr(-z)

from ..models import count_panel, firm
from . import choices
from .tasks import ESTIMATION_ERRORS, Task, check_finite, failed, null_weights, t_row

CLUSTER = "firm"
# the hypothesis -> base region of the region slopes (F2a: the US is the base)
REGION_SLOPES = {"F1": None, "F2a": "usa"}
MAX_LAG = 2  # the largest lag the space file's checker allows (choices.for_family)


def prepare() -> dict:
    """The estimation data of the family: the processed firm panel."""
    return {"panel": firm.load_panel()}


def cluster_labels(data: dict) -> dict:
    """Every cluster label (firm id) of the panel, for the shared weights of the null draws."""
    return {CLUSTER: sorted(data["panel"]["firm"].unique().tolist())}


def fit_key(spec: dict) -> tuple:
    """Specifications with the same key share one fit (here every choice changes the fit)."""
    return tuple(spec[d] for d in ("hypothesis", "estimator", "window", "lag", "firms", "controls"))


def firm_sample(panel: pd.DataFrame, firms: str, years: tuple[int, int]) -> pd.DataFrame:
    """The panel restricted to the firm sample named by ``firms`` (counts taken over the window's years)."""
    firm_ids = panel["firm"].to_numpy()
    in_window = panel["year"].between(*years).to_numpy()
    # patent totals of the firms with a row in the window (whole counts: any order of addition is exact)
    ids, at = np.unique(firm_ids[in_window], return_inverse=True)
    totals = np.bincount(at, weights=panel["patent"].to_numpy()[in_window], minlength=len(ids))
    keep = np.ones(len(ids), bool)
    if firms.startswith("no_rotw"):
        keep &= ~np.isin(ids, firm_ids[(panel["region"] == "rotw").to_numpy()])
    if firms.endswith("patenting"):
        keep &= totals > 0
    if firms.endswith("top5"):
        # ties broken by firm id, so the five are always the same firms
        keep[np.lexsort((ids, -totals))[:5]] = False
    return panel[np.isin(firm_ids, ids[keep])]


def design(panel: pd.DataFrame, spec: dict, lagged: pd.DataFrame | None = None, samples: dict | None = None):
    """(y, X, firm ids, sample) of one specification, through ``models.firm.design``. ``lagged``: the panel with
    ``firm.add_lags`` up to ``MAX_LAG`` (``lagged_panel``), shared by a task's designs; ``samples`` keeps each
    (firms, window) sample of it for the next call. Both give the frames of a design from ``panel`` itself."""
    years = choices.window_years(spec["window"], choices.FIRM_YEARS)
    lag = int(spec["lag"])
    if lagged is None:
        sub = firm_sample(panel, spec["firms"], years)
    else:
        memo = samples if samples is not None else {}
        if (spec["firms"], years) not in memo:
            memo[(spec["firms"], years)] = firm_sample(lagged, spec["firms"], years)
        sub = memo[(spec["firms"], years)]
    y, X, g, s = firm.design(sub, spec["estimator"], start_year=years[0], end_year=years[1], lag=lag,
                             exclude_rotw=spec["firms"].startswith("no_rotw"),
                             region_slopes=REGION_SLOPES[spec["hypothesis"]], lagged=lagged is not None)
    return y, controls(X, spec["controls"]), g, s


def lagged_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with rdexp and spil lagged 0..``MAX_LAG`` years within firm (``firm.add_lags``)."""
    return firm.add_lags(panel, ["rdexp", "spil"], MAX_LAG)


def controls(X: pd.DataFrame, which: str) -> pd.DataFrame:
    """The design with the pooled models' dummies of the control set ``which`` (sector, region, year)."""
    drop = {"sector_region_year": (), "region_year": ("sector_",), "year": ("sector_", "region_")}[which]
    return X[[c for c in X.columns if not c.startswith(drop)]] if drop else X


def estimate(task: Task) -> tuple[list[dict], dict]:
    """Fit every specification of the task; return result rows and the null draws of the test."""
    panel = task.data["panel"]
    weights = {}
    rows, nulls = [], {}
    designs: dict[tuple, tuple] = {}
    lagged, samples = lagged_panel(panel), {}
    for spec in task.specs:
        term = spec["term"]
        # the control sets only drop columns, and pooled Poisson and NB2 share a design: build it once
        key = (spec["hypothesis"], spec["window"], spec["lag"], spec["firms"], spec["estimator"] == "fe_poisson")
        try:
            if key not in designs:
                designs = {key: design(panel, {**spec, "controls": "sector_region_year"}, lagged, samples)}
            y, X, g, _ = designs[key]
            X = controls(X, spec["controls"])
            fit = count_panel.fit(spec["estimator"], y, X, g, cluster=True)
            check_finite(float(fit.params[term]), float(fit.bse[term]))
            row = t_row(float(fit.params[term]), float(fit.bse[term]), None)
        except ESTIMATION_ERRORS as exc:
            rows.append(failed(spec, exc))
            cells = separated(y, X) if isinstance(exc, RuntimeError) else []
            if cells:
                rows[-1]["error"] += (f" ({', '.join(cells)}: no patents in the sample, so the dummy's coefficient "
                                      "diverges; the specification is not defined as declared)")
            continue
        rows.append({"spec_id": spec["spec_id"], **row, "n_obs": fit.n_obs, "n_clusters": fit.n_clusters,
                     "inference": "cluster(firm), normal", "seed": "", "error": ""})
        if task.test:
            wkey = f"{spec['hypothesis']}:{CLUSTER}"
            if wkey not in weights:
                weights[wkey] = null_weights(task.seed, wkey, task.settings["cluster_labels"][CLUSTER], task.reps)
            nulls[spec["spec_id"]] = score_null(fit, y, X, g, term, weights[wkey])
    return rows, nulls


def separated(y, X: pd.DataFrame) -> list[str]:
    """Dummy columns whose rows all have zero patents (perfect separation in a Poisson or NB2 mean)."""
    y = np.asarray(y, dtype=float)
    out = []
    for c in X.columns:
        col = X[c].to_numpy()
        if c != "const" and set(np.unique(col)) <= {0.0, 1.0} and col.any() and y[col == 1].sum() == 0:
            out.append(c)
    return out


def scores(fit: count_panel.CountFit, y: np.ndarray, X: pd.DataFrame, groups: pd.Series):
    """(observation scores at the estimate, kept rows) of a fitted count model; columns as ``fit.params``."""
    b = fit.params.to_numpy()
    if fit.estimator == "negbin":
        from statsmodels.discrete.discrete_model import NegativeBinomial  # as count_panel.negbin fits it

        return NegativeBinomial(y, X.to_numpy(dtype=float), loglike_method="nb2").score_obs(b), np.ones(len(y), bool)
    Xa = X.to_numpy(dtype=float)
    if fit.estimator == "pooled_poisson":
        return Xa * (y - np.exp(Xa @ b))[:, None], np.ones(len(y), bool)
    keep = ~groups.isin(fit.dropped_groups).to_numpy()
    y, Xa, g = y[keep], Xa[keep], groups.to_numpy()[keep]
    eta = pd.Series(Xa @ b)
    e = np.exp(eta - eta.groupby(g).transform("max")).to_numpy()
    p = e / pd.Series(e).groupby(g).transform("sum").to_numpy()
    n_i = pd.Series(y).groupby(g).transform("sum").to_numpy()
    return Xa * (y - n_i * p)[:, None], keep


def score_null(fit: count_panel.CountFit, y, X: pd.DataFrame, groups, term: str, weights: dict):
    """Null draws (estimates, normal p-values) of ``term``: wild score bootstrap around the estimate."""
    y = np.asarray(y, dtype=float)
    groups = pd.Series(np.asarray(groups))
    s, keep = scores(fit, y, X, groups)
    k = list(fit.params.index).index(term)
    # H^-1 = the model covariance (inverse information); (H^-1 s_i)_k per observation, summed by cluster
    c = pd.Series(s @ fit.cov_model.to_numpy()[:, k]).groupby(groups.to_numpy()[keep]).sum()
    cv = c.to_numpy()[:, None] * np.vstack([weights[lab] for lab in c.index])
    G = len(c)
    b_star = cv.sum(axis=0)
    se_star = np.sqrt(G / (G - 1) * (cv ** 2).sum(axis=0))
    return b_star, 2 * ndtr(-np.abs(b_star / se_star))
