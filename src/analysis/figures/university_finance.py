"""Deck figure 7: growth of Japanese and US university finances against a base year (deck: 2006).

The deck (（参考）日米の大学の財務比較: 日米大学のB/S規模成長率推移 / 収益規模成長率推移, 2006年を基準とした各年の成長率,
from each university's financial reports) compares the growth of total assets and of revenue. The project holds:

- Harvard University: operating revenue FY2000-FY2024 with gaps (FY2001, 2003, 2004, 2007 missing); in data/raw/japan
  no total-assets series (only net assets in three years and the endowment, which are not the balance-sheet total;
  IPEDS F2 total assets FY2019-2023 are drawn by ``university_finance_compare``);
- Japanese national universities: NIAD per-university financial statements FY2019-FY2024 (資産合計, 経常収益) and a few
  earlier points from audit reports, university disclosures and news (UTokyo FY2012/2017/2018/2021, Kyoto assets
  FY2005/2008/2010-12, Tohoku assets FY2006-07);
- all national university corporations together: total assets FY2005, 経常収益 FY2013 and FY2015.

Growth is ``value / value[base_year] - 1`` in % for each institution in its own currency (no conversion needed).
A year without a value is a gap: the line breaks there, nothing is bridged or interpolated. A base year in which an
institution has no value is a ``ParameterError`` listing the years it has. Where several sources give a value for the
same institution and year, ``analysis.sources.japan.best`` picks one by reliability and the others are kept in the
data (``alternatives``).

Years: Harvard's fiscal year ends on June 30 of the named year; Japanese 年度 start in April of the named year, so
"2006" is July 2005-June 2006 for Harvard and April 2006-March 2007 for Japanese universities (the deck's alignment).

The institutions, series, parameter checks (the notebook's validate hook) and growth frames are in
:mod:`university_finance_data`, which imports no drawing code; this module draws and writes the figure and
re-exports those names, which the notebook and tests use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting
from .common import relative, resolve_output_dir, year_ranges
from .university_finance_data import (_SERIES_CACHE, DATA_NAME, DEFAULT_BASE_YEAR, DEFAULT_MEASURE,  # noqa: F401
                                      INSTITUTIONS, MEASURES, NIAD_INDICATORS, PARAMS, _niad_names, _series,
                                      available_years, best_common_base_year, common_base_years, coverage,
                                      growth_frame, institution_names, resolve_institutions, series,
                                      validate_params)

STEM = "fig07_university_finance_us_jp"
US_COLORS = ["#1f77b4", "#17becf", "#393b79"]
JP_COLORS = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#9467bd"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def plot(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Growth lines; a missing year breaks the line, single points get a marker."""
    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    fig, ax = plt.subplots(figsize=(12, 6.6))
    us_i = jp_i = 0
    for k, (inst, g) in enumerate(frame.groupby("institution", sort=False)):
        if g["country"].iloc[0] == "USA":
            color, us_i = US_COLORS[us_i % len(US_COLORS)], us_i + 1
        else:
            color, jp_i = JP_COLORS[jp_i % len(JP_COLORS)], jp_i + 1
        years = g["year"].astype(float).to_numpy()
        ax.plot(years, g["growth_pct"].to_numpy(dtype=float, na_value=np.nan), color=color, linewidth=2.4,
                marker=MARKERS[k % len(MARKERS)], markersize=7, label=g["label"].iloc[0])
    ax.axhline(0, color="#444444", linewidth=1)
    base = int(frame["base_year"].iloc[0])
    ax.axvline(base, color="#999999", linewidth=1, linestyle=":")
    ax.set_xlabel(t("fiscal year", "年度"))
    ax.set_ylabel(t(f"growth since {base}, %", f"{base}年度比 成長率（％）"))
    ymin, ymax = ax.get_ylim()
    ax.set_ylim(min(ymin, -10), ymax)
    m = frame["measure"].iloc[0]
    ax.set_title(t(f"Growth of university {MEASURES[m][0]}, {base} = 0 %",
                   f"日米大学の{ '資産合計（B/S規模）' if m == 'assets' else '収益規模'}成長率（{base}年度を基準）"),
                 fontweight="normal")
    ax.legend(loc="upper left", fontsize=12)
    xs = frame["year"].dropna().astype(int)
    step = 2 if xs.max() - xs.min() > 12 else 1
    ax.set_xticks(list(range(int(xs.min()), int(xs.max()) + 1, step)))
    ax.tick_params(axis="x", labelsize=12)
    fig.tight_layout()
    return fig


