"""Industry level: the "two faces of R&D" (Griffith, Redding & Van Reenen 2004) on the EHS (2013) panel.

Registered as I1 / I1b / I1c in ``analysis/hypotheses/industry.toml``. The model, for country-sector i in
sector j and year t, with country-sector effects eta_i and year effects tau_t:

    dtfp_it = rho·rdint_i,t-1 + mu·dist_i,t-1 + gamma·rdint_i,t-1·dist_i,t-1 + delta·dtfp_frontier_jt
              + eta_i + tau_t + e_it

gamma > 0 is absorptive capacity (I1): own R&D helps more the further behind the frontier. mu > 0 is catch-up
(I1b), rho > 0 the innovation face at the frontier (I1c). Every constructed variable is built in
``build_variables`` from the four logs of the panel; nothing is imputed — a country-sector-year without the
previous year's data simply has no growth rate and leaves the sample.

Deviations from GRVR, stated wherever results are shown: TFP from fixed elasticities (cost shares are not in
the data), gross output instead of value added, and R&D intensity as log(R&D capital / output) instead of
R&D expenditure / value added (the panel has R&D capital only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import registry
from ..errors import ParameterError
from ..sources import ehs
from . import results
from .inference import ClusterFit, cluster_ols, wild_cluster_bootstrap

PANEL = ehs.PANEL_NAME
COUNTRIES = list(ehs.COUNTRIES)
LATE_ENTRANTS = ["GER", "SWE", "PRT"]  # enter in 1991, 1993, 1995 (SOURCE.md)
YEARS = (1980, 2005)
# Elasticity conventions. "estimated" = two-way FE estimates of lny ~ lnl + lnk on the sample (see below).
ELASTICITIES: dict[str, tuple[float, float] | None] = {
    "convention_70_30": (0.7, 0.3),
    "convention_60_40": (0.6, 0.4),
    "estimated": None,
}
HEADLINE_ELASTICITIES = "convention_70_30"
INTENSITIES = {
    "rdk_output": "log(R&D capital / output)",
    "drdk": "100 x Delta log R&D capital",
}
CLUSTERS = {"id": "country-sector", "country": "country"}
ESTIMATORS = {"ols_twfe": "OLS with country-sector and year fixed effects (the registered estimator)"}
WEIGHTS = ("webb", "rademacher")
LANGS = ("ja", "en")
TERMS = {"rdint_l1:dist_l1": "I1", "dist_l1": "I1b", "rdint_l1": "I1c", "dtfp_frontier": ""}
FORMULA = "dtfp ~ rdint_l1 + dist_l1 + rdint_l1:dist_l1 + dtfp_frontier + C(id) + C(year)"
CARRYING = "rdint_l1:dist_l1"


def validate_params(params: dict) -> None:
    """Reject bad notebook parameters before a kernel starts (``ParameterError`` names the parameter).

    Known keys: ``countries`` (list of panel country codes; ``[]``, the automatic choice of the project's rule for
    empty lists, ``figures.common.EMPTY_RULE``, is all 10), ``drop_countries`` (list; ``[]`` drops none), ``start_year`` /
    ``end_year`` (1980-2005), ``estimator`` (``ols_twfe``), ``elasticities`` (a key of ``ELASTICITIES``), ``intensity`` (``rdk_output`` or
    ``drdk``), ``rd_lag`` (1 or 2), ``cluster`` (``id`` or ``country``), ``weights``, ``reps`` (>= 99),
    ``seed`` (int >= 0), ``lang`` (ja/en), ``output_dir`` (str). Unknown keys are ignored (papermill adds its own).
    """
    for key in ("countries", "drop_countries"):
        if key in params:
            val = params[key]
            if not isinstance(val, (list, tuple)) or not all(isinstance(c, str) for c in val):
                raise ParameterError(key, val, "must be a list of country codes", COUNTRIES)
            for c in val:
                if c not in COUNTRIES:
                    raise ParameterError(key, c, "unknown country code (Germany is GER in this panel)", COUNTRIES)
    if "countries" in params:
        kept = [c for c in (params["countries"] or COUNTRIES) if c not in params.get("drop_countries", [])]
        if len(kept) < 2:
            raise ParameterError("countries", params["countries"],
                                 "need at least 2 countries after drop_countries (a frontier needs a comparison)",
                                 COUNTRIES)
    for key in ("start_year", "end_year"):
        if key in params:
            val = params[key]
            if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or not YEARS[0] <= val <= YEARS[1]:
                raise ParameterError(key, val, f"must be an integer year in {YEARS[0]}-{YEARS[1]}")
    if "start_year" in params and "end_year" in params and params["start_year"] + 2 > params["end_year"]:
        raise ParameterError("end_year", params["end_year"],
                             f"must be at least start_year + 2 ({params['start_year'] + 2}): growth and lags need years")
    choices = {"estimator": list(ESTIMATORS), "elasticities": list(ELASTICITIES), "intensity": list(INTENSITIES),
               "rd_lag": [1, 2],
               "cluster": list(CLUSTERS), "weights": list(WEIGHTS), "lang": list(LANGS)}
    for key, valid in choices.items():
        if key in params and params[key] not in valid:
            raise ParameterError(key, params[key], "not a valid choice", valid)
    if "reps" in params and (not isinstance(params["reps"], (int, np.integer)) or params["reps"] < 99):
        raise ParameterError("reps", params["reps"], "must be an integer >= 99")
    if "seed" in params and (not isinstance(params["seed"], (int, np.integer)) or params["seed"] < 0):
        raise ParameterError("seed", params["seed"], "must be a non-negative integer")
    if "output_dir" in params and not isinstance(params["output_dir"], str):
        raise ParameterError("output_dir", params["output_dir"], "must be a path string ('' for the default)")


def select(panel: pd.DataFrame, countries: list[str] | None = None, drop_countries: list[str] | None = None,
           start_year: int = YEARS[0], end_year: int = YEARS[1]) -> pd.DataFrame:
    """Rows of the panel for the chosen countries and years (the frontier is later computed on these only)."""
    validate_params({"countries": list(countries or COUNTRIES), "drop_countries": list(drop_countries or []),
                     "start_year": start_year, "end_year": end_year})
    keep = [c for c in (countries or COUNTRIES) if c not in (drop_countries or [])]
    out = panel[panel["country"].isin(keep) & panel["year"].between(start_year, end_year)]
    if out.empty:
        raise ParameterError("countries", keep, f"empty sample for {start_year}-{end_year}", COUNTRIES)
    return out.reset_index(drop=True)


def production_elasticities(panel: pd.DataFrame) -> tuple[float, float]:
    """Labour and capital elasticities from ``lny ~ lnl + lnk`` with country-sector and year effects.

    R&D capital is left out on purpose, so that TFP keeps the contribution of R&D (as GRVR's cost-share TFP
    does). These are within estimates on ``panel`` (not constrained to constant returns).
    """
    fit = cluster_ols("lny ~ lnl + lnk + C(id) + C(year)", panel, "id").result
    return float(fit.params["lnl"]), float(fit.params["lnk"])


def _lag(df: pd.DataFrame, cols: list[str], k: int, key: str = "id") -> pd.DataFrame:
    """Values of ``cols`` in year t-k for the same ``key`` (NaN where year t-k is absent: no gap filling)."""
    names = [f"{c}_l{k}" for c in cols]
    keys = pd.MultiIndex.from_arrays([df[key].to_numpy(), df["year"].to_numpy()])
    if not keys.is_unique:  # the left merge's row multiplication, for a panel with repeated id-years
        prev = df[[key, "year", *cols]].copy()
        prev["year"] = prev["year"] + k
        prev = prev.rename(columns=dict(zip(cols, names)))
        return df[[key, "year"]].merge(prev, on=[key, "year"], how="left")[names]
    # the row of the same key in year t-k, or -1: what the left merge on (key, year + k) picks, without a merge
    at = keys.get_indexer(pd.MultiIndex.from_arrays([df[key].to_numpy(), df["year"].to_numpy() - k]))
    found = at >= 0
    out = {}
    for c, name in zip(cols, names):
        v = df[c].to_numpy(dtype=float)
        out[name] = np.where(found, v[np.where(found, at, 0)], np.nan)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def build_variables(panel: pd.DataFrame, alpha_l: float = 0.7, alpha_k: float = 0.3, *,
                    intensity: str = "rdk_output", rd_lag: int = 1,
                    frontier: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Construct TFP, the sector frontier, distance, R&D intensity and growth rates, one row per id-year.

    Columns added to the panel rows:

    - ``tfp`` = lny - alpha_l·lnl - alpha_k·lnk (log TFP level, comparable across countries only because output
      and capital are in a common currency in this panel).
    - ``tfp_frontier`` = max of ``tfp`` over the countries present in ``panel`` for the sector-year;
      ``frontier_country`` the country attaining it. With unbalanced coverage the frontier can change when a
      country enters (GER 1991, SWE 1993, PRT 1995).
    - ``dist`` = tfp_frontier - tfp (>= 0, 0 for the frontier country); ``dist_l1`` its value in t-1.
    - ``dtfp`` = 100·(tfp_t - tfp_{t-1}) and ``dtfp_frontier`` = 100·(tfp_frontier_t - tfp_frontier_{t-1}),
      only where year t-1 is observed (no interpolation across gaps).
    - ``rdint_raw``: with ``intensity="rdk_output"`` lnrd - lny (log R&D capital / output); with ``"drdk"``
      100·(lnrd_t - lnrd_{t-1}). ``rdint_l1`` is ``rdint_raw`` in year t-``rd_lag`` (named ``_l1`` because it
      is the model's lagged-intensity slot), centred on its mean over the estimation sample (rows where all model
      variables exist), so that ``dist_l1`` measures catch-up at the mean intensity.
    - ``in_sample``: True where every model variable exists.

    ``frontier``: ``frontier_variables(panel, alpha_l, alpha_k)``, computed once for several calls.
    """
    if intensity not in INTENSITIES:
        raise ParameterError("intensity", intensity, "not a valid choice", list(INTENSITIES))
    if rd_lag not in (1, 2):
        raise ParameterError("rd_lag", rd_lag, "not a valid choice", [1, 2])
    df, l1 = frontier if frontier is not None else frontier_variables(panel, alpha_l, alpha_k)
    df = df.copy()
    if intensity == "rdk_output":
        df["rdint_raw"] = df["lnrd"] - df["lny"]
    else:
        df["rdint_raw"] = 100 * (df["lnrd"] - _lag(df, ["lnrd"], 1)["lnrd_l1"])
    df["dtfp"] = 100 * (df["tfp"] - l1["tfp_l1"])
    df["dist_l1"] = l1["dist_l1"]
    df["dtfp_frontier"] = 100 * (df["tfp_frontier"] - l1["tfp_frontier_l1"])
    df["rdint_uncentred"] = _lag(df, ["rdint_raw"], rd_lag)[f"rdint_raw_l{rd_lag}"]
    model_vars = ["dtfp", "dist_l1", "dtfp_frontier", "rdint_uncentred"]
    df["in_sample"] = df[model_vars].notna().all(axis=1)
    if not df["in_sample"].any():
        raise ParameterError("sample", f"{len(df)} rows", "no row has the lags the model needs (empty sample)")
    df["rdint_mean"] = float(df.loc[df["in_sample"], "rdint_uncentred"].mean())
    df["rdint_l1"] = df["rdint_uncentred"] - df["rdint_mean"]
    return df


