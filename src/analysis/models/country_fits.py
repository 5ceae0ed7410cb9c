"""The two estimators of the country models: two-way fixed-effects OLS (CR1 by economy, t(G-1)) and, for the
patent counts, Poisson PML with the same fixed effects. Importable from :mod:`analysis.models.country`.

Both are statsmodels' fits on the design matrix of ``country_specs.formula`` built here with numpy
(``design``) instead of by patsy: the same columns, names, values and memory layout as
``patsy.dmatrices(formula, data, return_type="dataframe")`` on a complete-case sample, so the estimates, SEs,
p-values and intervals are those of ``inference.cluster_ols`` / ``smf.glm`` to the last bit
(tests/test_country_speed_equivalence.py keeps the formula path as the reference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # the t quantile that scipy.stats.t.ppf evaluates

from . import inference
from .country_panel import ModelFrame
from .country_specs import terms

CLUSTER = "entity"


def _dummies(col: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """Treatment-coded dummies of ``C(name)`` as patsy writes them: levels sorted, the first left out."""
    codes, levels = pd.factorize(col, sort=True)
    return ((codes[:, None] == np.arange(1, len(levels))).astype(np.float64),
            [f"C({name})[T.{v}]" for v in levels[1:]])


def design(mf: ModelFrame, outcome: str | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """(y, X) of ``formula(mf.spec)`` on ``mf.data`` (``outcome`` in place of the spec's, e.g. the count):
    patsy's column order (constant, country and year dummies, regressors, interaction) and layout (Fortran)."""
    d = mf.data
    ent, ent_names = _dummies(d["entity"], "entity")
    yr, yr_names = _dummies(d["year"], "year")
    cols, names = [], []
    for t in terms(mf.spec):
        a, _, b = t.partition(":")
        cols.append(d[a].to_numpy(dtype=float) * d[b].to_numpy(dtype=float) if b else d[a].to_numpy(dtype=float))
        names.append(t)
    X = np.empty((len(d), 1 + ent.shape[1] + yr.shape[1] + len(cols)), order="F")
    X[:, 0] = 1.0
    X[:, 1:1 + ent.shape[1]] = ent
    X[:, 1 + ent.shape[1]:1 + ent.shape[1] + yr.shape[1]] = yr
    for j, c in enumerate(cols, start=1 + ent.shape[1] + yr.shape[1]):
        X[:, j] = c
    Xdf = pd.DataFrame(X, columns=["Intercept", *ent_names, *yr_names, *names], index=d.index, copy=False)
    y_name = outcome or mf.spec.outcome
    return pd.Series(d[y_name].to_numpy(dtype=float), index=d.index, name=y_name), Xdf


def fit_ols(mf: ModelFrame, dm: tuple[pd.Series, pd.DataFrame] | None = None) -> inference.ClusterFit:
    """Two-way FE OLS with CR1 SE clustered by economy, t(G-1) (``inference.cluster_ols`` on ``design``)."""
    from statsmodels.regression.linear_model import OLS

    y, X = design(mf) if dm is None else dm
    groups = pd.factorize(mf.data[CLUSTER], sort=True)[0].astype(np.int64)
    g = int(groups.max()) + 1
    res = OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True,
                                                      "df_correction": True}, use_t=True)
    return inference.ClusterFit(result=res, n_obs=int(res.nobs), n_clusters=g, cluster=CLUSTER)


def ols_rows(fit: inference.ClusterFit, wanted: list[str], level: float = 0.95) -> dict[str, dict]:
    """``fit.row(t)`` for every ``t`` in ``wanted``, with the interval and p-values computed once."""
    r = fit.result
    ci = r.conf_int(alpha=1 - level)
    params, bse, pv = r.params, r.bse, r.pvalues
    how = f"CR1 clustered by {fit.cluster}, t({fit.n_clusters - 1})"
    return {t: {"term": t, "estimate": float(params[t]), "std_error": float(bse[t]),
                "ci_low": float(ci.loc[t].iloc[0]), "ci_high": float(ci.loc[t].iloc[1]),
                "p_value": float(pv[t]), "n_obs": fit.n_obs, "n_clusters": fit.n_clusters, "inference": how}
            for t in wanted}


def fit_ppml(mf: ModelFrame) -> dict[str, dict]:
    """Poisson PML with country and year dummies on the count level of a C1 outcome (``ppml_frame``).

    Inference: cluster-robust by economy (statsmodels, with the G/(G-1) correction) and t(G-1), as for OLS.
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    spec = mf.spec
    y, X = design(mf, spec.count)
    codes, _ = pd.factorize(mf.data[CLUSTER], sort=True)
    res = GLM(y, X, family=families.Poisson()).fit(cov_type="cluster", cov_kwds={"groups": codes,
                                                   "use_correction": True}, maxiter=100, tol=1e-8)
    g = int(codes.max()) + 1
    q = float(stdtrit(g - 1, 0.975))
    out = {}
    for t in terms(spec):
        est, se = float(res.params[t]), float(res.bse[t])
        out[t] = {"term": t, "estimate": est, "std_error": se, "ci_low": est - q * se, "ci_high": est + q * se,
                  "p_value": inference.t_pvalue(est / se, g - 1), "n_obs": int(res.nobs), "n_clusters": g,
                  "inference": f"PPML, cluster-robust by {CLUSTER}, t({g - 1})"}
    return out
