"""Drawing figures 2, 5 and 8: lines that break at gaps (× on the axis), breaks in series, user values ringed,
grey bands where no value was found; the note under each figure comes from :mod:`japan_collab_text`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting
from .common import year_ranges
from .japan_collab_data import FIG2_SERIES, FIG8_SERIES, MAN, OKU, TYPE_COLORS
from .japan_collab_text import fig2_note, fig5_note, fig8_note, type_name


def _fy_label(lang: str) -> str:
    return labels.text("Fiscal year (April-March)", "年度", lang)


def _draw_line(ax: plt.Axes, f: pd.DataFrame, scale: float, color: str, label: str, *, ls: str = "-",
               marker: str = "o", open_marker: bool = False, mark_gaps: bool = True) -> None:
    """A line that breaks at NaN years, markers at observations, user rows ringed, gaps marked × on the axis."""
    f = f.sort_values("year")
    y = (f["value"] / scale).to_numpy(dtype=float)
    xs = f["year"].to_numpy(dtype=float)
    brk = f["flags"].str.contains("B", regex=False).to_numpy()
    # a break in series ('B') starts a new segment: the line does not join values counted differently
    starts = [0, *[int(k) for k in np.flatnonzero(brk) if k > 0], len(f)]
    for k, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
        ax.plot(xs[a:b], y[a:b], ls=ls, color=color, lw=2.2, label=label if k == 0 else None, zorder=2)
    obs = f[f["value"].notna()]
    face = "white" if open_marker else color
    ax.plot(obs["year"], obs["value"] / scale, ls="", marker=marker, ms=6, mfc=face, mec=color, mew=1.6, zorder=3)
    user = obs[obs["source"] == "user"]
    if len(user):
        ax.plot(user["year"], user["value"] / scale, ls="", marker="s", ms=12, mfc="none", mec="black", mew=1.4,
                zorder=4)
    if mark_gaps:
        gaps = f[f["status"] == "gap"]
        ax.plot(gaps["year"], np.zeros(len(gaps)), ls="", marker="x", ms=8, mew=2, color=color, zorder=5,
                transform=ax.get_xaxis_transform(), clip_on=False)


def _years_axis(ax: plt.Axes, start: int, end: int) -> None:
    span = end - start
    step = 1 if span <= 10 else 2 if span <= 22 else 4
    ax.set_xticks(list(range(start, end + 1, step)))
    ax.set_xlim(start - 0.6, end + 0.6)
    ax.tick_params(axis="x", labelsize=12, rotation=0)
    ax.set_ylim(bottom=0)


def _thousands(ax: plt.Axes) -> None:
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _shade_missing(ax: plt.Axes, f: pd.DataFrame, lang: str) -> None:
    """Grey band over the leading/trailing years without any value, labelled, so an empty area reads as
    'no data found' rather than zero."""
    for status in ("before_first", "after_last"):
        ys = f.loc[f["status"] == status, "year"]
        if ys.empty:
            continue
        lo, hi = int(ys.min()) - 0.5, int(ys.max()) + 0.5
        ax.axvspan(lo, hi, color="#eeeeee", zorder=0)
        ax.text((lo + hi) / 2, 0.5, labels.text(f"no value found\nFY{year_ranges(ys)}",
                                                 f"収集資料に値なし\n（{year_ranges(ys)}年度）", lang),
                transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=11, color="#555555")


def plot_fig2(frame: pd.DataFrame, lang: str = "ja", unused: pd.DataFrame | None = None) -> plt.Figure:
    """Draw figure 2 (three panels: amounts, counts, amount per project)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 3, figsize=(19, 6.6), gridspec_kw={"width_ratios": [1.25, 1, 1]})
    i = 3 if lang == "ja" else 2
    ax = axes[0]
    for key, ls, mark_gaps in (("jr_amount", "-", True), ("cr_amount", "-", True), ("nistep_jr", "--", False),
                               ("nistep_cr", "--", False)):
        f = frame[frame["series"] == key]
        _draw_line(ax, f, OKU, FIG2_SERIES[key][4], FIG2_SERIES[key][i], ls=ls, mark_gaps=mark_gaps,
                   open_marker=ls == "--")
    ax.set_title(labels.text("Amount received (100 million yen)", "受入額（億円）", lang), fontsize=15,
                 fontweight="normal")
    ax.legend(loc="upper left", fontsize=10.5)
    ax = axes[1]
    for key in ("jr_count", "cr_count"):
        _draw_line(ax, frame[frame["series"] == key], 1, FIG2_SERIES[key][4], FIG2_SERIES[key][i])
    ax.set_title(labels.text("Number of projects", "件数（件）", lang), fontsize=15, fontweight="normal")
    _thousands(ax)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.07), fontsize=10.5)
    ax = axes[2]
    _draw_line(ax, frame[frame["series"] == "per_project"], MAN, FIG2_SERIES["per_project"][4],
               FIG2_SERIES["per_project"][i], mark_gaps=False)
    comp = frame[frame["series"] == "per_project_computed"]
    _draw_line(ax, comp, MAN, "#7f7f7f", labels.text("Computed: amount ÷ count (same release)",
                                                     "算出値：金額÷件数（同一資料）", lang),
               ls=":", open_marker=True, mark_gaps=False)
    ax.set_title(labels.text("Joint research per project (10,000 yen)", "1件当たり共同研究費（万円）", lang),
                 fontsize=15, fontweight="normal")
    ax.legend(loc="upper left", fontsize=10.5)
    for ax in axes:
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
    fig.suptitle(labels.text("Joint and contract research between universities and private companies",
                             "大学と国内民間企業との共同・受託研究実績／大学等における1件当たり共同研究費", lang),
                 fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.25)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig2_note(frame, lang, unused), width_em=118)
    return fig


