"""Country-level tests of absorptive capacity (registry family ``country``: C1a-C1c, C2a-C2b, C3a).

The panel is built from processed OECD MSTI (and Penn World Table 10.01 for TFP): one row per economy and
year, every variable next to its MSTI status flags, so that each model knows whether an observation it uses
sits on a series break (``B``). Models are two-way fixed-effects OLS (country and year dummies) with CR1
standard errors clustered by country and t(G-1) inference (``models.inference.cluster_ols``). Robustness rows:
breaks dropped, regressors one year further lagged (C3: contemporaneous instead of lagged), China excluded,
wild-cluster restricted bootstrap p-values (``models.inference.wild_cluster_bootstrap``), and for the patent
counts a Poisson pseudo-maximum-likelihood (PPML) variant with the same fixed effects.

Gaps are gaps: an economy-year enters a model only if every variable of that model is published for it. Lags
use the exact previous calendar year, never the previous available observation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.genmod.api as sm  # GLM families only (sm.families.Poisson), not all of statsmodels.api
from scipy import stats

from .. import labels, registry
from ..errors import DataFileError, ParameterError
from . import inference, results

FAMILY = "country"
# panel column -> MSTI series (MEASURE.UNIT.PRICE.TRANSFORMATION)
MSTI_SERIES: dict[str, str] = {
    "triadic": "P_TRIAD.PATN._Z._Z",
    "pct": "P_PCT.PATN._Z._Z",
    "berd": "B.USD_PPP.Q._Z",
    "herd": "H.USD_PPP.Q._Z",
    "berd_gdp": "B.PT_B1GQ._Z._Z",
    "herd_gdp": "H.PT_B1GQ._Z._Z",
    "herd_fb": "H_FB.PT_HERD._Z._Z",
    "bres": "B_RS.FTE._Z._Z",
    "emp": "TOT_EMP.PS._Z._Z",
}
# derived column -> the panel columns whose flags it inherits
DERIVED_FROM: dict[str, list[str]] = {
    "log_triadic": ["triadic"], "log_pct": ["pct"], "log_berd": ["berd"], "log_herd": ["herd"],
    "bres_per_1000emp": ["bres", "emp"], "tfp_growth": [],
}
# Valid parameter values known without reading data (the runner validates before starting a kernel).
MSTI_YEARS = (1981, 2024)
COUNTRIES = sorted(set(labels.AREAS) - labels.AGGREGATES)
LAGS = (0, 1, 2, 3)
DEFAULT_REPS = 999
DEFAULT_SEED = 20261129


@dataclass(frozen=True)
class Spec:
    """One registered model: outcome, regressors (interaction formed from the first two if asked)."""

    name: str
    outcome: str
    regressors: tuple[str, ...]
    carries: dict[str, str]  # hypothesis id -> term
    interaction: bool
    fixed_lag: int | None = None  # C3 is registered with one-year lags of its regressors
    count: str | None = None  # level outcome for the PPML variant
    label_en: str = ""
    label_ja: str = ""


SPECS: tuple[Spec, ...] = (
    Spec("C1 triadic", "log_triadic", ("log_berd", "log_herd"), {"C1a": "log_berd:log_herd", "C1c": "log_herd"},
         True, count="triadic", label_en="log triadic patent families", label_ja="三極パテントファミリー数（対数）"),
    Spec("C1 PCT", "log_pct", ("log_berd", "log_herd"), {"C1b": "log_berd:log_herd"}, True, count="pct",
         label_en="log PCT applications", label_ja="PCT出願数（対数）"),
    Spec("C2 HERD financed by business", "herd_fb", ("berd_gdp", "bres_per_1000emp"),
         {"C2a": "berd_gdp", "C2b": "bres_per_1000emp"}, False,
         label_en="HERD financed by business (% of HERD)", label_ja="大学研究費の企業負担割合（％）"),
    Spec("C3 TFP growth", "tfp_growth", ("berd_gdp", "herd_gdp"), {"C3a": "berd_gdp:herd_gdp"}, True, fixed_lag=1,
         label_en="TFP growth (% per year, PWT rtfpna)", label_ja="TFP成長率（％、PWT）"),
)


# ---- parameters ---------------------------------------------------------------------------------------------
# [] is the automatic choice (the project's rule for empty lists, figures.common.EMPTY_RULE): every year with
# data, every economy, nothing excluded; None is accepted as the older spelling of the same choice.
DEFAULTS: dict[str, Any] = {"years": [], "countries": [], "exclude": [], "drop_breaks": False, "lags": 0,
                            "lang": "ja", "bootstrap_reps": DEFAULT_REPS, "output_dir": ""}


def validate_params(params: dict) -> None:
    """Reject bad notebook parameters before any data is read; raises ``ParameterError`` naming the choices.

    ``years``: [] (every year with data) or [first, last] within 1981-2024 (MSTI); ``countries``: [] (every
    economy, aggregates OECD and EU27_2020 left out) or a list of ISO3 codes; ``exclude``: ISO3 codes to leave out
    ([] = none); ``drop_breaks``: bool; ``lags``: 0-3 (years by which C1/C2 regressors are lagged; C3 is registered
    with a one-year lag); ``lang``: ja/en; ``bootstrap_reps``: integer >= 99. Empty lists follow the project's
    rule (``figures.common.EMPTY_RULE``: [] is the automatic choice); None is the same as [] for years and
    countries.
    """
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ParameterError("params", unknown, "unknown parameter(s)", sorted(DEFAULTS))
    p = {**DEFAULTS, **params}
    years = p["years"]
    if years is not None and not (isinstance(years, (list, tuple)) and len(years) == 0):
        if (not isinstance(years, (list, tuple)) or len(years) != 2
                or not all(isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in years)):
            raise ParameterError("years", years, "give [first, last] as two integers, or [] for every year with data")
        lo, hi = int(years[0]), int(years[1])
        if lo > hi:
            raise ParameterError("years", years, "first year is after the last year")
        if hi < MSTI_YEARS[0] or lo > MSTI_YEARS[1]:
            raise ParameterError("years", years, f"no data: OECD MSTI covers {MSTI_YEARS[0]}-{MSTI_YEARS[1]}")
    for name in ("countries", "exclude"):
        val = p[name]
        if val is None and name == "countries":
            continue
        if isinstance(val, str) or not isinstance(val, (list, tuple)):
            raise ParameterError(name, val, "give a list of ISO3 codes ([] = every economy)" if name == "countries"
                                 else "give a list of ISO3 codes ([] = none)", COUNTRIES)
        bad = [c for c in val if c not in COUNTRIES]
        if bad:
            raise ParameterError(name, bad, "unknown economy (aggregates OECD and EU27_2020 are not allowed)",
                                 COUNTRIES)
    chosen = set(p["countries"] or COUNTRIES) - set(p["exclude"])
    if len(chosen) < 2:
        raise ParameterError("countries", p["countries"], "fewer than 2 economies left after exclude "
                             "(country fixed effects and clustering need several)", COUNTRIES)
    if not isinstance(p["drop_breaks"], bool):
        raise ParameterError("drop_breaks", p["drop_breaks"], "must be True or False", [True, False])
    if p["lags"] not in LAGS or isinstance(p["lags"], bool):
        raise ParameterError("lags", p["lags"], "lag of the C1/C2 regressors in years", LAGS)
    labels.check_lang(p["lang"])
    reps = p["bootstrap_reps"]
    if not isinstance(reps, (int, np.integer)) or isinstance(reps, bool) or reps < 99:
        raise ParameterError("bootstrap_reps", reps, "must be an integer >= 99")
    if not isinstance(p["output_dir"], str):
        raise ParameterError("output_dir", p["output_dir"], "must be a path string ('' for the default)")


# ---- panel --------------------------------------------------------------------------------------------------
def _wide(tidy_df: pd.DataFrame, series: dict[str, str], what: str) -> pd.DataFrame:
    sub = tidy_df[tidy_df["indicator"].isin(series.values()) & (tidy_df["entity_type"] == "country")]
    rename = {v: k for k, v in series.items()}
    w = sub.pivot(index=["entity", "year"], columns="indicator", values=what).rename(columns=rename)
    return w


def build_panel(msti: pd.DataFrame, pwt: pd.DataFrame | None = None) -> pd.DataFrame:
    """Country-year panel: MSTI variables (with ``<var>_flags``), derived variables, and PWT TFP growth.

    ``msti`` and ``pwt`` are the processed tidy frames (``data.load("oecd_msti")``, ``data.load("pwt")``).
    Derived: ``log_*`` of the counts and constant-price expenditures (non-positive values give a gap),
    ``bres_per_1000emp`` = B_RS.FTE / TOT_EMP.PS x 1000 (both in persons after UNIT_MULT), and
    ``tfp_growth`` = 100 x (ln rtfpna_t - ln rtfpna_{t-1}) from PWT (consecutive years only; ends 2019).
    Aggregates (OECD, EU27_2020) are left out.
    """
    missing = [s for s in MSTI_SERIES.values() if not (msti["indicator"] == s).any()]
    if missing:
        raise DataFileError("<processed oecd_msti>", f"series {missing[0]} missing", column="indicator",
                            hint="rebuild with `analysis data`")
    vals = _wide(msti, MSTI_SERIES, "value")
    flags = _wide(msti, MSTI_SERIES, "flags").astype("string")
    flags.columns = [f"{c}_flags" for c in flags.columns]
    panel = vals.join(flags).reset_index()
    panel["year"] = panel["year"].astype("int64")
    for c in MSTI_SERIES:
        panel[f"{c}_flags"] = panel[f"{c}_flags"].fillna("")
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in ("triadic", "pct", "berd", "herd"):
            v = panel[c].astype(float)
            panel[f"log_{c}"] = np.where(v > 0, np.log(v.where(v > 0)), np.nan)
        panel["bres_per_1000emp"] = panel["bres"] / panel["emp"] * 1000.0
    for d, srcs in DERIVED_FROM.items():
        if srcs:
            panel[f"{d}_flags"] = _concat(panel, [f"{s}_flags" for s in srcs])
    panel["tfp"] = np.nan
    panel["tfp_growth"] = np.nan
    if pwt is not None:
        tfp = pwt[pwt["indicator"] == "rtfpna"][["entity", "year", "value"]].rename(columns={"value": "tfp"})
        tfp = tfp.assign(year=tfp["year"].astype("int64"))
        prev = tfp.assign(year=tfp["year"] + 1).rename(columns={"tfp": "tfp_prev"})
        tfp = tfp.merge(prev, on=["entity", "year"], how="left")
        tfp["tfp_growth"] = 100.0 * (np.log(tfp["tfp"]) - np.log(tfp["tfp_prev"]))
        panel = panel.drop(columns=["tfp", "tfp_growth"]).merge(
            tfp[["entity", "year", "tfp", "tfp_growth"]], on=["entity", "year"], how="left")
    panel["tfp_growth_flags"] = ""
    panel["tfp_flags"] = ""
    panel["entity"] = panel["entity"].astype(str)
    return panel.sort_values(["entity", "year"], kind="mergesort").reset_index(drop=True)


def _concat(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Row-wise concatenation of flag columns (vectorised; '' for missing)."""
    out = pd.Series("", index=df.index, dtype="string")
    for c in cols:
        out = out + df[c].astype("string").fillna("")
    return out


