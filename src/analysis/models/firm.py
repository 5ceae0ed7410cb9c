"""Firm-level absorptive capacity on the Cincera (1997) panel: the replication and hypotheses F1, F2.

Specifications are those registered in ``analysis/hypotheses/firm.toml``; this module runs the three count
estimators of :mod:`analysis.models.count_panel` on the designs of :mod:`analysis.models.firm_panel` (which also
holds the panel and the notebooks' parameters) and returns rows in the common results layout
(:mod:`analysis.models.results`); the figures are in :mod:`analysis.models.firm_plots`. Notebooks
``h1_firm_replication_cincera`` and ``h2_firm_absorptive_capacity`` call it, and every name of the two other
modules is importable from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import labels, registry
from . import count_panel, results
from .firm_panel import (CLUSTERING, FIRST_YEAR, H1_DEFAULTS, H2_DEFAULTS, LAST_YEAR, PANEL,  # noqa: F401
                         PANEL_COLUMNS, REGIONS, add_lags, design, load_panel, resolve_estimators,
                         validate_params, validate_replication_params)
from .firm_plots import VERDICT_COLORS, VERDICT_NAMES, coefficient_plot, lag_profile_plot  # noqa: F401

ESTIMATOR_NAMES = {
    "pooled_poisson": ("pooled Poisson", "プールド・ポアソン"),
    "fe_poisson": ("FE Poisson", "固定効果ポアソン"),
    "negbin": ("NB2", "負の二項"),
}


# ----------------------------------------------------------------------------------------------------------------
# replication


def replication(panel: pd.DataFrame, start_year: int = 1987, end_year: int = 1991, max_lag: int = 4) -> dict:
    """Conditional FE Poisson of patent on rdexp and spil at lags 0..max_lag, firm effects, no year effects.

    Returns ``{"fit", "sample", "coefficients", "long_run", "rows"}``: coefficients with model-based and
    firm-clustered SEs; long-run elasticities (sum of the lags) with delta-method SEs under both covariances;
    ``rows`` in the common results layout (role ``replication``).
    """
    validate_replication_params({"start_year": start_year, "end_year": end_year, "max_lag": max_lag})
    lagged = add_lags(panel, ["rdexp", "spil"], max_lag)
    cols = [f"{v}_l{k}" for v in ("rdexp", "spil") for k in range(max_lag + 1)]
    s = lagged[lagged["year"].between(start_year, end_year)].dropna(subset=cols).reset_index(drop=True)
    fit = count_panel.fe_poisson(s["patent"], s[cols], s["firm"], cluster=True)
    coef = pd.DataFrame({"estimate": fit.params, "se_model": np.sqrt(np.diag(fit.cov_model)),
                         "se_cluster": np.sqrt(np.diag(fit.cov_cluster))})
    lr = []
    for hid, v in (("R1a", "rdexp"), ("R1b", "spil")):
        w = {f"{v}_l{k}": 1.0 for k in range(max_lag + 1)}
        m, c = fit.linear_combination(w, "model"), fit.linear_combination(w, "cluster")
        lr.append({"hypothesis": hid, "term": f"sum {v}_l0..l{max_lag}", "estimate": m["estimate"],
                   "se_model": m["std_error"], "p_model": m["p_value"], "se_cluster": c["std_error"],
                   "p_cluster": c["p_value"]})
    long_run = pd.DataFrame(lr).set_index("term")
    sample = f"{start_year}-{end_year}, {s['firm'].nunique()} firms"
    rows = []
    for term, r in coef.iterrows():
        for inf, se in (("model", r["se_model"]), ("cluster(firm)", r["se_cluster"])):
            rows.append(_row("R1a" if term.startswith("rdexp") else "R1b", f"FE Poisson lags 0-{max_lag} [{inf}]",
                             "fe_poisson", sample, term, r["estimate"], se, len(s),
                             fit.n_clusters if inf != "model" else "", inf, "replication"))
    for term, r in long_run.iterrows():
        for inf, se in (("model", r["se_model"]), ("cluster(firm)", r["se_cluster"])):
            rows.append(_row(r["hypothesis"], f"FE Poisson lags 0-{max_lag} [{inf}]", "fe_poisson", sample, term,
                             r["estimate"], se, len(s), fit.n_clusters if inf != "model" else "", inf,
                             "replication"))
    return {"fit": fit, "sample": s, "coefficients": coef, "long_run": long_run, "rows": results.frame(rows)}


def firm_dummy_check(sample: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Same model as Poisson regression with one dummy per firm (statsmodels GLM): slopes must coincide.

    Firms with no patents at all are left out of the dummy regression (their dummy would go to minus infinity);
    they carry no information in the conditional likelihood either.
    """
    import statsmodels.api as sm

    informative = sample.groupby("firm")["patent"].transform("sum") > 0
    k = sample[informative]
    dummies = pd.get_dummies(k["firm"], prefix="firm", dtype="float64")
    X = pd.concat([k[cols], dummies], axis=1)
    # Newton rather than IRLS: a few iterations instead of ~18 with 175 dummies
    glm = sm.GLM(k["patent"].to_numpy(dtype="float64"), X, family=sm.families.Poisson()).fit(
        method="newton", tol=1e-12, maxiter=100)
    return pd.DataFrame({"estimate": glm.params[cols], "std_error": glm.bse[cols]})