def plot_fig5(frame: pd.DataFrame, lang: str = "ja", unused: pd.DataFrame | None = None) -> plt.Figure:
    """Draw figure 5 (licence count and income by type of institution)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 2, figsize=(17, 6.6))
    for ax, panel, scale, title in (
            (axes[0], "count", 1, labels.text("Patent licences etc. (count)", "特許権実施等件数（件）", lang)),
            (axes[1], "income", OKU, labels.text("Patent licensing income (100 million yen)",
                                                 "特許権実施等収入額（億円）", lang))):
        f = frame[frame["panel"] == panel]
        for t in dict.fromkeys(f["series"]):
            s = f[f["series"] == t]
            if t == "patent_income_mext":
                first = s.loc[s["value"].notna(), "year"].min()
                since = "" if pd.isna(first) else labels.text(f", FY{int(first)}+", f"、{int(first)}年度以降", lang)
                _draw_line(ax, s, scale, "#7f7f7f", labels.text(f"Patent income (MEXT{since})",
                                                                f"特許権収入（文科省{since}）", lang),
                           ls="--", open_marker=True, mark_gaps=False)
            else:
                _draw_line(ax, s, scale, TYPE_COLORS[t], type_name(t, lang))
            br = s[s["flags"].str.contains("B") & s["value"].notna()]
            for y, v in zip(br["year"], br["value"] / scale):
                ax.plot([y], [v], "D", mfc=TYPE_COLORS.get(t, "#7f7f7f"), mec="black", mew=1.4, ms=9, zorder=6)
        if panel == "count":
            _thousands(ax)
            tot = f[f["series"] == ("total" if "total" in set(f["series"]) else f["series"].iloc[0])]
            _shade_missing(ax, tot[tot["status"] == "after_last"], lang)
        if panel == "count":  # a break in the counts (flag B in the data) is a dashed vertical line
            breaks = sorted({int(y) for y in f.loc[f["flags"].str.contains("B") & f["value"].notna(), "year"]})
            for y in breaks:
                ax.axvline(y - 0.5, color="#444444", ls="--", lw=1.2, zorder=1)
                ax.annotate(labels.text(f"FY{y}: counting\nmethod changed (B)", f"{y}年度\n集計方法変更（B）", lang),
                            (y - 0.5, 0.97), xycoords=("data", "axes fraction"), xytext=(-6, 0),
                            textcoords="offset points", ha="right", va="top", fontsize=11)
        ax.set_title(title, fontsize=15, fontweight="normal")
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
        ax.legend(loc="upper left", fontsize=10.5, bbox_to_anchor=(0.0, 0.86) if panel == "count" else None)
    fig.suptitle(labels.text("Patent licensing by universities", "特許権実施等の実績", lang), fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.18)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig5_note(frame, lang, unused), width_em=106)
    return fig


def plot_fig8(frame: pd.DataFrame, lang: str = "ja", unused: pd.DataFrame | None = None) -> plt.Figure:
    """Draw figure 8 (METI cumulative bars, MEXT founded-per-year line)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 2, figsize=(17, 6.4))
    ax = axes[0]
    f = frame[(frame["series"] == "meti_cumulative") & frame["value"].notna()]
    prelim = f["flags"].str.contains("P")
    bars = ax.bar(f["year"], f["value"], color=FIG8_SERIES["meti_cumulative"][4], width=0.7,
                  label=FIG8_SERIES["meti_cumulative"][3 if lang == "ja" else 2])
    for bar, p, v, src in zip(bars, prelim, f["value"], f["source"]):
        if p:
            bar.set_hatch("//")
            bar.set_facecolor("#f4a9a9")
            bar.set_edgecolor("#d62728")
        if src == "user":
            bar.set_edgecolor("black")
            bar.set_linewidth(2)
        tag = labels.text(" (P)", "（速報）", lang) if p else ""
        ax.annotate(f"{int(v):,}{tag}", (bar.get_x() + bar.get_width() / 2, v), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=12)
    _shade_missing(ax, frame[frame["series"] == "meti_cumulative"], lang)
    _thousands(ax)
    ax.set_title(labels.text("University start-ups, cumulative (METI)", "大学発ベンチャー数・累計（経産省）", lang),
                 fontsize=15, fontweight="normal")
    ax.set_ylabel(labels.text("companies", "社", lang))
    ax = axes[1]
    _draw_line(ax, frame[frame["series"] == "mext_founded"], 1, FIG8_SERIES["mext_founded"][4],
               FIG8_SERIES["mext_founded"][3 if lang == "ja" else 2])
    obs = frame[(frame["series"] == "mext_founded") & frame["value"].notna()]
    for y, v in zip(obs["year"], obs["value"]):
        ax.annotate(f"{int(v)}", (y, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=11)
    ax.set_title(labels.text("Start-ups founded in the fiscal year (MEXT)", "大学等発ベンチャー設立数（文科省）", lang),
                 fontsize=15, fontweight="normal")
    ax.set_ylabel(labels.text("companies", "社", lang))
    for ax in axes:
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
        ax.margins(y=0.15)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    fig.suptitle(labels.text("University start-ups in Japan", "大学発ベンチャー", lang), fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.18)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig8_note(frame, lang, unused), width_em=106)
    return fig
