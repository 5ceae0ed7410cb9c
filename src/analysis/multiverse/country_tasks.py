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
CR1 estimate and SE are the OLS ones (Frisch-Waugh-Lovell; equal to h4's ``cluster_ols`` to rounding). PPML is
h4's (``country.fit_ppml``: statsmodels Poisson GLM with the same dummies, clustered by economy, t(G-1)) on the
design matrix, fitted by ``models.ppml_core`` (statsmodels' IRLS on arrays; estimates and SEs those of the GLM
to ~1e-11 relative). The specification-curve test uses the OLS specifications with CR1 inference (each distinct
OLS estimate once); PPML specifications do not enter it.

Speed without other numbers: within a task, the sample of ``model_frame`` is drawn once per price basis, flag
treatment, lag and estimator on the whole panel (``broad_frame``) and each specification's economies and years
are then selected from it (``restrict``; the filters are row-wise, so the order does not matter, and the
centring is ``model_frame``'s on the final sample); the design is built with numpy (``design_arrays``, the
columns and values of ``design_matrix``). tests/test_multiverse_country.py checks both against
``model_frame`` / ``ppml_frame`` and ``design_matrix`` to the last bit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .. import data
from ..models import country, inference, ppml_core
from . import choices
from .tasks import (ESTIMATION_ERRORS, Task, check_finite, failed, null_weights, ols_rows, t_row, t_sf2, text_codes,
                    weights_for, weights_seed)

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


def model_spec(spec: dict) -> country.Spec:
    """h4's model of the specification's hypothesis."""
    return next(s for s in country.SPECS if s.name == SPEC_OF[spec["hypothesis"]])


def panel_variant(panel: pd.DataFrame, spec: dict, cspec: country.Spec) -> pd.DataFrame:
    """The panel with the price basis and the E-flag treatment of ``spec`` applied to the model's variables;
    only the columns the model's sample reads (a narrow frame, so that the variant copies little)."""
    used = [cspec.outcome, *cspec.regressors] + ([cspec.count] if cspec.count else [])
    cols = ["entity", "year", *dict.fromkeys(c for v in used for c in (v, f"{v}_flags"))]
    if spec.get("prices") == "current_ppp":
        cols += [c for col in CURRENT_PPP for c in (f"{col}_v", f"{col}_v_flags")]
    p = panel[cols]  # a new frame (copy on write): the assignments below leave ``panel`` alone
    if spec.get("prices") == "current_ppp":
        for col in CURRENT_PPP:
            v = p[f"{col}_v"].astype(float)
            p[f"log_{col}"] = np.log(v.where(v > 0))
            p[f"log_{col}_flags"] = p[f"{col}_v_flags"]
    if spec["flags"] == "drop_BE":
        for var in used:
            est = p[f"{var}_flags"].astype("string").fillna("").str.contains("E", regex=False).to_numpy(bool)
            p.loc[est, var] = np.nan
    return p


def _selection(spec: dict) -> tuple[list[str], tuple[int, int] | None]:
    """(economies excluded, years or None for all) of a specification."""
    excl = {"none": [], "CHN": ["CHN"], "non_oecd": list(spec["_non_oecd"])}[spec["exclude"]]
    years = None if spec["window"] == "all" else choices.window_years(spec["window"], choices.COUNTRY_YEARS)
    return excl, years


def sample(panel: pd.DataFrame, spec: dict) -> country.ModelFrame:
    """The estimation sample of a specification (``country.model_frame`` or ``ppml_frame``)."""
    cspec = model_spec(spec)
    excl, years = _selection(spec)
    kw = dict(lag=int(spec["lag"]), exclude=excl, years=years, drop_breaks=spec["flags"] != "keep")
    p = panel_variant(panel, spec, cspec)
    if spec["estimator"] == "ppml_twfe":
        return country.ppml_frame(p, cspec, **kw)
    return country.model_frame(p, cspec, **kw)


def broad_key(spec: dict) -> tuple:
    """Specifications whose samples are selections (economies, years) of one ``broad_frame``."""
    return (SPEC_OF[spec["hypothesis"]], spec["estimator"], spec.get("prices", ""), spec["flags"], int(spec["lag"]))


def share_key(spec: dict) -> tuple:
    """What ``engine.plan`` keeps in one task: the specifications of one ``broad_frame``."""
    return broad_key(spec)


def broad_frame(panel: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """``model_frame``'s sample of the specification's model, price basis, flags and lag on every economy and
    year, not centred (for PPML: with the count as the outcome, as ``ppml_frame`` draws it)."""
    cspec = model_spec(spec)
    mspec = replace(cspec, outcome=cspec.count, count=None) if spec["estimator"] == "ppml_twfe" else cspec
    return country.model_frame(panel_variant(panel, spec, cspec), mspec, lag=int(spec["lag"]),
                               drop_breaks=spec["flags"] != "keep", centre=False).data


def restrict(broad: pd.DataFrame, panel: pd.DataFrame, spec: dict) -> country.ModelFrame:
    """The specification's sample from its ``broad_frame``: the same rows, order and values as ``sample``
    (which is called instead when fewer than two economies remain, so that the error is its own)."""
    cspec = model_spec(spec)
    excl, years = _selection(spec)
    keep = np.ones(len(broad), dtype=bool)
    if excl:
        keep &= ~broad["entity"].isin(excl).to_numpy(dtype=bool)
    if years is not None:
        keep &= ((broad["year"] >= years[0]) & (broad["year"] <= years[1])).to_numpy(dtype=bool)
    df = broad if keep.all() else broad[keep]
    if df["entity"].nunique() < 2:
        return sample(panel, spec)
    df = df.reset_index(drop=True)  # a new frame (copy on write): the centring below leaves ``broad`` alone
    if cspec.interaction:  # model_frame's centring, on the final sample
        for x in cspec.regressors[:2]:
            df[x] = df[x] - float(df[x].mean())
    if spec["estimator"] == "ppml_twfe":  # ppml_frame: economies without any count carry no information
        df = df[df.groupby("entity")[cspec.count].transform("sum") > 0].reset_index(drop=True)
    return country.ModelFrame(cspec, df, int(spec["lag"]), "")


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


def design_arrays(mf: country.ModelFrame, outcome: str, trends: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``design_matrix`` as arrays: (y, X in Fortran order, as statsmodels receives the frame, and the names of
    the constant and the regressors, X's first columns); the same values to the last bit (``tasks.dummies``'
    0/1 columns, written into one Fortran array instead of stacked and copied)."""
    d, spec = mf.data, mf.spec
    names = ["Intercept", *country.terms(spec)]
    ent_codes, ent_levels = text_codes(d["entity"])
    yr_codes, yr_levels = text_codes(d["year"])
    ne, ny, k = len(ent_levels) - 1, len(yr_levels) - 1, len(names)
    X = np.empty((len(d), k + ne + ny + (ne if trends else 0)), order="F")
    X[:, 0] = 1.0
    for j, t in enumerate(names[1:], start=1):
        a, _, b = t.partition(":")
        X[:, j] = d[a].to_numpy(dtype=float) * d[b].to_numpy(dtype=float) if b else d[a].to_numpy(dtype=float)
    entity = X[:, k:k + ne]
    np.equal(ent_codes.reshape(-1, 1), np.arange(1, ne + 1), out=entity, casting="unsafe")
    np.equal(yr_codes.reshape(-1, 1), np.arange(1, ny + 1), out=X[:, k + ne:k + ne + ny], casting="unsafe")
    if trends:
        years = d["year"].astype(float).to_numpy() - float(d["year"].mean())
        np.multiply(entity, years[:, None], out=X[:, k + ne + ny:])
    return d[outcome].to_numpy(dtype=float), X, names


def _ppml(mf: country.ModelFrame, spec: dict) -> dict:
    """h4's PPML (``country.fit_ppml``: Poisson GLM, cluster-robust by economy, t(G-1)) on the design matrix
    instead of a formula (the fractional patent counts are valid PPML outcomes): ``models.ppml_core``, which
    follows statsmodels' IRLS (estimates and SEs the GLM's to ~1e-11 relative), or the GLM itself for a design
    without full column rank."""
    y, X, names = design_arrays(mf, mf.spec.count, False)
    codes, _ = pd.factorize(mf.data[CLUSTER], sort=True)
    try:
        res = ppml_core.fit(y, X, codes)
        params, bse, nobs = res.params, res.bse, res.nobs
    except ppml_core.NotFullRank:
        params, bse, nobs = _ppml_glm(y, X, codes)
    G = int(codes.max()) + 1
    j = names.index(spec["term"])
    est, se = float(params[j]), float(bse[j])
    check_finite(est, se)
    return {**t_row(est, se, G - 1), "n_obs": int(nobs), "n_clusters": G,
            "inference": f"PPML, cluster-robust by {CLUSTER}, t({G - 1})", "seed": "", "error": ""}


def _ppml_glm(y: np.ndarray, X: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(estimates, SEs, N) of statsmodels' Poisson GLM, clustered by ``codes``: the reference of ``ppml_core``."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    res = GLM(y, X, family=families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)
    return np.asarray(res.params), np.asarray(res.bse), int(res.nobs)


def _sample(broad: dict, panel: pd.DataFrame, spec: dict) -> country.ModelFrame:
    """``sample`` through the task's last ``broad_frame`` (kept in ``broad``; specifications arrive grouped)."""
    k = broad_key(spec)
    if k not in broad:
        broad.clear()
        try:
            broad[k] = broad_frame(panel, spec)
        except ESTIMATION_ERRORS:
            broad[k] = None  # let the specification's own sample raise its own error
    return sample(panel, spec) if broad[k] is None else restrict(broad[k], panel, spec)


def estimate(task: Task) -> tuple[list[dict], dict]:
    """Fit every specification of the task: one sample, design and bootstrap per fit key (its CR1 part gives
    the cr1 row, its WCR part the wcr row); rows and the null draws of the test."""
    panel = task.data["panel"]
    rows, nulls, weights = [], {}, {}
    fits: dict[tuple, tuple] = {}
    broad: dict[tuple, pd.DataFrame] = {}
    for spec in task.specs:
        spec = {**spec, "_non_oecd": task.settings.get("non_oecd", [])}
        key, wkey = fit_key(spec), f"{spec['hypothesis']}:{CLUSTER}"
        try:
            if spec["estimator"] == "ppml_twfe":
                rows.append({"spec_id": spec["spec_id"], **_ppml(_sample(broad, panel, spec), spec)})
                continue
            if key not in fits:
                mf = _sample(broad, panel, spec)
                y, X, names = design_arrays(mf, mf.spec.outcome, spec["effects"] == "twoway_trends")
                if wkey not in weights:
                    weights[wkey] = null_weights(task.seed, wkey, task.settings["cluster_labels"][CLUSTER],
                                                 task.reps)
                codes, V = weights_for(weights[wkey], mf.data[CLUSTER])
                j = names.index(spec["term"])
                part = inference.partial_out(y, np.ascontiguousarray(X[:, j]), np.delete(X, j, axis=1))
                fits = {key: inference.wild_bootstrap_draws(y, None, codes, spec["term"], V, partialled=part)}
            wb, b_star, t_star = fits[key]
            check_finite(wb.estimate, wb.std_error)
        except ESTIMATION_ERRORS as exc:
            rows.append(failed(spec, exc))
            continue
        rows.append(ols_rows(spec, wb, CLUSTER, "country", weights_seed(task, wkey)))
        if task.test and spec["inference"] == "cr1":
            nulls[spec["spec_id"]] = (b_star, t_sf2(t_star, wb.n_clusters - 1))
    return rows, nulls
