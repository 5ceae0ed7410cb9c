"""Country-level tests of absorptive capacity (registry family ``country``: C1a-C1c, C2a-C2b, C3a).

The panel is built from processed OECD MSTI (and Penn World Table 10.01 for TFP): one row per economy and
year, every variable next to its MSTI status flags, so that each model knows whether an observation it uses
sits on a series break (``B``). Models are two-way fixed-effects OLS (country and year dummies) with CR1
standard errors clustered by country and t(G-1) inference (``models.inference.cluster_ols``'s fit, on the
formula's design built by ``country_fits.design``). Robustness rows:
breaks dropped, regressors one year further lagged (C3: contemporaneous instead of lagged), China excluded,
wild-cluster restricted bootstrap p-values (``models.inference.wild_cluster_bootstrap``), and for the patent
counts a Poisson pseudo-maximum-likelihood (PPML) variant with the same fixed effects.

Gaps are gaps: an economy-year enters a model only if every variable of that model is published for it. Lags
use the exact previous calendar year, never the previous available observation.

The registered models and the parameters are in :mod:`analysis.models.country_specs`, the panel and the
estimation samples in :mod:`analysis.models.country_panel`, the OLS and PPML fits in
:mod:`analysis.models.country_fits` (all importable from here); this module runs every model with its
robustness rows and assembles the results. Each model's complete cases at a lag are drawn once
(``country_panel.Samples``) and every sample of a run is a selection from them; the main model's design serves
its OLS fit and its bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import labels, registry
from ..errors import ParameterError
from . import country_doctorates, inference, results
from .country_fits import design, fit_ols, fit_ppml, ols_rows
from .country_panel import (DERIVED_FROM, MSTI_SERIES, ModelFrame, Samples, build_panel,  # noqa: F401
                            model_frame, ppml_frame)
from .country_specs import (COUNTRIES, DEFAULT_REPS, DEFAULT_SEED, DEFAULTS, FAMILY, LAGS,  # noqa: F401
                            MSTI_YEARS, SPECS, Spec, formula, terms, validate_params)


# ---- results ------------------------------------------------------------------------------------------------
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
    samples = Samples(panel)  # each model's complete cases at a lag drawn once, then selected

    def ols(mf: ModelFrame, wanted: list[str]) -> dict[str, dict]:
        return ols_rows(fit_ols(mf), wanted)

    for spec in SPECS:
        lag = spec.fixed_lag if spec.fixed_lag is not None else params["lags"]
        carrying = list(dict.fromkeys(t for t in terms(spec) if t in set(spec.carries.values())))
        mf = samples.model_frame(spec, lag=lag, drop_breaks=params["drop_breaks"], **sel)
        dm = design(mf)
        fit = fit_ols(mf, dm)
        frames[spec.name], fits[spec.name] = mf, fit
        rows += _rows(spec, f"{spec.name}: OLS", "ols_twfe", mf.sample, ols_rows(fit, terms(spec)), True)
        # robustness 1: breaks dropped (if the main sample keeps them)
        if not params["drop_breaks"]:
            m2 = samples.model_frame(spec, lag=lag, drop_breaks=True, **sel)
            rows += _rows(spec, f"{spec.name}: no breaks", "ols_twfe", m2.sample, ols(m2, carrying), False,
                          only_carrying=True)
        # robustness 2: C1/C2 regressors one year further lagged; C3 contemporaneous instead of lagged
        lag2 = 0 if spec.fixed_lag else lag + 1
        m3 = samples.model_frame(spec, lag=lag2, drop_breaks=params["drop_breaks"], **sel)
        rows += _rows(spec, f"{spec.name}: lag {lag2}", "ols_twfe", m3.sample, ols(m3, carrying), False,
                      only_carrying=True)
        # robustness 3: without China (fast growth and a 2009 break in its researcher series)
        if "CHN" in set(mf.data["entity"]):
            sel4 = {**sel, "exclude": sorted(set(sel["exclude"]) | {"CHN"})}
            m4 = samples.model_frame(spec, lag=lag, drop_breaks=params["drop_breaks"], **sel4)
            rows += _rows(spec, f"{spec.name}: no CHN", "ols_twfe", m4.sample, ols(m4, carrying), False,
                          only_carrying=True)
        # robustness 4: wild-cluster restricted bootstrap p-value and interval for the carrying terms, on the
        # main model's design (the formula's, see country_fits.design)
        wrows = {}
        for t in dict.fromkeys(spec.carries.values()):
            wb = inference.wild_cluster_bootstrap(dm, mf.data, "entity", t, reps=int(params["bootstrap_reps"]),
                                                  seed=DEFAULT_SEED, weights="webb")
            wrows[t] = {"term": t, "estimate": wb.estimate, "std_error": wb.std_error, "ci_low": wb.ci[0],
                        "ci_high": wb.ci[1], "p_value": wb.p_value, "n_obs": wb.n_obs, "n_clusters": wb.n_clusters,
                        "inference": wb.inference}
        rows += _rows(spec, f"{spec.name}: WCR bootstrap", "ols_twfe", mf.sample, wrows, False, only_carrying=True)
        # robustness 5: PPML on the patent count
        if spec.count:
            mp = samples.ppml_frame(spec, lag=lag, drop_breaks=params["drop_breaks"], **sel)
            rows += _rows(spec, f"{spec.name}: PPML", "ppml_twfe", mp.sample, fit_ppml(mp), False)
        # Japan: actual and fitted outcome in the main model (the design keeps every row of the sample)
        d = mf.data
        jp = d["entity"] == "JPN"
        if jp.any():
            japan.append(pd.DataFrame({"model": spec.name, "outcome": spec.outcome, "year": d.loc[jp, "year"],
                                       "actual": d.loc[jp, spec.outcome],
                                       "fitted": fit.result.fittedvalues[jp[jp].index],
                                       "has_break": d.loc[jp, "has_break"]}))
    # registered robustness row C1-PHD (doctorates per million)
    rows += country_doctorates.rows(msti, params, sel, panel=panel)
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