def _lagged(panel: pd.DataFrame, cols: list[str], k: int) -> pd.DataFrame:
    """``cols`` (and their flags) taken from year t-k of the same economy; exact years only."""
    if k == 0:
        return panel[["entity", "year", *cols, *[f"{c}_flags" for c in cols]]]
    src = panel[["entity", "year", *cols, *[f"{c}_flags" for c in cols]]].copy()
    src["year"] = src["year"] + k
    return panel[["entity", "year"]].merge(src, on=["entity", "year"], how="left")


@dataclass
class ModelFrame:
    """The estimation sample of one model and how it was drawn."""

    spec: Spec
    data: pd.DataFrame  # entity, year, outcome, regressors (centred), count level, has_break
    lag: int
    sample: str
    means: dict[str, float] = field(default_factory=dict)
    n_breaks: int = 0


def model_frame(panel: pd.DataFrame, spec: Spec, *, lag: int = 0, countries: list[str] | None = None,
                exclude: list[str] | None = None, years: tuple[int, int] | list[int] | None = None,
                drop_breaks: bool = False, centre: bool = True) -> ModelFrame:
    """Estimation sample of ``spec``: complete cases, ``has_break`` from the flags of the values used.

    ``lag`` is the lag of the regressors in years (``spec.fixed_lag`` if the model registers one and ``lag`` is
    None). Regressors entering an interaction are centred on their sample means (after all drops), so main
    effects are effects at the mean of the other variable; the interaction coefficient is unaffected.
    """
    y = spec.outcome
    xs = list(spec.regressors)
    base = panel[["entity", "year", y, f"{y}_flags"] + ([spec.count] if spec.count else [])]
    lagged = _lagged(panel, xs, lag).drop(columns=["entity", "year"])
    df = pd.concat([base.reset_index(drop=True), lagged.reset_index(drop=True)], axis=1)
    if countries:
        df = df[df["entity"].isin(countries)]
    if exclude:
        df = df[~df["entity"].isin(exclude)]
    if years is not None:
        df = df[(df["year"] >= years[0]) & (df["year"] <= years[1])]
    df = df.dropna(subset=[y, *xs])
    flag_cols = [f"{y}_flags", *[f"{x}_flags" for x in xs]]
    df = df.assign(has_break=_concat(df, flag_cols).str.contains("B", regex=False).astype(bool))
    n_breaks = int(df["has_break"].sum())
    if drop_breaks:
        df = df[~df["has_break"]]
    if df["entity"].nunique() < 2:
        raise ParameterError("countries", countries, f"model {spec.name!r} has data for fewer than 2 economies "
                             f"in this selection (years {years}, lag {lag})", COUNTRIES)
    means = {}
    if centre and spec.interaction:
        for x in xs[:2]:
            means[x] = float(df[x].mean())
            df[x] = df[x] - means[x]
    yrs = f"{int(df['year'].min())}-{int(df['year'].max())}"
    what = "breaks dropped" if drop_breaks else "all observations"
    sample = (f"{df['entity'].nunique()} economies, {yrs}, lag {lag}, {what}"
              + (f", without {', '.join(exclude)}" if exclude else ""))
    keep = ["entity", "year", y, *xs, "has_break"] + ([spec.count] if spec.count else [])
    return ModelFrame(spec, df[keep].reset_index(drop=True), lag, sample, means, n_breaks)