def note(frame: pd.DataFrame, lang: str = "ja") -> str:
    """Exactly which institutions and years the chart covers, sources, gaps and cautions (computed)."""
    en = lang == "en"
    lines = []
    for inst, g in frame.groupby("institution", sort=False):
        have = g.loc[~g["gap"], "year"].astype(int)
        gaps = g.loc[g["gap"], "year"].astype(int)
        srcs = ", ".join(dict.fromkeys(g.loc[~g["gap"], "source_id"]))
        line = (f"{g['label'].iloc[0]}: {year_ranges(have)}" + (f" (gaps: {year_ranges(gaps)})" if len(gaps) else "")
                + f"; sources {srcs}") if en else \
               (f"{g['label'].iloc[0]}: {year_ranges(have)}" + (f"（欠測: {year_ranges(gaps)}）" if len(gaps) else "")
                + f"；出典 {srcs}")
        lines.append(line)
    if en:
        lines.append("Growth = value / base-year value − 1, each institution in its own currency. Gaps are not "
                     "bridged. Harvard: fiscal year ending June 30; Japan: 年度 (April–March). Harvard's total assets "
                     "are collected only from FY2019 (IPEDS F2, the base-2019 comparison); net assets and endowment "
                     "are different concepts. Sources: "
                     "NIAD 国立大学法人等 財務諸表 (via t46/gov-sci-tech-watcher), Board of Audit, university reports, "
                     "Harvard Magazine / Gazette; see data/raw/japan/SOURCE.md. Reliability per point is in the CSV.")
    else:
        lines.append("成長率 = 各年度の値 ÷ 基準年度の値 − 1（各大学の自国通貨のまま）。欠測年は線を結ばない。"
                     "ハーバード大は6月末終了の会計年度、日本は4月–3月の年度。ハーバード大の資産合計は2019年度以降のみ"
                     "（IPEDS F2、2019年度基準の比較を参照）。純資産・基金は別概念。出典: 大学改革支援・学位授与機構「国立大学法人等 財務諸表」"
                     "（t46/gov-sci-tech-watcher 経由）、会計検査院、各大学資料、Harvard Magazine / Gazette 等。"
                     "各点の信頼度はCSVに記載（data/raw/japan/SOURCE.md）。")
    return "\n".join(lines)


def make(tidy: pd.DataFrame, base_year: int = DEFAULT_BASE_YEAR, institutions: Any = "auto",
         measure: str = DEFAULT_MEASURE, lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Validate, compute growth, draw, save png/svg/csv; return {'data', 'figure', 'note', 'paths'}."""
    validate_params({"base_year": base_year, "institutions": institutions, "measure": measure, "lang": lang,
                     "output_dir": str(output_dir)}, tidy)
    frame = growth_frame(tidy, base_year, institutions, measure, lang)
    fig = plot(frame, lang)
    text = note(frame, lang)
    plotting.add_note(fig, text, width_em=80)
    stem = f"{STEM}_{measure}_{base_year}"
    out = plotting.save(fig, frame, resolve_output_dir(output_dir, "figures", STEM), stem)
    return {"data": frame, "figure": fig, "note": text, "paths": out}


__all__ = ["make", "growth_frame", "plot", "note", "validate_params", "available_years", "coverage",
           "common_base_years", "best_common_base_year", "relative", "INSTITUTIONS", "MEASURES"]