def frontier_variables(panel: pd.DataFrame, alpha_l: float = 0.7, alpha_k: float = 0.3
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The part of ``build_variables`` that the intensity and its lag do not change: the panel rows sorted,
    with ``tfp``, ``tfp_frontier``, ``frontier_country``, ``n_countries_sector`` and ``dist``, and the year t-1
    values of tfp, dist and tfp_frontier. ``build_variables(..., frontier=...)`` takes it, so that several
    intensity choices on one sample build it once."""
    for name, val in (("alpha_l", alpha_l), ("alpha_k", alpha_k)):
        if not (isinstance(val, (float, int)) and 0 < val < 1.5):
            raise ParameterError(name, val, "an output elasticity must be a number in (0, 1.5)")
    df = panel.sort_values(["id", "year"], kind="mergesort").reset_index(drop=True).copy()
    df["tfp"] = df["lny"] - alpha_l * df["lnl"] - alpha_k * df["lnk"]
    grp = df.groupby(["sector", "year"])["tfp"]
    df["tfp_frontier"] = grp.transform("max")
    # the country at the frontier (ties broken by country code, deterministic)
    at_max = df[df["tfp"] == df["tfp_frontier"]].sort_values(["sector", "year", "country"], kind="mergesort")
    first = at_max.drop_duplicates(["sector", "year"])[["sector", "year", "country"]]
    df = df.merge(first.rename(columns={"country": "frontier_country"}), on=["sector", "year"], how="left")
    df["n_countries_sector"] = df.groupby(["sector", "year"])["country"].transform("nunique")
    df["dist"] = df["tfp_frontier"] - df["tfp"]
    return df, _lag(df, ["tfp", "dist", "tfp_frontier"], 1)


def fit(variables: pd.DataFrame, cluster: str = "id") -> ClusterFit:
    """The registered model (``FORMULA``) by OLS with CR1 errors clustered by ``cluster`` (id or country)."""
    if cluster not in CLUSTERS:
        raise ParameterError("cluster", cluster, "not a valid choice", list(CLUSTERS))
    sample = variables[variables["in_sample"]]
    if sample["id"].nunique() < 2:
        raise ParameterError("sample", f"{len(sample)} rows", "fewer than 2 country-sectors in the sample")
    return cluster_ols(FORMULA, sample, cluster)


@dataclass(frozen=True)
class Spec:
    """One model run: a name, the sample and variable choices, and whether to bootstrap."""

    model: str
    countries: tuple[str, ...] = tuple(COUNTRIES)
    elasticities: str = HEADLINE_ELASTICITIES
    intensity: str = "rdk_output"
    rd_lag: int = 1
    cluster: str = "id"
    bootstrap: bool = False
    role: str = "robustness"
    sample: str = ""


def default_specs(countries: list[str], drop_countries: list[str], cluster: str = "id") -> list[Spec]:
    """Headline model plus the registered robustness rows, on ``countries`` minus ``drop_countries``."""
    main = tuple(c for c in countries if c not in drop_countries)
    seven = tuple(c for c in main if c not in LATE_ENTRANTS)
    label = "all 10 countries" if len(main) == len(COUNTRIES) else ", ".join(main)
    specs = [
        Spec("(1) headline", main, cluster=cluster, bootstrap=True, role="hypothesis", sample=label),
        Spec("(2) without GER, SWE, PRT", seven, cluster=cluster, bootstrap=True,
             sample="7 countries (fixed-composition frontier)"),
        Spec("(3) a_l=0.6, a_k=0.4", main, elasticities="convention_60_40", cluster=cluster, sample=label),
        Spec("(4) estimated elasticities", main, elasticities="estimated", cluster=cluster, sample=label),
        Spec("(5) intensity at t-2", main, rd_lag=2, cluster=cluster, sample=label),
        Spec("(6) intensity = dlog R&D capital", main, intensity="drdk", cluster=cluster, sample=label),
        Spec("(7) clustered by country", main, cluster="country", bootstrap=True, sample=label),
    ]
    if seven == main:  # nothing to drop: the robustness run would repeat the headline
        specs = [s for s in specs if not s.model.startswith("(2)")]
    return specs


def run_spec(panel: pd.DataFrame, spec: Spec, start_year: int, end_year: int, *, reps: int, seed: int,
             weights: str) -> tuple[list[dict], pd.DataFrame, tuple[float, float]]:
    """Fit one specification; return result rows, the variables frame and the elasticities used."""
    sub = select(panel, list(spec.countries), [], start_year, end_year)
    if spec.elasticities not in ELASTICITIES:
        raise ParameterError("elasticities", spec.elasticities, "not a valid choice", list(ELASTICITIES))
    alphas = ELASTICITIES[spec.elasticities] or production_elasticities(sub)
    variables = build_variables(sub, *alphas, intensity=spec.intensity, rd_lag=spec.rd_lag)
    fitted = fit(variables, spec.cluster)
    rows = []
    base = {"model": spec.model, "estimator": "ols_twfe", "sample": spec.sample}
    for term, hid in TERMS.items():
        r = fitted.row(term)
        rows.append({**base, **r, "hypothesis": hid, "role": spec.role if hid else "control"})
    if spec.bootstrap:
        sample = variables[variables["in_sample"]]
        wb = wild_cluster_bootstrap(FORMULA, sample, spec.cluster, CARRYING, reps=reps, seed=seed, weights=weights)
        rows.append({**base, "model": f"{spec.model} WCR", "estimator": "ols_twfe + wild cluster bootstrap",
                     "term": CARRYING, "estimate": wb.estimate, "std_error": wb.std_error, "ci_low": wb.ci[0],
                     "ci_high": wb.ci[1], "p_value": wb.p_value, "n_obs": wb.n_obs, "n_clusters": wb.n_clusters,
                     "inference": wb.inference, "hypothesis": "I1", "role": "robustness"})
    return rows, variables, alphas


def run(panel: pd.DataFrame, *, countries: list[str] | None = None, drop_countries: list[str] | None = None,
        start_year: int = YEARS[0], end_year: int = YEARS[1], cluster: str = "id", reps: int = 9999,
        seed: int = 20261129, weights: str = "webb") -> tuple[pd.DataFrame, dict[str, tuple[float, float]]]:
    """All registered models -> (results frame with verdicts, {model: elasticities used})."""
    validate_params({"countries": list(countries or COUNTRIES), "drop_countries": list(drop_countries or []),
                     "start_year": start_year, "end_year": end_year, "cluster": cluster, "reps": reps,
                     "seed": seed, "weights": weights})
    rows: list[dict] = []
    used: dict[str, tuple[float, float]] = {}
    for spec in default_specs(list(countries or COUNTRIES), list(drop_countries or []), cluster):
        r, _, alphas = run_spec(panel, spec, start_year, end_year, reps=reps, seed=seed, weights=weights)
        rows += r
        used[spec.model] = alphas
    hyps = {h.id: h for h in registry.load(families="industry")}
    return results.add_verdicts(results.frame(rows), hyps), used


def replication_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """The two SOURCE.md sanity regressions (production function, SE clustered by id) as replication rows."""
    rows = []
    for model, formula in (("sanity: year FE", "lny ~ lnl + lnk + lnrd + C(year)"),
                           ("sanity: two-way FE", "lny ~ lnl + lnk + lnrd + C(year) + C(id)")):
        f = cluster_ols(formula, panel, "id")
        for term in ("lnl", "lnk", "lnrd"):
            rows.append({"hypothesis": "", "model": model, "estimator": "ols", "sample": "all 10 countries",
                         **f.row(term), "role": "replication"})
    return results.frame(rows)


def frontier_shares(variables: pd.DataFrame) -> pd.DataFrame:
    """How often each country is the sector frontier: sector-years led, by sector (descriptive, for the note)."""
    first = variables.drop_duplicates(["sector", "year"])
    tab = pd.crosstab(first["sector"], first["frontier_country"])
    return tab.reindex(sorted(tab.columns), axis=1).astype("int64")


def registry_table() -> pd.DataFrame:
    """The registered industry hypotheses (I1, I1b, I1c) as a table, for printing before any estimate."""
    rows = [{"id": h.id, "statement": h.statement, "coefficient": ", ".join(h.coefficients),
             "expected_sign": h.expected_sign, "outcome": h.outcome, "estimators": "; ".join(h.estimators),
             "inference": h.inference, "alpha": h.alpha, "headline": h.headline}
            for h in registry.load(families="industry")]
    return pd.DataFrame(rows)


PLOT_LABELS = {
    "ja": {"rdint_l1:dist_l1": "I1: R&D集約度 × フロンティアからの距離", "dist_l1": "I1b: フロンティアからの距離（キャッチアップ）",
           "rdint_l1": "I1c: R&D集約度（フロンティアでの効果）", "x": "係数（TFP成長率 %ポイント）",
           "cr1": "クラスター頑健 95%信頼区間", "wcr": "ワイルド・クラスター・ブートストラップ 95%区間",
           "head": "事前登録した主推定"},
    "en": {"rdint_l1:dist_l1": "I1: R&D intensity x distance to frontier", "dist_l1": "I1b: distance to frontier (catch-up)",
           "rdint_l1": "I1c: R&D intensity (effect at the frontier)", "x": "coefficient (TFP growth, % points)",
           "cr1": "cluster-robust 95% CI", "wcr": "wild cluster bootstrap 95% interval",
           "head": "registered headline model"},
}
MODEL_LABELS_JA = {
    "(1) headline": "(1) 主推定（10か国）",
    "(2) without GER, SWE, PRT": "(2) 独・瑞・葡を除く7か国",
    "(3) a_l=0.6, a_k=0.4": "(3) 弾力性 0.6/0.4",
    "(4) estimated elasticities": "(4) 推定した弾力性",
    "(5) intensity at t-2": "(5) 集約度を2期ラグ",
    "(6) intensity = dlog R&D capital": "(6) 集約度 = R&D資本の伸び率",
    "(7) clustered by country": "(7) 国でクラスター",
}


def model_label(model: str, lang: str) -> str:
    """Model name for figures: Japanese labels when ``lang == "ja"`` (the WCR suffix is kept)."""
    if lang != "ja":
        return model
    base, wcr = (model[:-4], " WCR") if model.endswith(" WCR") else (model, "")
    return MODEL_LABELS_JA.get(base, base) + wcr


def coefficient_plot(res: pd.DataFrame, lang: str = "ja"):
    """Three panels (I1, I1b, I1c): estimate and 95 % interval per model; returns (figure, data plotted)."""
    import matplotlib.pyplot as plt

    if lang not in PLOT_LABELS:
        raise ParameterError("lang", lang, "not a valid choice", list(PLOT_LABELS))
    lab = PLOT_LABELS[lang]
    terms = ["rdint_l1:dist_l1", "dist_l1", "rdint_l1"]
    data = res[res["term"].isin(terms)][["model", "term", "estimate", "ci_low", "ci_high", "p_value", "n_obs",
                                         "n_clusters", "inference", "role", "verdict"]].reset_index(drop=True)
    models = list(dict.fromkeys(data["model"]))
    fig, axes = plt.subplots(1, 3, figsize=(16, 0.55 * len(models) + 2.2), sharey=True)
    for ax, term in zip(axes, terms):
        sub = data[data["term"] == term]
        for _, r in sub.iterrows():
            y = len(models) - 1 - models.index(r["model"])
            boot = r["model"].endswith("WCR")
            color = "#d62728" if r["role"] == "hypothesis" else ("#7f7f7f" if boot else "#1f77b4")
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=color, lw=2.5, ls=":" if boot else "-")
            ax.plot(r["estimate"], y, "o", color=color, ms=7)
        ax.axvline(0, color="black", lw=1)
        ax.set_title(lab[term], fontsize=13, fontweight="normal")  # IPAexGothic has no bold face
        ax.set_xlabel(lab["x"], fontsize=12)
        ax.tick_params(labelsize=11)
    axes[0].set_yticks(range(len(models)), labels=[model_label(m, lang) for m in models[::-1]])
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="#d62728", lw=2.5, marker="o", label=lab["head"]),
               Line2D([], [], color="#1f77b4", lw=2.5, label=lab["cr1"]),
               Line2D([], [], color="#7f7f7f", lw=2.5, ls=":", label=lab["wcr"])]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=11, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig, data


def summary_lines(res: pd.DataFrame) -> list[str]:
    """One computed sentence per registered hypothesis and per robustness run of the carrying coefficient."""
    out = []
    for _, r in res[res["role"] == "hypothesis"].iterrows():
        out.append(f"{r['hypothesis']} ({r['term']}): estimate {r['estimate']:.4f}, 95% CI [{r['ci_low']:.4f}, "
                   f"{r['ci_high']:.4f}], p = {r['p_value']:.4f}, N = {int(r['n_obs'])}, "
                   f"clusters = {int(r['n_clusters'])} -> {r['verdict']}")
    rob = res[(res["role"] == "robustness") & (res["term"] == CARRYING)]
    for _, r in rob.iterrows():
        sign = "negative" if r["estimate"] < 0 else "positive"
        sig = "p < 0.05" if r["p_value"] < 0.05 else "p >= 0.05"
        out.append(f"  robustness {r['model']}: {sign}, {r['estimate']:.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}], "
                   f"p = {r['p_value']:.4f} ({sig})")
    return out
