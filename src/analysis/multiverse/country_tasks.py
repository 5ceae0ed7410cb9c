"""Country family (C1a, C1b, C2a, C2b, C3a) specifications on the OECD MSTI / PWT panel of ``models.country``.

Samples come from ``country.model_frame`` / ``country.ppml_frame`` (complete cases, exact-year lags, break flags
carried from every value used, interaction regressors centred) on the panel of ``country.build_panel``; the
choices add what h4 does not vary:

- ``prices = current_ppp``: BERD and HERD at current USD PPP (MSTI ``B/H.USD_PPP.V``) in place of constant 2020
  PPP, with their own flags;
- ``flags = drop_BE``: values flagged E (estimate) are treated as missing before the sample is drawn, so a row
  using one (also through a lag) leaves the sample, and breaks (B) are dropped as in h4;
- ``effects = twoway_trends``: a linear trend per economy next to the country and year effects.

OLS rows (CR1 and WCR) and the null draws of one fit come from one ``models.inference.wild_bootstrap_draws`` on
the design (constant, regressors, country and year dummies) with the hypothesis' shared cluster weights: its
CR1 estimate and SE are the OLS ones (Frisch-Waugh-Lovell; equal to h4's ``cluster_ols`` to rounding). PPML is h4's (``country.fit_ppml``: statsmodels Poisson GLM with the same
dummies, clustered by economy, t(G-1)) on the design matrix. The specification-curve test uses the
OLS specifications with CR1 inference (each distinct OLS estimate once); PPML specifications do not enter it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import data
from ..models import country, inference
from . import choices
from .tasks import ESTIMATION_ERRORS, Task, check_finite, failed, null_weights, ols_rows, t_row, weights_for, weights_seed

SPEC_OF = {"C1a": "C1 triadic", "C1b": "C1 PCT", "C2a": "C2 HERD financed by business",
           "C2b": "C2 HERD financed by business", "C3a": "C3 TFP growth"}
CURRENT_PPP = {"berd": "B.USD_PPP.V._Z", "herd": "H.USD_PPP.V._Z"}
CLUSTER = "entity"


def prepare() -> dict:
    """The estimation data: h4's panel plus BERD and HERD at current PPP (``berd_v``, ``herd_v`` and flags)."""
    msti = data.load("oecd_msti")
    panel = country.build_panel(msti, data.load("pwt"))
    sub = msti[msti["indicator"].isin(CURRENT_PPP.values()) & (msti["entity_type"] == "country")]
    for col, code in CURRENT_PPP.items():
        s = sub[sub["indicator"] == code][["entity", "year", "value", "flags"]].copy()
        s = s.assign(year=s["year"].astype("int64"), entity=s["entity"].astype(str),
                     flags=s["flags"].astype("string").fillna(""))
        s = s.rename(columns={"value": f"{col}_v", "flags": f"{col}_v_flags"})
        panel = panel.merge(s, on=["entity", "year"], how="left")
        panel[f"{col}_v_flags"] = panel[f"{col}_v_flags"].fillna("")
    return {"panel": panel}


def cluster_labels(data_: dict) -> dict:
    """Every economy of the panel, for the shared cluster weights."""
    return {CLUSTER: sorted(data_["panel"][CLUSTER].unique().tolist())}


def fit_key(spec: dict) -> tuple:
    """Specifications that share one fit: the inference method varies within."""
    return tuple(spec.get(d, "") for d in ("hypothesis", "estimator", "prices", "lag", "flags", "exclude", "window",
                                           "effects"))


def panel_variant(panel: pd.DataFrame, spec: dict, cspec: country.Spec) -> pd.DataFrame:
    """The panel with the price basis and the E-flag treatment of ``spec`` applied to the model's variables."""
    p = panel
    if spec.get("prices") == "current_ppp":
        p = p.copy()
        for col in CURRENT_PPP:
            v = p[f"{col}_v"].astype(float)
            p[f"log_{col}"] = np.log(v.where(v > 0))
            p[f"log_{col}_flags"] = p[f"{col}_v_flags"]
    if spec["flags"] == "drop_BE":
        p = p.copy() if p is panel else p
        for var in [cspec.outcome, *cspec.regressors] + ([cspec.count] if cspec.count else []):
            est = p[f"{var}_flags"].astype("string").fillna("").str.contains("E", regex=False).to_numpy(bool)
            p.loc[est, var] = np.nan
    return p


