"""The two estimators of the country models: two-way fixed-effects OLS (CR1 by economy, t(G-1)) and, for the
patent counts, Poisson PML with the same fixed effects. Importable from :mod:`analysis.models.country`."""

from __future__ import annotations

import pandas as pd
import statsmodels.genmod.api as sm  # GLM families only (sm.families.Poisson), not all of statsmodels.api
from scipy import stats

from . import inference
from .country_panel import ModelFrame
from .country_specs import formula, terms


def fit_ols(mf: ModelFrame) -> inference.ClusterFit:
    """Two-way FE OLS with CR1 SE clustered by economy, t(G-1)."""
    return inference.cluster_ols(formula(mf.spec), mf.data, "entity")


def fit_ppml(mf: ModelFrame) -> dict[str, dict]:
    """Poisson PML with country and year dummies on the count level of a C1 outcome (``ppml_frame``).

    Inference: cluster-robust by economy (statsmodels, with the G/(G-1) correction) and t(G-1), as for OLS.
    """
    spec = mf.spec
    d = mf.data
    f = formula(spec).replace(f"{spec.outcome} ~", f"{spec.count} ~", 1)
    import statsmodels.formula.api as smf

    model = smf.glm(f, d, family=sm.families.Poisson())
    codes, _ = pd.factorize(d["entity"], sort=True)
    res = model.fit(cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)
    g = int(codes.max()) + 1
    q = stats.t.ppf(0.975, g - 1)
    out = {}
    for t in terms(spec):
        est, se = float(res.params[t]), float(res.bse[t])
        out[t] = {"term": t, "estimate": est, "std_error": se, "ci_low": est - q * se, "ci_high": est + q * se,
                  "p_value": inference.t_pvalue(est / se, g - 1), "n_obs": int(res.nobs), "n_clusters": g,
                  "inference": f"PPML, cluster-robust by entity, t({g - 1})"}
    return out