def formula(spec: Spec) -> str:
    """Two-way fixed-effects formula of ``spec`` (patsy)."""
    rhs = " * ".join(spec.regressors[:2]) if spec.interaction else " + ".join(spec.regressors[:2])
    rhs += "".join(f" + {x}" for x in spec.regressors[2:])
    return f"{spec.outcome} ~ {rhs} + C(entity) + C(year)"


def terms(spec: Spec) -> list[str]:
    """Non-FE coefficients of ``spec`` in formula order."""
    out = list(spec.regressors)
    if spec.interaction:
        out.append(f"{spec.regressors[0]}:{spec.regressors[1]}")
    return out


# ---- estimation ---------------------------------------------------------------------------------------------
def fit_ols(mf: ModelFrame) -> inference.ClusterFit:
    """Two-way FE OLS with CR1 SE clustered by economy, t(G-1)."""
    return inference.cluster_ols(formula(mf.spec), mf.data, "entity")


def ppml_frame(panel: pd.DataFrame, spec: Spec, **kwargs) -> ModelFrame:
    """Estimation sample for the PPML variant: the count in levels, so zero counts stay in (OLS on logs drops
    them). Economies whose count is zero in every year carry no information under country effects and are
    dropped."""
    if spec.count is None:
        raise ParameterError("spec", spec.name, "has no count outcome for PPML", [s.name for s in SPECS if s.count])
    mf = model_frame(panel, replace(spec, outcome=spec.count, count=None), **kwargs)
    d = mf.data
    d = d[d.groupby("entity")[spec.count].transform("sum") > 0].reset_index(drop=True)
    return ModelFrame(spec, d, mf.lag, mf.sample, mf.means, mf.n_breaks)


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


