"""Registered robustness row C1-PHD (``hypotheses/country.toml``, ``[[robustness]]``): doctorates per million
population as the absorptive-capacity measure in the C1 patent models.

The deck's slide pairs 知の吸収能力 with 博士人材. C1a/C1b measure a country's absorptive capacity by business R&D;
this row replaces log BERD by log doctorates awarded per million population (NISTEP 科学技術指標2025 表3-4-4 counts
÷ OECD MSTI ``TOT_POP.PS``, computed; Japan's fiscal-year counts over calendar-year population) and estimates
log patents on centred log doctorates per million × centred log HERD with country and year effects, CR1 by
country and t(G-1), plus the wild-cluster restricted bootstrap (Webb weights) as for the registered rows.

Only the seven economies of 表3-4-4 have counts, so G is at most 7: far below the registry's min_clusters. The rows
are robustness rows (role ``robustness``, no verdict); ``rule_outcomes`` says what the registered rule of C1a/C1b
would give on them. An economy-year without a count, HERD or the outcome is left out (no gap is filled).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import data, inputs, registry
from ..errors import DataFileError
from . import inference
from .country_fits import design, fit_ols, ols_rows
from .country_panel import build_panel, model_frame
from .country_specs import DEFAULT_SEED, FAMILY, SPECS, Spec

ROBUSTNESS_ID = "C1-PHD"
DATASET = "t46_extracts_phd_shidairen"
PHD = "phd_degrees_awarded"
POP = "TOT_POP.PS._Z._Z"
TERM = "log_phd_pm:log_herd"


def registered() -> dict:
    """The C1-PHD entry of the country registry (read through ``inputs.package``, like the hypotheses)."""
    path = inputs.package("hypotheses/country.toml")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    entry = next((r for r in doc.get("robustness", []) if r.get("id") == ROBUSTNESS_ID), None)
    if entry is None:
        raise DataFileError(path, f"robustness row {ROBUSTNESS_ID!r} is not registered", column="id")
    return entry


def add_doctorates(panel: pd.DataFrame, msti: pd.DataFrame, t46: pd.DataFrame) -> pd.DataFrame:
    """``panel`` with ``phd_pm`` (doctorates per million, computed), ``log_phd_pm`` and their flags (population's)."""
    counts = t46[t46["indicator"] == PHD][["entity", "year", "value"]].rename(columns={"value": "phd"})
    pop = msti[(msti["indicator"] == POP) & (msti["entity_type"] == "country")][["entity", "year", "value", "flags"]]
    pop = pop.rename(columns={"value": "pop", "flags": "pop_flags"})
    d = counts.merge(pop, on=["entity", "year"], how="inner").assign(year=lambda x: x["year"].astype("int64"))
    d["phd_pm"] = d["phd"] / d["pop"] * 1e6
    d["log_phd_pm"] = np.log(d["phd_pm"].where(d["phd_pm"] > 0))
    d["phd_pm_flags"] = d["log_phd_pm_flags"] = d["pop_flags"].astype("string").fillna("")
    out = panel.merge(d[["entity", "year", "phd_pm", "log_phd_pm", "phd_pm_flags", "log_phd_pm_flags"]],
                      on=["entity", "year"], how="left")
    for c in ("phd_pm_flags", "log_phd_pm_flags"):
        out[c] = out[c].astype("string").fillna("")
    return out


def specs() -> list[Spec]:
    """The C1 specs with log doctorates per million in place of log BERD (names say so)."""
    out = []
    for s in SPECS:
        if s.name.startswith("C1") and s.interaction and s.regressors[:2] == ("log_berd", "log_herd"):
            hyp = next(h for h, t in s.carries.items() if t == "log_berd:log_herd")
            out.append(replace(s, name=f"{s.name} ({ROBUSTNESS_ID}, doctorates per million)",
                               regressors=("log_phd_pm", "log_herd"), carries={hyp: TERM}, count=None))
    return out


def rows(msti: pd.DataFrame, params: dict, sel: dict, t46: pd.DataFrame | None = None,
         panel: pd.DataFrame | None = None) -> list[dict]:
    """Robustness rows (OLS and WCR bootstrap) of C1-PHD for the current selection; [] if < 2 economies remain.

    ``panel``: ``build_panel(msti, ...)`` if the caller has it (with or without PWT: the C1 variables are the
    same), so that it is not built twice."""
    entry = registered()
    if entry["coefficient"] != TERM:
        raise DataFileError(inputs.package("hypotheses/country.toml"), f"{ROBUSTNESS_ID}: registered coefficient "
                            f"{entry['coefficient']!r}, but this module estimates {TERM!r}", column="coefficient")
    t46 = data.load(DATASET) if t46 is None else t46
    panel = add_doctorates(build_panel(msti, None) if panel is None else panel, msti, t46)
    have = set(panel.loc[panel["log_phd_pm"].notna(), "entity"])
    chosen = (set(sel["countries"]) if sel["countries"] else have) - set(sel["exclude"])
    if len(have & chosen) < 2:
        return []
    out: list[dict] = []
    for spec in specs():
        mf = model_frame(panel, spec, lag=params["lags"], drop_breaks=params["drop_breaks"], **sel)
        dm = design(mf)  # the formula's design (country_fits.design), for the OLS fit and the bootstrap
        hyp = next(iter(spec.carries))
        base = {"hypothesis": hyp, "estimator": "ols_twfe", "sample": mf.sample, "role": "robustness"}
        out.append({**ols_rows(fit_ols(mf, dm), [TERM])[TERM], **base, "model": f"{spec.name}: OLS"})
        wb = inference.wild_cluster_bootstrap(dm, mf.data, "entity", TERM,
                                              reps=int(params["bootstrap_reps"]), seed=DEFAULT_SEED,
                                              weights="webb")
        out.append({"term": TERM, "estimate": wb.estimate, "std_error": wb.std_error, "ci_low": wb.ci[0],
                    "ci_high": wb.ci[1], "p_value": wb.p_value, "n_obs": wb.n_obs, "n_clusters": wb.n_clusters,
                    "inference": wb.inference, **base, "model": f"{spec.name}: WCR bootstrap"})
    return out


def rule_outcomes(table: pd.DataFrame) -> pd.DataFrame:
    """What the registered rule of C1a/C1b would say on each C1-PHD row (not a verdict)."""
    hyps = {h.id: h for h in registry.load(families=FAMILY)}
    sub = table[(table["term"] == TERM) & (table["role"] == "robustness")]
    return pd.DataFrame([{"hypothesis": r.hypothesis, "model": r.model, "estimate": r.estimate,
                          "p_value": r.p_value, "n_obs": r.n_obs, "n_clusters": r.n_clusters,
                          "rule": registry.verdict(float(r.estimate), float(r.p_value),
                                                   hyps[r.hypothesis].expected_sign, hyps[r.hypothesis].alpha)}
                         for r in sub.itertuples()])
