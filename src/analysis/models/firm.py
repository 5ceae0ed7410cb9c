"""Firm-level absorptive capacity on the Cincera (1997) panel: the replication and hypotheses F1, F2.

Specifications are those registered in ``analysis/hypotheses/firm.toml``; this module builds the designs, runs
the three count estimators of :mod:`analysis.models.count_panel` and returns rows in the common results layout
(:mod:`analysis.models.results`). Notebooks ``h1_firm_replication_cincera`` and ``h2_firm_absorptive_capacity``
call it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data, labels, registry
from ..errors import DataFileError, ParameterError
from . import count_panel, results

PANEL = "cincera1997_panel"
FIRST_YEAR, LAST_YEAR = 1983, 1991
ESTIMATOR_NAMES = {
    "pooled_poisson": ("pooled Poisson", "プールド・ポアソン"),
    "fe_poisson": ("FE Poisson", "固定効果ポアソン"),
    "negbin": ("NB2", "負の二項"),
}
CLUSTERING = ("firm", "none")
REGIONS = ("eu", "japan", "usa", "rotw")
PANEL_COLUMNS = ["firm", "year", "patent", "rdexp", "spil", "sector_code", "region"]

H2_DEFAULTS = {"start_year": 1983, "end_year": 1991, "estimators": list(count_panel.ESTIMATORS),
               "clustering": "firm", "lang": "ja"}
H1_DEFAULTS = {"start_year": 1987, "end_year": 1991, "max_lag": 4, "lang": "ja"}


# ----------------------------------------------------------------------------------------------------------------
# parameters


def _check_years(params: dict, earliest: int, why: str = "") -> None:
    for key in ("start_year", "end_year"):
        v = params.get(key)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ParameterError(key, v, "must be an integer year", list(range(earliest, LAST_YEAR + 1)))
        if not earliest <= v <= LAST_YEAR:
            raise ParameterError(key, v, f"outside the years the data allow ({earliest}-{LAST_YEAR}{why})",
                                 list(range(earliest, LAST_YEAR + 1)))
    if params["end_year"] - params["start_year"] < 1:
        raise ParameterError("end_year", params["end_year"],
                             f"must be after start_year={params['start_year']} (FE models need two years or more)")


def validate_params(params: dict) -> None:
    """Parameters of ``h2_firm_absorptive_capacity``; raises ``ParameterError`` naming the bad one.

    ``estimators=[]`` is the automatic choice (the project's rule for empty lists, ``figures.common.EMPTY_RULE``):
    every estimator, which includes the registered headline ``pooled_poisson``.
    """
    p = {**H2_DEFAULTS, **params}
    _check_years(p, FIRST_YEAR)
    resolve_estimators(p["estimators"])
    if p["clustering"] not in CLUSTERING:
        raise ParameterError("clustering", p["clustering"], "unknown clustering", CLUSTERING)
    labels.check_lang(p["lang"])


def resolve_estimators(est) -> list[str]:
    """The validated ``estimators`` list; ``[]`` (the automatic choice) is every estimator."""
    if isinstance(est, (list, tuple)) and not est:
        return list(count_panel.ESTIMATORS)
    if isinstance(est, str) or not isinstance(est, (list, tuple)):
        raise ParameterError("estimators", est, "must be a list ([] = every estimator)", count_panel.ESTIMATORS)
    for e in est:
        if e not in count_panel.ESTIMATORS:
            raise ParameterError("estimators", e, "unknown estimator", count_panel.ESTIMATORS)
    if "pooled_poisson" not in est:
        raise ParameterError("estimators", est, "must include the registered headline estimator 'pooled_poisson'",
                             count_panel.ESTIMATORS)
    return list(est)


def validate_replication_params(params: dict) -> None:
    """Parameters of ``h1_firm_replication_cincera``; the lags must stay inside 1983-1991."""
    p = {**H1_DEFAULTS, **params}
    lag = p["max_lag"]
    if not isinstance(lag, (int, np.integer)) or isinstance(lag, bool) or not 0 <= lag <= 7:
        raise ParameterError("max_lag", lag, "must be an integer from 0 to 7", list(range(8)))
    _check_years(p, FIRST_YEAR + lag, f"; with max_lag={lag} the lags reach back to start_year-{lag}, "
                                      f"and the data start in {FIRST_YEAR}" if lag else "")
    labels.check_lang(p["lang"])


# ----------------------------------------------------------------------------------------------------------------
# data


def load_panel(processed: Path | None = None) -> pd.DataFrame:
    """The processed firm-year panel, checked for the columns the models use."""
    panel = data.load(PANEL, processed)
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise DataFileError(f"<processed {PANEL}>", "column missing; rebuild with `analysis data`",
                            column=missing[0])
    return panel.sort_values(["firm", "year"], kind="mergesort").reset_index(drop=True)


def add_lags(panel: pd.DataFrame, variables: list[str], max_lag: int) -> pd.DataFrame:
    """Add ``<var>_l0`` .. ``<var>_l<max_lag>`` within firm; a gap in a firm's years leaves the lag missing."""
    out = panel.sort_values(["firm", "year"], kind="mergesort").reset_index(drop=True)
    g = out.groupby("firm", sort=False)
    for v in variables:
        for lag in range(max_lag + 1):
            shifted = g[v].shift(lag)
            # only a true calendar lag counts: the row lag positions back must be year - lag
            ok = g["year"].shift(lag) == out["year"] - lag
            out[f"{v}_l{lag}"] = shifted.where(ok)
    return out


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


# ----------------------------------------------------------------------------------------------------------------
# F1 / F2 designs


def design(panel: pd.DataFrame, estimator: str, *, start_year: int = 1983, end_year: int = 1991, lag: int = 0,
           exclude_rotw: bool = False, region_slopes: str | None = None) -> tuple[pd.Series, pd.DataFrame,
                                                                                pd.Series, pd.DataFrame]:
    """Outcome, design, firm ids and the estimation sample for an F1/F2 model.

    ``lag`` = 1 uses rdexp and spil of the previous year. rdexp and spil are centred on their estimation-sample
    means. ``region_slopes`` = base region ("usa" or "eu") adds spil x region and rdexp x region for the two
    other regions (requires ``exclude_rotw``). Pooled estimators get a constant and sector, region and year
    dummies; ``fe_poisson`` gets year dummies only.
    """
    if estimator not in count_panel.ESTIMATORS:
        raise ParameterError("estimator", estimator, "unknown estimator", count_panel.ESTIMATORS)
    if region_slopes is not None and region_slopes not in ("usa", "eu"):
        raise ParameterError("region_slopes", region_slopes, "unknown base region", ["usa", "eu"])
    if region_slopes is not None and not exclude_rotw:
        raise ParameterError("exclude_rotw", exclude_rotw, "region slopes need the single RoW firm excluded", [True])
    df = add_lags(panel, ["rdexp", "spil"], lag) if lag else panel.copy()
    r_col, s_col = (f"rdexp_l{lag}", f"spil_l{lag}") if lag else ("rdexp", "spil")
    df = df[df["year"].between(max(start_year, FIRST_YEAR + lag), end_year)].dropna(subset=[r_col, s_col])
    if exclude_rotw:
        df = df[df["region"] != "rotw"]
    df = df.reset_index(drop=True)
    X = pd.DataFrame(index=df.index)
    X["rdexp"] = df[r_col] - df[r_col].mean()
    X["spil"] = df[s_col] - df[s_col].mean()
    X["rdexp:spil"] = X["rdexp"] * X["spil"]
    if region_slopes is not None:
        others = [r for r in ("japan", "eu", "usa") if r != region_slopes]
        for v in ("spil", "rdexp"):
            for r in others:
                X[f"{v}:{r}"] = X[v] * (df["region"] == r).astype("float64")
    years = pd.get_dummies(df["year"].astype("int64"), prefix="year", dtype="float64").iloc[:, 1:]
    if estimator == "fe_poisson":
        X = pd.concat([X, years], axis=1)
    else:
        sectors = pd.get_dummies(df["sector_code"].astype("int64"), prefix="sector", dtype="float64").iloc[:, 1:]
        base = region_slopes or "usa"
        regs = pd.get_dummies(df["region"].astype(str), prefix="region", dtype="float64")
        regs = regs.drop(columns=f"region_{base}")
        X = pd.concat([pd.Series(1.0, index=df.index, name="const"), X, sectors, regs, years], axis=1)
    return df["patent"], X, df["firm"], df


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


VERDICT_COLORS = {"supported": "#2ca02c", "not supported": "#7f7f7f", "contrary": "#d62728", "": "#1f77b4"}
VERDICT_NAMES = {"supported": ("supported", "支持"), "not supported": ("not supported", "不支持"),
                 "contrary": ("contrary (significant, opposite sign)", "逆の符号で有意")}


def _model_label(hypothesis: str, model: str) -> str:
    """Model name without a leading id the hypothesis already shows ('F1', 'F1 pooled Poisson' -> 'pooled Poisson')."""
    head, _, rest = model.partition(" ")
    return rest if rest and hypothesis.startswith(head) else model


def coefficient_plot(df: pd.DataFrame, lang: str = "ja"):
    """Dot-and-interval plot of the registered coefficients and their robustness rows; returns (fig, data).

    Colour = verdict of a registered hypothesis row (filled marker); robustness rows (open marker) carry no
    verdict. Both are explained in a legend under the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    d = df[df["role"].isin(["hypothesis", "robustness"])].reset_index(drop=True)
    d = d.assign(label=[f"{h}  {_model_label(h, m)}  [{term}]"
                        for h, m, term in zip(d["hypothesis"], d["model"], d["term"])])
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(d) + 2.2))
    ypos = np.arange(len(d))[::-1]
    for yv, (_, r) in zip(ypos, d.iterrows()):
        c = VERDICT_COLORS.get(r["verdict"], VERDICT_COLORS[""])
        ax.plot([r["ci_low"], r["ci_high"]], [yv, yv], color=c, lw=2.5)
        ax.plot(r["estimate"], yv, "o", color=c, ms=8, mfc="white" if r["role"] == "robustness" else c)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(ypos)
    ax.set_yticklabels(d["label"], fontsize=11)
    clustered = bool((d["inference"] == "cluster(firm)").all()) if "inference" in d else False
    ax.set_xlabel(t("coefficient, 95% interval (" + ("firm-clustered" if clustered else "model-based") + ")",
                    "係数と95%信頼区間（" + ("企業クラスター頑健" if clustered else "モデルベース") + "）"), fontsize=13)
    ax.tick_params(axis="x", labelsize=11)
    handles, names = [], []
    hyp = d[d["role"] == "hypothesis"]
    for v in [v for v in VERDICT_NAMES if (hyp["verdict"] == v).any()]:
        c = VERDICT_COLORS[v]
        handles.append(Line2D([], [], color=c, lw=2.5, marker="o", ms=8, mfc=c))
        names.append(t("registered test: ", "登録仮説の検定：") + VERDICT_NAMES[v][0 if lang == "en" else 1])
    rob = d[d["role"] == "robustness"]
    if not rob.empty:
        cols = {VERDICT_COLORS.get(v, VERDICT_COLORS[""]) for v in rob["verdict"]}
        c = cols.pop() if len(cols) == 1 else "#555555"
        handles.append(Line2D([], [], color=c, lw=2.5, marker="o", ms=8, mfc="white"))
        names.append(t("robustness check (open marker, no verdict)", "頑健性チェック（白抜き、判定なし）"))
    fig.suptitle(t("Firm-level absorptive capacity: patents on R&D x spillovers (Cincera 1997 panel)",
                   "企業レベルの吸収能力：特許と研究開発×スピルオーバー（Cincera 1997パネル）"), fontsize=15,
                 fontweight="normal", x=0.5, ha="center")
    legend_in = 0.28 * math.ceil(len(handles) / 2) + 0.05  # inches kept free under the axes for the legend
    fig.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=11)
    fig.tight_layout(rect=(0, legend_in / fig.get_figheight(), 1, 1))
    return fig, d[["hypothesis", "model", "term", "estimate", "ci_low", "ci_high", "p_value", "role", "verdict"]]


def lag_profile_plot(coef: pd.DataFrame, fit: count_panel.CountFit, start_year: int, end_year: int, max_lag: int,
                     lang: str = "ja"):
    """Coefficients of R&D and spillovers at lags 0..max_lag (``replication(...)["coefficients"]``, possibly with
    extra columns, and its ``fit``); returns (fig, data behind it).

    Model-based and firm-clustered 95 % intervals side by side, one panel per regressor.
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    z = 1.959963984540054
    plotting.set_style()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=False)
    for ax, var, title in zip(axes, ["rdexp", "spil"],
                              [("log R&D", "研究開発費（対数）"), ("log spillovers", "スピルオーバー（対数）")]):
        sub = coef.loc[[f"{var}_l{k}" for k in range(max_lag + 1)]]
        lags = np.arange(max_lag + 1)
        ax.errorbar(lags - 0.12, sub["estimate"], yerr=z * sub["se_model"], fmt="s", color="#7f7f7f",
                    elinewidth=1.5, capsize=4, ms=6, label=t("model-based", "モデルベース"))
        ax.errorbar(lags + 0.12, sub["estimate"], yerr=z * sub["se_cluster"], fmt="o", color="#1f77b4",
                    elinewidth=3, ms=8, label=t("firm-clustered", "企業クラスター頑健"))
        ax.axhline(0, color="black", lw=1)
        ax.set_xticks(lags)
        ax.set_xlabel(t("lag (years)", "ラグ（年）"), fontsize=13)
        ax.set_title(t(*title), fontsize=14, fontweight="normal")
    axes[0].legend(fontsize=11, loc="lower left")
    # the lags are of the regressors (R&D and spillovers), not of patents
    fig.suptitle(t(f"Cincera (1997) panel: FE Poisson of patents on R&D and spillovers at lags 0-{max_lag}",
                   f"Cincera (1997) パネル：固定効果ポアソン、特許を研究開発費とスピルオーバーのラグ0-{max_lag}に回帰"),
                 fontsize=15)
    plotting.add_note(fig, t(f"Source: Cincera (1997), JAE data archive (PatentsRD). {start_year}-{end_year}, "
                             f"{fit.n_obs} informative firm-years, {fit.n_groups} firms. Conditional FE Poisson; "
                             "95% intervals.",
                             f"出典：Cincera (1997)、JAEデータアーカイブ（PatentsRD）。{start_year}-{end_year}年、"
                             f"情報を持つ企業・年 {fit.n_obs}、{fit.n_groups}社。条件付き固定効果ポアソン、95%信頼区間。"))
    fig.tight_layout()
    return fig, coef.reset_index(names="term").round(10)


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