@dataclass
class CountryResults:
    """Everything a notebook shows: the results table, the fits, the samples and Japan's path."""

    table: pd.DataFrame
    frames: dict[str, ModelFrame]
    fits: dict[str, inference.ClusterFit]
    japan: pd.DataFrame
    params: dict


def _hyp_of(spec: Spec, term: str) -> str:
    for hid, t in spec.carries.items():
        if t == term:
            return hid
    return next(iter(spec.carries))


def _rows(spec: Spec, model: str, estimator: str, sample: str, rowdicts: dict[str, dict], role_main: bool,
          only_carrying: bool = False) -> list[dict]:
    rows = []
    carrying = set(spec.carries.values())
    for t in terms(spec):
        if only_carrying and t not in carrying:
            continue
        r = dict(rowdicts[t])
        r.update(hypothesis=_hyp_of(spec, t), model=model, estimator=estimator, sample=sample,
                 role=("hypothesis" if t in carrying else "control") if role_main else "robustness")
        rows.append(r)
    return rows


def estimate(msti: pd.DataFrame, pwt: pd.DataFrame, params: dict | None = None) -> CountryResults:
    """Estimate every country model, its robustness rows and Japan's fitted path; verdicts from the registry."""
    params = {**DEFAULTS, **(params or {})}
    validate_params(params)
    panel = build_panel(msti, pwt)
    sel = dict(countries=params["countries"], exclude=list(params["exclude"]),
               years=tuple(params["years"]) if params["years"] else None)
    if sel["years"] is not None:
        in_range = panel[(panel["year"] >= sel["years"][0]) & (panel["year"] <= sel["years"][1])]
        if in_range[[s.outcome for s in SPECS]].notna().sum().sum() == 0:
            raise ParameterError("years", params["years"], "no outcome data in this range",
                                 [f"{int(panel['year'].min())}-{int(panel['year'].max())}"])
    rows: list[dict] = []
    frames: dict[str, ModelFrame] = {}
    fits: dict[str, inference.ClusterFit] = {}
    japan = []
    for spec in SPECS:
        lag = spec.fixed_lag if spec.fixed_lag is not None else params["lags"]
        mf = model_frame(panel, spec, lag=lag, drop_breaks=params["drop_breaks"], **sel)
        fit = fit_ols(mf)
        frames[spec.name], fits[spec.name] = mf, fit
        rd = {t: fit.row(t) for t in terms(spec)}
        rows += _rows(spec, f"{spec.name}: OLS", "ols_twfe", mf.sample, rd, True)
        # robustness 1: breaks dropped (if the main sample keeps them)
        if not params["drop_breaks"]:
            m2 = model_frame(panel, spec, lag=lag, drop_breaks=True, **sel)
            f2 = fit_ols(m2)
            rows += _rows(spec, f"{spec.name}: no breaks", "ols_twfe", m2.sample, {t: f2.row(t) for t in terms(spec)},
                          False, only_carrying=True)
        # robustness 2: C1/C2 regressors one year further lagged; C3 contemporaneous instead of lagged
        lag2 = 0 if spec.fixed_lag else lag + 1
        m3 = model_frame(panel, spec, lag=lag2, drop_breaks=params["drop_breaks"], **sel)
        f3 = fit_ols(m3)
        rows += _rows(spec, f"{spec.name}: lag {lag2}", "ols_twfe", m3.sample, {t: f3.row(t) for t in terms(spec)},
                      False, only_carrying=True)
        # robustness 3: without China (fast growth and a 2009 break in its researcher series)
        if "CHN" in set(mf.data["entity"]):
            sel4 = {**sel, "exclude": sorted(set(sel["exclude"]) | {"CHN"})}
            m4 = model_frame(panel, spec, lag=lag, drop_breaks=params["drop_breaks"], **sel4)
            f4 = fit_ols(m4)
            rows += _rows(spec, f"{spec.name}: no CHN", "ols_twfe", m4.sample, {t: f4.row(t) for t in terms(spec)},
                          False, only_carrying=True)
        # robustness 4: wild-cluster restricted bootstrap p-value and interval for the carrying terms
        wrows = {}
        for t in dict.fromkeys(spec.carries.values()):
            wb = inference.wild_cluster_bootstrap(formula(spec), mf.data, "entity", t,
                                                  reps=int(params["bootstrap_reps"]), seed=DEFAULT_SEED,
                                                  weights="webb")
            wrows[t] = {"term": t, "estimate": wb.estimate, "std_error": wb.std_error, "ci_low": wb.ci[0],
                        "ci_high": wb.ci[1], "p_value": wb.p_value, "n_obs": wb.n_obs, "n_clusters": wb.n_clusters,
                        "inference": wb.inference}
        rows += _rows(spec, f"{spec.name}: WCR bootstrap", "ols_twfe", mf.sample, wrows, False, only_carrying=True)
        # robustness 5: PPML on the patent count
        if spec.count:
            mp = ppml_frame(panel, spec, lag=lag, drop_breaks=params["drop_breaks"], **sel)
            rows += _rows(spec, f"{spec.name}: PPML", "ppml_twfe", mp.sample, fit_ppml(mp), False)
        # Japan: actual and fitted outcome in the main model
        res = fit.result
        d = mf.data.loc[res.model.data.row_labels] if res.model.data.row_labels is not None else mf.data
        jp = d["entity"] == "JPN"
        if jp.any():
            japan.append(pd.DataFrame({"model": spec.name, "outcome": spec.outcome, "year": d.loc[jp, "year"],
                                       "actual": d.loc[jp, spec.outcome], "fitted": res.fittedvalues[jp[jp].index],
                                       "has_break": d.loc[jp, "has_break"]}))
    from . import country_doctorates  # registered robustness row C1-PHD (doctorates per million)
    rows += country_doctorates.rows(msti, params, sel)
    table = results.add_verdicts(results.frame(rows), {h.id: h for h in registry.load(families=FAMILY)})
    jp_df = (pd.concat(japan, ignore_index=True) if japan else
             pd.DataFrame(columns=["model", "outcome", "year", "actual", "fitted", "has_break"]))
    jp_df["residual"] = jp_df["actual"] - jp_df["fitted"]
    return CountryResults(table, frames, fits, jp_df.reset_index(drop=True), params)