def statsmodels_check(sample: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """``statsmodels`` ConditionalPoisson on the same sample.

    Note: statsmodels drops every group whose counts do not vary, including a firm with the same positive
    count each year, which does carry information in the conditional likelihood. The comparison is therefore
    made on the sample without such firms (the returned frame lists the firms dropped in ``attrs``).
    """
    from statsmodels.discrete.conditional_models import ConditionalPoisson
    import warnings

    sd = sample.groupby("firm")["patent"].agg(["std", "sum"])
    constant_pos = sd.index[(sd["std"] == 0) & (sd["sum"] > 0)].tolist()
    k = sample[~sample["firm"].isin(constant_pos)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "dropped groups" ModelWarning is expected (all-zero firms)
        res = ConditionalPoisson(k["patent"].to_numpy(dtype="float64"), k[cols].to_numpy(),
                                 groups=k["firm"].to_numpy()).fit(method="newton", maxiter=100, disp=False)
    out = pd.DataFrame({"estimate": res.params, "std_error": res.bse}, index=cols)
    out.attrs["constant_positive_firms"] = constant_pos
    return out



def _row(hid, model, estimator, sample, term, est, se, n_obs, n_clusters, inference, role, p=None):
    from scipy import stats
    z = est / se if se > 0 else np.nan
    p = 2 * stats.norm.sf(abs(z)) if p is None else p
    return {"hypothesis": hid, "model": model, "estimator": estimator, "sample": sample, "term": term,
            "estimate": float(est), "std_error": float(se), "ci_low": float(est - 1.959963984540054 * se),
            "ci_high": float(est + 1.959963984540054 * se), "p_value": float(p), "n_obs": n_obs,
            "n_clusters": n_clusters, "inference": inference, "role": role, "verdict": ""}


def _fit_rows(fit: count_panel.CountFit, hid: str, model: str, sample: str, key_terms: list[str],
              role_key: str, show: list[str]) -> list[dict]:
    tab = fit.table()
    inf = "cluster(firm)" if fit.inference == "cluster" else "model"
    rows = []
    for term in show:
        if term not in tab.index:
            continue
        r = tab.loc[term]
        role = role_key if term in key_terms else "control"
        rows.append(_row(hid, model, fit.estimator, sample, term, r["estimate"], r["std_error"], fit.n_obs,
                         fit.n_clusters if fit.n_clusters else "", inf, role, p=r["p_value"]))
    return rows


def _label(estimator: str, lang: str = "en") -> str:
    return ESTIMATOR_NAMES[estimator][0 if lang == "en" else 1]


def estimate(panel: pd.DataFrame, params: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Run F1 (three estimators), F2a/F2b and the robustness rows; return (results frame, fits by model).

    Verdicts are filled by ``results.add_verdicts`` from the registry on role ``hypothesis`` rows only.
    """
    p = {**H2_DEFAULTS, **(params or {})}
    validate_params(p)
    p["estimators"] = resolve_estimators(p["estimators"])
    cluster = p["clustering"] == "firm"
    y0, y1 = p["start_year"], p["end_year"]
    rows: list[dict] = []
    fits: dict[str, count_panel.CountFit] = {}
    f1_ids = {"pooled_poisson": "F1", "fe_poisson": "F1-fe", "negbin": "F1-nb"}
    show = ["rdexp", "spil", "rdexp:spil", "spil:japan", "spil:eu", "spil:usa", "rdexp:japan", "rdexp:eu",
            "rdexp:usa", "alpha"]

    def run(est, **kw):
        y, X, g, s = design(panel, est, start_year=y0, end_year=y1, **kw)
        fit = count_panel.fit(est, y, X, g, cluster=cluster)
        label = f"{s['year'].min()}-{s['year'].max()}, {s['firm'].nunique()} firms"
        return fit, label

    for est in p["estimators"]:
        fit, sample = run(est)
        model = f"F1 {_label(est)}"
        fits[model] = fit
        rows += _fit_rows(fit, f1_ids[est], model, sample, ["rdexp:spil"], "hypothesis", show)
    # F2: one fitted model, two parametrisations (US base -> F2a, EU base -> F2b)
    for base, hid in (("usa", "F2a"), ("eu", "F2b")):
        fit, sample = run("pooled_poisson", exclude_rotw=True, region_slopes=base)
        model = f"F2 pooled Poisson ({base.upper()} base)"
        fits[model] = fit
        rows += _fit_rows(fit, hid, model, sample, ["spil:japan"], "hypothesis", show)
    for est in [e for e in p["estimators"] if e != "pooled_poisson"]:
        fit, sample = run(est, exclude_rotw=True, region_slopes="usa")
        model = f"F2 {_label(est)} (USA base)"
        fits[model] = fit
        rows += _fit_rows(fit, "F2a", model, sample, ["spil:japan"], "robustness", show)
    # robustness of F1 with the headline estimator
    robust = [("F1 pooled Poisson, regressors t-1", {"lag": 1}),
              ("F1 pooled Poisson, excl. RoW firm", {"exclude_rotw": True}),
              ("F1 pooled Poisson, 1987-1991", {"_years": (max(y0, 1987), y1)})]
    for model, kw in robust:
        yrs = kw.pop("_years", None)
        if yrs is not None:
            if yrs[1] - yrs[0] < 1:
                continue
            yy, XX, gg, ss = design(panel, "pooled_poisson", start_year=yrs[0], end_year=yrs[1])
            fit = count_panel.fit("pooled_poisson", yy, XX, gg, cluster=cluster)
            sample = f"{ss['year'].min()}-{ss['year'].max()}, {ss['firm'].nunique()} firms"
        else:
            fit, sample = run("pooled_poisson", **kw)
        fits[model] = fit
        rows += _fit_rows(fit, "F1", model, sample, ["rdexp:spil"], "robustness", show)
    df = results.frame(rows)
    firm_hyps = {h.id: h for h in registry.load(families="firm")}
    return results.add_verdicts(df, firm_hyps), fits


def registry_table(lang: str = "en") -> pd.DataFrame:
    """The firm family as registered (printed before any estimate)."""
    labels.check_lang(lang)
    hyps = registry.load(families="firm")
    return pd.DataFrame([{"id": h.id, "role": h.extra.get("role", "hypothesis"), "coefficient(s)":
                          (" + " if h.combine == "sum" else ", ").join(h.coefficients),
                          "expected sign": h.expected_sign, "estimator": ", ".join(h.estimators),
                          "alpha": h.alpha, "headline": h.headline, "statement": h.statement} for h in hyps])


def key_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """Hypothesis and robustness rows only, rounded for display."""
    keep = df[df["role"].isin(["hypothesis", "robustness"])]
    cols = ["hypothesis", "model", "term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_obs",
            "n_clusters", "role", "verdict"]
    return keep[cols].reset_index(drop=True).round(5)


def spillover_elasticity(fit: count_panel.CountFit, sample: pd.DataFrame,
                         quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
    """Patent elasticity w.r.t. spillovers, b_spil + b_(rdexp:spil) (rdexp - mean), at quantiles of log R&D.

    ``sample`` is the estimation sample returned by :func:`design` (its rdexp mean is the centring point).
    Delta-method SEs use the fit's covariance (cluster-robust by default).
    """
    mean = sample["rdexp"].mean()
    rows = []
    for q in quantiles:
        rd = float(sample["rdexp"].quantile(q))
        lc = fit.linear_combination({"spil": 1.0, "rdexp:spil": rd - mean})
        rows.append({"rdexp quantile": q, "log R&D": rd, "elasticity": lc["estimate"],
                     "std_error": lc["std_error"], "ci_low": lc["estimate"] - 1.959963984540054 * lc["std_error"],
                     "ci_high": lc["estimate"] + 1.959963984540054 * lc["std_error"], "p_value": lc["p_value"]})
    return pd.DataFrame(rows)


def variation_explained(panel: pd.DataFrame, start_year: int = 1983, end_year: int = 1991) -> pd.DataFrame:
    """Share of the variance of each F1 regressor explained by the pooled controls (sector, region, year dummies).

    What is left is the variation that identifies the coefficient in the pooled models; a share near one means
    the coefficient rests on little independent variation.
    """
    _, X, _, _ = design(panel, "pooled_poisson", start_year=start_year, end_year=end_year)
    Z = X.drop(columns=["rdexp", "spil", "rdexp:spil"]).to_numpy()
    rows = []
    for v in ("rdexp", "spil", "rdexp:spil"):
        b = np.linalg.lstsq(Z, X[v].to_numpy(), rcond=None)[0]
        resid = X[v].to_numpy() - Z @ b
        rows.append({"regressor": v, "share explained by controls": 1 - resid.var() / X[v].to_numpy().var(),
                     "residual sd": resid.std()})
    return pd.DataFrame(rows).set_index("regressor")
