"""The firm family's figures: registered coefficients with their verdicts (h2) and the lag profile of the
replication (h1); importable from :mod:`analysis.models.firm`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import labels
from . import count_panel

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