def sample(panel: pd.DataFrame, spec: dict) -> country.ModelFrame:
    """The estimation sample of a specification (``country.model_frame`` or ``ppml_frame``)."""
    cspec = next(s for s in country.SPECS if s.name == SPEC_OF[spec["hypothesis"]])
    excl = {"none": [], "CHN": ["CHN"], "non_oecd": list(spec["_non_oecd"])}[spec["exclude"]]
    years = None if spec["window"] == "all" else choices.window_years(spec["window"], choices.COUNTRY_YEARS)
    kw = dict(lag=int(spec["lag"]), exclude=excl, years=years, drop_breaks=spec["flags"] != "keep")
    p = panel_variant(panel, spec, cspec)
    if spec["estimator"] == "ppml_twfe":
        return country.ppml_frame(p, cspec, **kw)
    return country.model_frame(p, cspec, **kw)


def design_matrix(mf: country.ModelFrame, outcome: str, trends: bool) -> tuple[np.ndarray, pd.DataFrame]:
    """(y, X) of ``country.formula``: constant, regressors (and interaction), country and year dummies, and a
    linear trend per economy (first economy's left out: the year effects hold the common trend) if asked."""
    d, spec = mf.data, mf.spec
    X = pd.DataFrame({"Intercept": 1.0}, index=d.index)
    for t in country.terms(spec):
        a, _, b = t.partition(":")
        X[t] = d[a] * d[b] if b else d[a]
    fe = [pd.get_dummies(d[c].astype(str), prefix=c, dtype="float64").iloc[:, 1:] for c in ("entity", "year")]
    parts = [X, *fe]
    if trends:
        years = d["year"].astype(float) - float(d["year"].mean())
        parts.append(pd.get_dummies(d["entity"].astype(str), prefix="trend", dtype="float64").iloc[:, 1:]
                     .mul(years, axis=0))
    return d[outcome].to_numpy(dtype=float), pd.concat(parts, axis=1)


def _ppml(mf: country.ModelFrame, spec: dict) -> dict:
    """h4's PPML (``country.fit_ppml``: statsmodels Poisson GLM, cluster-robust by economy, t(G-1)) on the design
    matrix instead of a formula (the fractional patent counts are valid PPML outcomes)."""
    import statsmodels.api as sm

    y, X = design_matrix(mf, mf.spec.count, False)
    codes, _ = pd.factorize(mf.data[CLUSTER], sort=True)
    res = sm.GLM(y, X, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)
    G = int(codes.max()) + 1
    term = spec["term"]
    check_finite(float(res.params[term]), float(res.bse[term]))
    return {**t_row(float(res.params[term]), float(res.bse[term]), G - 1), "n_obs": int(res.nobs),
            "n_clusters": G, "inference": f"PPML, cluster-robust by {CLUSTER}, t({G - 1})", "seed": "", "error": ""}


def estimate(task: Task) -> tuple[list[dict], dict]:
    """Fit every specification of the task: one sample, design and bootstrap per fit key (its CR1 part gives
    the cr1 row, its WCR part the wcr row); rows and the null draws of the test."""
    panel = task.data["panel"]
    rows, nulls, weights = [], {}, {}
    fits: dict[tuple, tuple] = {}
    for spec in task.specs:
        spec = {**spec, "_non_oecd": task.settings.get("non_oecd", [])}
        key, wkey = fit_key(spec), f"{spec['hypothesis']}:{CLUSTER}"
        try:
            if spec["estimator"] == "ppml_twfe":
                rows.append({"spec_id": spec["spec_id"], **_ppml(sample(panel, spec), spec)})
                continue
            if key not in fits:
                mf = sample(panel, spec)
                y, X = design_matrix(mf, mf.spec.outcome, spec["effects"] == "twoway_trends")
                if wkey not in weights:
                    weights[wkey] = null_weights(task.seed, wkey, task.settings["cluster_labels"][CLUSTER],
                                                 task.reps)
                codes, V = weights_for(weights[wkey], mf.data[CLUSTER])
                fits = {key: inference.wild_bootstrap_draws(y, X, codes, spec["term"], V)}  # grouped by key
            wb, b_star, t_star = fits[key]
            check_finite(wb.estimate, wb.std_error)
        except ESTIMATION_ERRORS as exc:
            rows.append(failed(spec, exc))
            continue
        rows.append(ols_rows(spec, wb, CLUSTER, "country", weights_seed(task, wkey)))
        if task.test and spec["inference"] == "cr1":
            nulls[spec["spec_id"]] = (b_star, 2 * stats.t.sf(np.abs(t_star), wb.n_clusters - 1))
    return rows, nulls