def robustness_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """For each hypothesis, what the registered rule would say on every robustness row (not a verdict)."""
    hyps = {h.id: h for h in registry.load(families=FAMILY)}
    out = []
    for _, r in table[table["term"].isin({t for s in SPECS for t in s.carries.values()})].iterrows():
        spec = next(s for s in SPECS if r["model"].startswith(s.name))
        if spec.carries.get(r["hypothesis"]) != r["term"]:
            continue
        h = hyps[r["hypothesis"]]
        out.append({"hypothesis": r["hypothesis"], "model": r["model"], "term": r["term"], "estimate": r["estimate"],
                    "p_value": r["p_value"], "n_obs": r["n_obs"], "n_clusters": r["n_clusters"],
                    "rule": registry.verdict(float(r["estimate"]), float(r["p_value"]), h.expected_sign, h.alpha)})
    return pd.DataFrame(out)


def registry_table(lang: str = "en") -> pd.DataFrame:
    """The registered country hypotheses, as printed before any estimate."""
    labels.check_lang(lang)
    hyps = registry.load(families=FAMILY)
    return pd.DataFrame([{"id": h.id, "statement": h.statement, "outcome": h.outcome,
                          "coefficient": ", ".join(h.coefficients), "expected_sign": h.expected_sign,
                          "alpha": h.alpha, "headline": h.headline} for h in hyps])
