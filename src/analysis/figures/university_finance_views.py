"""Figure 7's two comparison views (base 2019 with IPEDS, base 2006 with every series reaching 2006): plot, note
and files. The data and the notebook's validate hook come from ``university_finance_compare``; this module only
draws and writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting
from . import university_finance_compare as cmp
from .common import resolve_output_dir
from .university_finance_compare import validate_params  # noqa: F401  (the notebook and tests call it here)

STEM = "fig07_university_finance_us_jp"
US_COLORS = ["#1f77b4", "#17becf", "#393b79", "#6baed6", "#9edae5"]
JP_COLORS = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"]
IPEDS_CAVEAT = ("US revenue = IPEDS F2B01 'total revenues and investment return': it includes investment gains and "
                "losses (FY2021 inflated, FY2022 depressed); revenue without investment return (F2D components) is "
                "not in the collected extract.",
                "米国の収益 = IPEDS F2B01「収益および投資収益の合計」: 投資損益を含む（2021年度は膨張、2022年度は減少）。"
                "投資収益を除く収益（F2D内訳）は収録データにない。")


def _draw(ax: plt.Axes, frame: pd.DataFrame) -> None:
    us_i = jp_i = 0
    for _inst, g in frame.groupby("institution", sort=False):
        if g["country"].iloc[0] == "USA":
            color, us_i = US_COLORS[us_i % len(US_COLORS)], us_i + 1
        else:
            color, jp_i = JP_COLORS[jp_i % len(JP_COLORS)], jp_i + 1
        style = "--" if bool(g.get("computed", pd.Series([False])).iloc[0]) else "-"
        years = g["year"].astype(float).to_numpy()
        vals = g["growth_pct"].to_numpy(dtype=float, na_value=np.nan)
        for k, (xs, ys) in enumerate(cmp.segments(years, vals)):
            ax.plot(xs, ys, color=color, linestyle=style, linewidth=2.2, marker="o", markersize=5,
                    label=g["label"].iloc[0] if k == 0 else None)
    ax.axhline(0, color="#444444", linewidth=1)


def plot_base2019(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Two panels (total assets, revenue), growth against the base year; IPEDS caveat printed on the chart."""
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    fig, axes = plt.subplots(1, 2, figsize=(17, 7.6))
    base = int(frame["base_year"].iloc[0])
    for ax, m in zip(axes, cmp.MEASURES):
        _draw(ax, frame[frame["measure"] == m])
        ax.set_title(t(f"Total assets, growth since {base} (%)", f"資産合計（B/S規模）{base}年度比（％）") if m == "assets"
                     else t(f"Revenue, growth since {base} (%)", f"収益 {base}年度比（％）"), fontsize=16)
        ax.set_xlabel(t("fiscal year (US: ending in; Japan: 年度 starting in)", "年度（米国は終了年、日本は開始年）"))
        ax.set_xticks(sorted(frame["year"].dropna().astype(int).unique()))
    axes[1].text(0.01, 0.99, plotting.wrap_note(t(*IPEDS_CAVEAT), 52), transform=axes[1].transAxes, fontsize=10,
                 va="top", ha="left", color="#1f3b73", bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999"})
    axes[0].legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def plot_base2006(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Revenue and assets growth against 2006; the 私大連 2014/15 accounting break is marked."""
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    fig, axes = plt.subplots(1, 2, figsize=(17, 7.2), gridspec_kw={"width_ratios": [1.4, 1]})
    for ax, m in zip(axes, ("revenue", "assets")):
        sub = frame[frame["measure"] == m]
        _draw(ax, sub)
        ax.axvline(cmp.DECK_BASE, color="#999999", linewidth=1, linestyle=":")
        ax.set_title(t(f"{'Revenue' if m == 'revenue' else 'Total assets'}, growth since 2006 (%)",
                       f"{'収益' if m == 'revenue' else '資産合計'} 2006年度比（％）"), fontsize=16)
        ax.set_xlabel(t("fiscal year", "年度"))
        ax.set_xlim(cmp.DECK_VIEW_START - 1, int(frame["year"].max()) + 1)
        ax.set_xticks(list(range(cmp.DECK_VIEW_START, int(frame["year"].max()) + 1, 4)))
        ax.legend(loc="upper left", fontsize=11)
    lo, hi = cmp.SHIDAIREN_BREAK
    ax = axes[0]
    ax.axvspan(lo, hi, color="#f2c4c4", alpha=0.6, linewidth=0)
    brk = frame[(frame["institution"] == cmp.SHIDAIREN_ENTITY) & (frame["flags"].str.contains("B"))]
    ax.scatter(brk["year"].astype(float), brk["growth_pct"].astype(float), marker="D", s=90, color="#d62728",
               zorder=4)
    ax.annotate(t("B: 私大連 basis change FY2014→FY2015 (帰属収入 → 事業活動収入)",
                  "B: 私大連 FY2014→2015 会計基準変更（帰属収入→事業活動収入）"),
                xy=(hi, float(brk["growth_pct"].iloc[0]) if len(brk) else 0.0), xytext=(2001, -25), fontsize=10,
                arrowprops={"arrowstyle": "->", "color": "#d62728"}, color="#d62728")
    fig.tight_layout()
    return fig


def note_base2019(frame: pd.DataFrame, excluded: list[str], lang: str = "ja", auto_jp: bool = True) -> str:
    """Which institutions and years each line covers, sources, conventions (computed from the frame)."""
    lines = cmp.line_coverage(frame, lang)
    n = int(frame.loc[frame["institution"] == "niad_total", "label"].str.extract(r"(\d+)")[0].iloc[0])
    if lang == "en":
        lines.append(f"National-university total: sum of the {n} NIAD corporations reported in every fiscal year, "
                     f"computed by sangaku; left out (mergers, not reported every year): {', '.join(excluded)}. "
                     + ("Japanese universities by name: the five largest by FY2019 total assets. " if auto_jp else
                        "Japanese universities by name: as chosen (jp_universities). ")
                     + "Sources: IPEDS Finance "
                     "F2 (F2A02 total assets, F2B01 total revenues and investment return), NCES via "
                     "datawithinreach/ipeds-data-viz; NIAD 国立大学法人等 財務諸表 (資産合計, 経常収益) via t46. US "
                     "fiscal years end June 30 (Stanford Aug 31) of the year named; Japanese 年度 start in April of "
                     "the year named. " + IPEDS_CAVEAT[0])
    else:
        lines.append(f"国立大学法人計: 全年度に計上のある{n}法人の合計（sangaku による計算値）。除外（統合等で全年度に"
                     f"ない法人）: {'、'.join(excluded)}。"
                     + ("日本の個別大学は2019年度資産合計の上位5校。" if auto_jp else "日本の個別大学は指定どおり（jp_universities）。")
                     + "出典: IPEDS "
                     "Finance F2（F2A02 資産合計、F2B01 収益および投資収益の合計、NCES、datawithinreach/ipeds-data-viz "
                     "経由）、大学改革支援・学位授与機構「国立大学法人等 財務諸表」（資産合計、経常収益、t46 経由）。米国の"
                     "年度はその年の6月30日（スタンフォード大は8月31日）に終了、日本の年度はその年の4月に開始。"
                     + IPEDS_CAVEAT[1])
    return "\n".join(lines)


def note_base2006(frame: pd.DataFrame, lang: str = "ja") -> str:
    """Lines, years and gaps of the base-2006 view; the 私大連 break and scope."""
    lines = cmp.line_coverage(frame, lang)
    if lang == "en":
        lines.append("Every collected series with a 2006 value; no US total-assets series reaches 2006 (IPEDS F2 "
                     "starts FY2019) and no national-university revenue. Gaps are not bridged (the 私大連 series is "
                     "biennial before FY2014). 私大連 (JAPUC) 加盟大学部門, 表7: before FY2015 帰属収入 "
                     "(消費収支計算書), from FY2015 事業活動収入 — a definitional break, marked B. Harvard: operating "
                     "revenue, fiscal year ending June 30; Japan: 年度. Tohoku: Board of Audit FY2006-07, NIAD FY2019-24.")
    else:
        lines.append("2006年度の値がある収録系列をすべて描く。米国の資産合計は2006年に届かない（IPEDS F2 は2019年度から）、"
                     "国立大学の収益も同様。欠測は結ばない（私大連は2014年度以前隔年）。私大連 加盟大学部門（表7）は"
                     "2014年度まで帰属収入（消費収支計算書）、2015年度から事業活動収入: 定義の断絶（B）。ハーバード大は"
                     "operating revenue（6月30日終了の会計年度）、日本は年度。東北大は会計検査院（2006–07年度）と"
                     "NIAD（2019–24年度）。")
    return "\n".join(lines)


def make(frames: dict[str, pd.DataFrame], compare_base_year: int = cmp.COMPARE_BASE,
         jp_universities: list[str] | None = None, us_institutions: list[str] | None = None, lang: str = "ja",
         output_dir: str | Path = "") -> dict[str, Any]:
    """Both views: frames, figures, notes, written as png/svg/csv into the figure's folder."""
    outdir = resolve_output_dir(output_dir, "figures", STEM)
    f19 = cmp.base2019_frame(frames, compare_base_year, jp_universities, us_institutions, lang)
    _, _, excluded = cmp.niad_balanced(frames["japan"], "assets")
    fig19 = plot_base2019(f19, lang)
    n19 = note_base2019(f19, excluded, lang, auto_jp=not jp_universities)
    plotting.add_note(fig19, n19, width_em=118)
    f06 = cmp.base2006_frame(frames, lang)
    fig06 = plot_base2006(f06, lang)
    n06 = note_base2006(f06, lang)
    plotting.add_note(fig06, n06, width_em=118)
    p19 = plotting.save(fig19, f19, outdir, f"{STEM}_ipeds_niad_base{compare_base_year}")
    p06 = plotting.save(fig06, f06, outdir, f"{STEM}_all_series_base{cmp.DECK_BASE}")
    return {"base2019": {"data": f19, "figure": fig19, "note": n19, "paths": p19},
            "base2006": {"data": f06, "figure": fig06, "note": n06, "paths": p06}}
