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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import data, labels, plotting
from ..errors import ParameterError
from ..sources import japan as japan_src
from ..sources.japan_select import FrameCache, content_key
from .common import check_int, check_keys, relative, resolve_output_dir, year_ranges

STEM = "fig07_university_finance_us_jp"
DATA_NAME = "japan"
PARAMS = ("base_year", "institutions", "measure", "lang", "output_dir")
DEFAULT_BASE_YEAR = 2006
MEASURES: dict[str, tuple[str, str]] = {
    "assets": ("total assets (balance-sheet size)", "資産合計（B/S規模）"),
    "revenue": ("revenue (operating revenue / 経常収益)", "収益（経常収益・operating revenue）"),
}
DEFAULT_MEASURE = "revenue"

# Named institutions: entity in the japan data, country, English name, and the indicators behind each measure.
# NIAD rows carry the university's Japanese name as entity, so any NIAD university can also be chosen by name.
INSTITUTIONS: dict[str, dict[str, Any]] = {
    "Harvard University": {"country": "USA", "en": "Harvard University", "ja": "ハーバード大学",
                           "assets": [], "revenue": ["harvard_operating_revenue"]},
    "東京大学": {"country": "JPN", "en": "University of Tokyo", "ja": "東京大学",
             "assets": ["niad_assets", "utokyo_total_assets"],
             "revenue": ["niad_revenue_total", "utokyo_recurring_revenue"]},
    "京都大学": {"country": "JPN", "en": "Kyoto University", "ja": "京都大学",
             "assets": ["niad_assets", "kyoto_total_assets"],
             "revenue": ["niad_revenue_total", "kyoto_recurring_revenue"]},
    "東北大学": {"country": "JPN", "en": "Tohoku University", "ja": "東北大学",
             "assets": ["niad_assets", "tohoku_total_assets"], "revenue": ["niad_revenue_total"]},
    "国立大学法人": {"country": "JPN", "en": "All national university corporations", "ja": "国立大学法人 合計",
               "assets": ["jp_national_univ_total_assets"], "revenue": ["jp_national_univ_recurring_revenue"]},
}
NIAD_INDICATORS = {"assets": "niad_assets", "revenue": "niad_revenue_total"}
US_COLORS = ["#1f77b4", "#17becf", "#393b79"]
JP_COLORS = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#9467bd"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def _niad_names(tidy: pd.DataFrame, measure: str) -> list[str]:
    ind = NIAD_INDICATORS[measure]
    return sorted(set(tidy.loc[tidy["indicator"] == ind, "entity"]) - {"-"})


def institution_names(tidy: pd.DataFrame, measure: str) -> list[str]:
    """Institutions that can be drawn for ``measure``: named ones with data, then other NIAD universities."""
    named = [k for k, v in INSTITUTIONS.items() if v[measure]]
    return named + [n for n in _niad_names(tidy, measure) if n not in named]


# ``series`` results by (content of the selected rows, measure): one notebook run asks for the same institution
# and measure ~100 times (coverage, validation, base-year search). The result depends only on those rows and the
# measure, so the key is their content (``japan_select.content_key``), never the frame's identity.
_SERIES_CACHE = FrameCache(256)


def series(tidy: pd.DataFrame, institution: str, measure: str) -> pd.DataFrame:
    """One value per year of ``measure`` for ``institution`` (best source by reliability), in base units."""
    inds = INSTITUTIONS[institution][measure] if institution in INSTITUTIONS else [NIAD_INDICATORS[measure]]
    entity = institution
    sub = tidy[tidy["indicator"].isin(inds) & (tidy["entity"] == entity) & tidy["year"].notna()]
    if sub.empty:
        return sub.assign(n_sources=pd.Series(dtype="int64"), alternatives=pd.Series(dtype="string"),
                          max_rel_diff=pd.Series(dtype="float64"), source_indicator=pd.Series(dtype="string"))
    return _SERIES_CACHE.copy_of((content_key(sub), measure), lambda: _series(sub, measure))


