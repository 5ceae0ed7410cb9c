"""The specification-curve figure of one hypothesis, in the house style (``analysis.plotting``).

Top panel: every estimated specification's estimate, sorted, with its 95 % interval, coloured by the verdict the
registered rule gives it; the registered headline specification is ringed. Bottom panel: which choice each
specification makes (one row per declared value of every dimension with more than one value). The note gives
the shares of verdicts and, when run, the specification-curve test. Labels: ``figure_labels.toml``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from .. import labels, plotting, registry
from . import table as table_mod
from .engine import NOT_ESTIMATED

LABELS_FILE = Path(__file__).with_name("figure_labels.toml")
VERDICT_COLORS = {registry.SUPPORTED: "#2ca02c", registry.NOT_SUPPORTED: "#7f7f7f", registry.CONTRARY: "#d62728",
                  registry.NO_VERDICT_FEW_CLUSTERS: "#c8c8c8"}


def _labels() -> dict:
    return tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))


def curve_data(tab: pd.DataFrame, hypothesis: str) -> pd.DataFrame:
    """The estimated specifications of ``hypothesis`` sorted by estimate (ties by id), with their rank."""
    d = tab[(tab["hypothesis"] == hypothesis) & (tab["verdict"] != NOT_ESTIMATED)]
    d = d.sort_values(["estimate", "spec_id"], kind="mergesort").reset_index(drop=True)
    return d.assign(rank=np.arange(1, len(d) + 1))


def _ylim(d: pd.DataFrame) -> tuple[float, float]:
    """Axis range from the finite interval ends (2nd-98th percentile, so one unbounded WCR interval does not
    flatten the curve); intervals beyond are clipped and drawn to the edge."""
    ends = pd.concat([d["ci_low"], d["ci_high"], d["estimate"]]).replace([np.inf, -np.inf], np.nan).dropna()
    lo, hi = float(np.percentile(ends, 2)), float(np.percentile(ends, 98))
    lo, hi = min(lo, float(d["estimate"].min()), 0.0), max(hi, float(d["estimate"].max()), 0.0)
    pad = 0.05 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def plot(mv, hypothesis: str, lang: str = "ja"):
    """Specification curve of ``hypothesis`` from a ``Multiverse``; returns (figure, data behind it)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    labels.check_lang(lang)
    li = 0 if lang == "en" else 1
    lab = _labels()
    plotting.set_style()
    d = curve_data(mv.table, hypothesis)
    dims = [c for c in mv.table.columns if c.startswith("choice:")
            and mv.table.loc[mv.table["hypothesis"] == hypothesis, c].nunique() > 1]
    rows = [(c, v) for c in dims for v in dict.fromkeys(mv.table.loc[mv.table["hypothesis"] == hypothesis, c])]
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(13, 5.0 + 0.26 * len(rows)), sharex=True,
                                 gridspec_kw={"height_ratios": [5.0, 0.26 * len(rows) + 0.4]})
    colors = d["verdict"].map(VERDICT_COLORS).fillna("#1f77b4")
    lo, hi = _ylim(d)
    ax.vlines(d["rank"], d["ci_low"].clip(lo, hi), d["ci_high"].clip(lo, hi), colors=colors, lw=0.8, alpha=0.45)
    ax.scatter(d["rank"], d["estimate"], c=colors, s=9, zorder=3)
    head = d[d["headline"]]
    ax.scatter(head["rank"], head["estimate"], s=90, facecolors="none", edgecolors="black", lw=1.5, zorder=4)
    ax.axhline(0, color="black", lw=1)
    ax.set_ylim(lo, hi)
    ax.set_ylabel(labels.text("estimate, 95% interval", "推定値と95%信頼区間", lang), fontsize=12)
    ax.tick_params(labelsize=10)
    for i, (c, v) in enumerate(rows):
        hit = d[d[c] == v]
        bx.scatter(hit["rank"], np.full(len(hit), i), c=hit["verdict"].map(VERDICT_COLORS).fillna("#1f77b4"),
                   s=4, marker="s")
    bx.set_yticks(range(len(rows)))
    bx.set_yticklabels([f"{lab['dimensions'].get(c[7:], [c[7:]] * 2)[li]}: {v}" for c, v in rows], fontsize=9)
    bx.set_ylim(len(rows) - 0.5, -0.5)
    bx.set_xlabel(labels.text("specifications, sorted by estimate", "推定値の順に並べた定式化", lang), fontsize=12)
    bx.tick_params(axis="x", labelsize=10)
    shown = [v for v in VERDICT_COLORS if (d["verdict"] == v).any()]
    handles = [Line2D([], [], marker="o", ls="", color=VERDICT_COLORS[v], label=lab["verdicts"][v][li]) for v in shown]
    handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec="black",
                          label=labels.text("registered headline specification", "登録した主定式化", lang)))
    ax.legend(handles=handles, loc="upper left", fontsize=10, ncol=2)
    h = registry.get(hypothesis, families=d["family"].iloc[0] if len(d) else None)
    ax.set_title(f"{hypothesis}: {h.coefficients[0]} ({labels.text('expected sign', '期待される符号', lang)} "
                 f"{h.expected_sign})", fontsize=14, loc="left")
    sh = table_mod.shares(mv)
    row = sh[sh["hypothesis"] == hypothesis].iloc[0]
    note = table_mod.share_text(row, lang)
    t = mv.tests[mv.tests["hypothesis"] == hypothesis] if len(mv.tests) else mv.tests
    if len(t):
        r = t.iloc[0]
        note += labels.text(
            f". Specification-curve test (Simonsohn, Simmons & Nelson 2020; {int(r['n_specs_in_test'])} distinct "
            f"estimates, {int(r['null_reps'])} null-imposed draws): median {r['median_estimate']:.4g}, p = "
            f"{r['p_median']:.3f}; share significant in the expected direction {100 * r['share_expected']:.0f}%, "
            f"p = {r['p_share_expected']:.3f}; in the opposite direction {100 * r['share_opposite']:.0f}%, "
            f"p = {r['p_share_opposite']:.3f}.",
            f"。定式化曲線の検定（Simonsohn, Simmons & Nelson 2020；異なる推定値{int(r['n_specs_in_test'])}個、"
            f"帰無仮説を課したリサンプリング{int(r['null_reps'])}回）：中央値 {r['median_estimate']:.4g}、p = "
            f"{r['p_median']:.3f}；期待方向に有意な割合 {100 * r['share_expected']:.0f}%、p = "
            f"{r['p_share_expected']:.3f}；逆方向 {100 * r['share_opposite']:.0f}%、p = {r['p_share_opposite']:.3f}。",
            lang)
    clipped = int(((d["ci_low"] < lo) | (d["ci_high"] > hi)).sum())
    if clipped:
        note += labels.text(f" {clipped} intervals extend beyond the axis (clipped).",
                            f" {clipped}本の区間は軸の外まで伸びる（切り詰めて表示）。", lang)
    fig.tight_layout()
    plotting.add_note(fig, note, 80)
    keep = ["rank", "spec_id", "estimate", "ci_low", "ci_high", "p_value", "n_obs", "n_clusters", "verdict",
            "headline", *dims]
    return fig, d[keep]