def _series(sub: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``series`` of the rows ``sub`` (one institution, the measure's indicators), without the cache."""
    merged = sub.assign(source_indicator=sub["indicator"], indicator=measure)
    best = japan_src.best(merged.drop(columns="source_indicator"), measure)
    # keep which raw indicator the chosen value came from
    which = merged[["year", "source_id", "source_indicator"]].drop_duplicates(["year", "source_id"])
    return best.merge(which, on=["year", "source_id"], how="left", validate="one_to_one")


def available_years(tidy: pd.DataFrame, institution: str, measure: str) -> list[int]:
    """Years in which ``institution`` has a value for ``measure``."""
    return sorted(int(y) for y in series(tidy, institution, measure)["year"])


def resolve_institutions(tidy: pd.DataFrame, institutions: Any, measure: str, base_year: int) -> list[str]:
    """``'auto'`` or ``[]`` = every named institution with a value in ``base_year``; else check the given list."""
    choices = institution_names(tidy, measure)
    if institutions == "auto" or (isinstance(institutions, (list, tuple)) and not institutions):
        out = [k for k in INSTITUTIONS if INSTITUTIONS[k][measure] and base_year in available_years(tidy, k, measure)]
        if not out:
            have = {k: year_ranges(available_years(tidy, k, measure)) for k in INSTITUTIONS if INSTITUTIONS[k][measure]}
            raise ParameterError("base_year", base_year, f"no named institution has {measure} data in this year; "
                                 "years per institution: " + "; ".join(f"{k}: {v}" for k, v in have.items()))
        return out
    if isinstance(institutions, str) or not isinstance(institutions, (list, tuple)):
        raise ParameterError("institutions", institutions, "expected 'auto', [] (= auto) or a list of institutions",
                             choices)
    out = []
    for inst in institutions:
        if inst not in choices:
            problem = (f"no {measure} data for this institution" if inst in INSTITUTIONS else "unknown institution")
            raise ParameterError("institutions", inst, problem, choices)
        if inst in out:
            raise ParameterError("institutions", institutions, f"{inst} is listed twice")
        have = available_years(tidy, inst, measure)
        if base_year not in have:
            raise ParameterError("base_year", base_year, f"{inst} has no {measure} value in this year; "
                                 f"years with data: {year_ranges(have)}", have)
        out.append(inst)
    return out


def validate_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check names and types of the parameters, then the institutions against the base year in the data.

    Without ``tidy`` the processed Japanese series are read, so that the runner's pre-kernel check also rejects
    a base year or institution without data.
    """
    check_keys(params, PARAMS)
    p = {"base_year": DEFAULT_BASE_YEAR, "institutions": "auto", "measure": DEFAULT_MEASURE, "lang": "ja",
         "output_dir": "", **params}
    base = check_int("base_year", p["base_year"])
    if p["measure"] not in MEASURES:
        raise ParameterError("measure", p["measure"], "unknown measure", list(MEASURES))
    labels.check_lang(p["lang"])
    if not isinstance(p["output_dir"], str):
        raise ParameterError("output_dir", p["output_dir"], "expected a folder path as text ('' = default)")
    inst = p["institutions"]
    if inst != "auto" and (isinstance(inst, str) or not isinstance(inst, (list, tuple))):
        raise ParameterError("institutions", inst, "expected 'auto', [] (= auto) or a list of institutions",
                             list(INSTITUTIONS))
    resolve_institutions(tidy if tidy is not None else data.load("japan"), inst, p["measure"], base)


def growth_frame(tidy: pd.DataFrame, base_year: int = DEFAULT_BASE_YEAR, institutions: Any = "auto",
                 measure: str = DEFAULT_MEASURE, lang: str = "ja") -> pd.DataFrame:
    """Growth against ``base_year`` per institution: one row per year on a complete grid (gaps are NaN rows)."""
    validate_params({"base_year": base_year, "institutions": institutions, "measure": measure, "lang": lang}, tidy)
    insts = resolve_institutions(tidy, institutions, measure, base_year)
    frames = []
    for inst in insts:
        s = series(tidy, inst, measure).sort_values("year")
        base_val = float(s.loc[s["year"] == base_year, "value"].iloc[0])
        years = range(int(s["year"].min()), int(s["year"].max()) + 1)
        grid = pd.DataFrame({"year": pd.array(list(years), dtype="Int64")})
        g = grid.merge(s, on="year", how="left")
        meta = INSTITUTIONS.get(inst, {"country": "JPN", "en": japan_src.entity_label(inst, "en"), "ja": inst})
        g["institution"] = inst
        g["label"] = meta["en"] if lang == "en" else meta["ja"]
        g["country"] = meta["country"]
        g["measure"] = measure
        g["base_year"] = base_year
        g["base_value"] = base_val
        g["index"] = g["value"] / base_val * 100.0
        g["growth_pct"] = g["index"] - 100.0
        g["gap"] = g["value"].isna()
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    cols = ["institution", "label", "country", "measure", "year", "year_type", "value", "unit", "base_year",
            "base_value", "index", "growth_pct", "gap", "source_indicator", "source_id", "reliability", "flags",
            "n_sources", "alternatives", "note"]
    return out[cols]


def coverage(tidy: pd.DataFrame, lang: str = "ja") -> pd.DataFrame:
    """Years with data per named institution and measure (what base years are possible)."""
    rows = []
    for inst, meta in INSTITUTIONS.items():
        for m in MEASURES:
            ys = available_years(tidy, inst, m) if meta[m] else []
            rows.append({"institution": meta["en"] if lang == "en" else meta["ja"], "measure": m,
                         "years": year_ranges(ys) if ys else ("none" if lang == "en" else "なし"),
                         "n_years": len(ys)})
    return pd.DataFrame(rows)


def common_base_years(tidy: pd.DataFrame, measure: str) -> list[int]:
    """Years in which at least one US and one Japanese named institution both have ``measure`` (possible bases)."""
    us, jp = set(), set()
    for inst, meta in INSTITUTIONS.items():
        if meta[measure]:
            (us if meta["country"] == "USA" else jp).update(available_years(tidy, inst, measure))
    return sorted(us & jp)


def best_common_base_year(tidy: pd.DataFrame, measure: str) -> int | None:
    """Among ``common_base_years``, the one most named institutions have data for (ties: the earliest)."""
    have = [set(available_years(tidy, k, measure)) for k, v in INSTITUTIONS.items() if v[measure]]
    counts = {y: sum(y in years for years in have) for y in common_base_years(tidy, measure)}
    if not counts:
        return None
    return min(counts, key=lambda y: (-counts[y], y))


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
