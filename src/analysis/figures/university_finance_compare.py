"""Deck figure 7 with the newly collected data: a complete base-2019 comparison and the deck's base-2006 view.

**Base 2019** (``base2019_frame``): total assets and revenue of five US private universities (IPEDS Finance F2:
``F2A02`` total assets, ``F2B01`` total revenues *and investment return*, fiscal years ending 2019-2023) and of
Japanese national universities (NIAD 財務諸表: 資産合計, 経常収益, 年度 2019-2024): the largest by name and the
total of the corporations reported in every year (computed by sangaku; mergers change the set, so the ones not in
every year are left out and named in the note). F2B01 includes investment gains and losses; the F2 lines that
would remove them (F2D components) are not in the collected extract, which the chart says.

**Base 2006** (``base2006_frame``): every collected series with a 2006 value: Harvard operating revenue, the
私大連 加盟大学部門 revenue (事業活動収入, before FY2015 帰属収入: the 2014/15 accounting-standard break is marked), and
Tohoku University's total assets (the national-university points: FY2006-07, then NIAD FY2019-24). A year without
a value is a gap: lines join consecutive years only.

Growth = value / base-year value × 100 (index) − 100, each institution in its own currency. Years are named as
each source names them: US fiscal years by the year they end (June 30; Stanford August 31), Japanese 年度 by the
year they start (April); "2019" thus means July 2018-June 2019 for Harvard and April 2019-March 2020 for Tokyo.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..sources import japan as japan_src
from . import university_finance_data as base_fig
from .common import check_int, check_keys, is_auto, year_ranges

DATASETS = ("japan", "ipeds_f2_top5_private", "t46_extracts_phd_shidairen")
MEASURES = ("assets", "revenue")
IPEDS = {"assets": "ipeds_f2_total_assets", "revenue": "ipeds_f2_total_revenues_and_investment_return"}
NIAD = {"assets": "niad_assets", "revenue": "niad_revenue_total"}
SHIDAIREN_REVENUE = "jp_private_univ_shidairen_univdiv_revenue_total"
SHIDAIREN_ENTITY = "私大連 加盟大学部門"
SHIDAIREN_BREAK = (2014, 2015)  # last year on the 帰属収入 basis, first on 事業活動収入
N_LARGEST = 5
COMPARE_BASE = 2019
DECK_BASE = 2006
DECK_VIEW_START = 2000  # the 私大連 series starts in 1972; the base-2006 view is drawn from 2000 (Harvard's first year)
NAMES_EN = {"私大連 加盟大学部門": "JAPUC member universities (私大連)", "東北大学": "Tohoku University"}
PARAMS = ("compare_base_year", "jp_universities", "us_institutions")


def _grid(s: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """One row per year from first to last (gaps NaN), with index and growth against ``base_year``."""
    s = s.sort_values("year")
    base = float(s.loc[s["year"] == base_year, "value"].iloc[0])
    years = pd.DataFrame({"year": range(int(s["year"].min()), int(s["year"].max()) + 1)})
    g = years.merge(s.assign(year=s["year"].astype(int)), on="year", how="left")
    g["base_year"], g["base_value"] = base_year, base
    g["index"] = g["value"] / base * 100.0
    g["growth_pct"] = g["index"] - 100.0
    g["gap"] = g["value"].isna()
    return g


def niad_balanced(japan: pd.DataFrame, measure: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Total of the NIAD corporations with a value in every year (computed), the ones included and left out."""
    sub = japan[(japan["indicator"] == NIAD[measure]) & (japan["entity"] != "-")]
    years = sorted(int(y) for y in sub["year"].unique())
    per = sub.groupby("entity")["year"].nunique()
    keep = sorted(per[per == len(years)].index)
    left = sorted(per[per < len(years)].index)
    tot = (sub[sub["entity"].isin(keep)].groupby("year", as_index=False)["value"].sum())
    tot = tot.assign(year_type="fiscal_jp", unit="JPY", source_id="T46_NIAD_FINANCE", flags="",
                     reliability="computed", note=f"sum of {len(keep)} corporations reported FY{years[0]}-{years[-1]}")
    return tot, keep, left


def largest_niad(japan: pd.DataFrame, n: int = N_LARGEST, year: int = COMPARE_BASE) -> list[str]:
    """The ``n`` national universities with the largest total assets in ``year`` (largest first)."""
    sub = japan[(japan["indicator"] == NIAD["assets"]) & (japan["year"] == year) & (japan["entity"] != "-")]
    return sub.sort_values(["value", "entity"], ascending=[False, True])["entity"].head(n).tolist()


def validate_compare(params: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    """Check the base-2019 parameters against the data: base year, Japanese and US institutions."""
    check_keys(params, PARAMS)
    p = {"compare_base_year": COMPARE_BASE, "jp_universities": [], "us_institutions": [], **params}
    base = check_int("compare_base_year", p["compare_base_year"])
    ip, jp = frames["ipeds_f2_top5_private"], frames["japan"]
    us_years = sorted(int(y) for y in ip["year"].unique())
    jp_years = sorted(int(y) for y in jp.loc[jp["indicator"] == NIAD["assets"], "year"].unique())
    both = sorted(set(us_years) & set(jp_years))
    if base not in both:
        raise ParameterError("compare_base_year", base, "not a year with both IPEDS and NIAD data", both)
    for name, have in (("us_institutions", sorted(set(ip["entity"]))),
                       ("jp_universities", sorted(set(jp.loc[jp["indicator"] == NIAD["assets"], "entity"]) - {"-"}))):
        val = p[name]
        if not isinstance(val, (list, tuple)):
            raise ParameterError(name, val, "expected a list ([] = automatic choice)", have)
        for v in val:
            if v not in have:
                raise ParameterError(name, v, "no data for this institution", have)
            if name == "jp_universities":
                ys = set(jp.loc[(jp["indicator"] == NIAD["assets"]) & (jp["entity"] == v), "year"].astype(int))
                if base not in ys:
                    raise ParameterError("compare_base_year", base, f"{v} has no NIAD value in this year; "
                                         f"years with data: {year_ranges(ys)}", sorted(ys))


def validate_params(params: dict[str, Any], frames: dict[str, pd.DataFrame] | None = None) -> None:
    """The notebook's validate hook: the deck-view parameters (``university_finance_data``) and the base-2019 ones."""
    from .. import data

    frames = frames or {name: data.load(name) for name in DATASETS}
    deck = {k: v for k, v in params.items() if k not in PARAMS}
    base_fig.validate_params(deck, frames["japan"])
    validate_compare({k: v for k, v in params.items() if k in PARAMS}, frames)


def base2019_frame(frames: dict[str, pd.DataFrame], compare_base_year: int = COMPARE_BASE,
                   jp_universities: list[str] | None = None, us_institutions: list[str] | None = None,
                   lang: str = "ja") -> pd.DataFrame:
    """US (IPEDS) and Japanese (NIAD) growth against ``compare_base_year`` for both measures (long frame)."""
    jp_universities = list(jp_universities or [])
    us_institutions = list(us_institutions or [])
    validate_compare({"compare_base_year": compare_base_year, "jp_universities": jp_universities,
                      "us_institutions": us_institutions}, frames)
    ip, jp = frames["ipeds_f2_top5_private"], frames["japan"]
    us = us_institutions or sorted(set(ip["entity"]))
    jps = jp_universities or largest_niad(jp, N_LARGEST, compare_base_year)
    out = []
    for m in MEASURES:
        for inst in us:
            s = ip[(ip["indicator"] == IPEDS[m]) & (ip["entity"] == inst)]
            out.append(_grid(s, compare_base_year).assign(
                institution=inst, label=inst, country="USA", measure=m, computed=False, source_indicator=IPEDS[m]))
        for inst in jps:
            s = jp[(jp["indicator"] == NIAD[m]) & (jp["entity"] == inst)]
            lab = japan_src.entity_label(inst, "en") if lang == "en" else inst
            out.append(_grid(s, compare_base_year).assign(
                institution=inst, label=lab, country="JPN", measure=m, computed=False, source_indicator=NIAD[m]))
        tot, keep, _ = niad_balanced(jp, m)
        lab = (f"National universities, total of {len(keep)} (computed)" if lang == "en"
               else f"国立大学法人 {len(keep)}法人計（計算値）")
        out.append(_grid(tot, compare_base_year).assign(
            institution="niad_total", label=lab, country="JPN", measure=m, computed=True,
            source_indicator=NIAD[m]))
    cols = ["measure", "institution", "label", "country", "year", "year_type", "value", "unit", "base_year",
            "base_value", "index", "growth_pct", "gap", "computed", "source_indicator", "source_id", "reliability",
            "flags", "note"]
    return pd.concat(out, ignore_index=True).reindex(columns=cols)


def base2006_frame(frames: dict[str, pd.DataFrame], lang: str = "ja") -> pd.DataFrame:
    """Every collected series with a value in 2006, as growth against 2006 (revenue and assets)."""
    jp, t46 = frames["japan"], frames["t46_extracts_phd_shidairen"]
    parts = []
    for inst, m in (("Harvard University", "revenue"), ("東北大学", "assets")):
        s = base_fig.series(jp, inst, m)
        meta = base_fig.INSTITUTIONS[inst]
        parts.append(_grid(s, DECK_BASE).assign(institution=inst, label=meta["en"] if lang == "en" else meta["ja"],
                                                country=meta["country"], measure=m))
    s = t46[(t46["indicator"] == SHIDAIREN_REVENUE) & (t46["entity"] == SHIDAIREN_ENTITY)]
    parts.append(_grid(s, DECK_BASE).assign(
        institution=SHIDAIREN_ENTITY, label=NAMES_EN[SHIDAIREN_ENTITY] if lang == "en" else SHIDAIREN_ENTITY,
        country="JPN", measure="revenue"))
    cols = ["measure", "institution", "label", "country", "year", "year_type", "value", "unit", "base_year",
            "base_value", "index", "growth_pct", "gap", "source_id", "reliability", "flags", "note"]
    out = pd.concat(parts, ignore_index=True).reindex(columns=cols)
    out["flags"] = out["flags"].fillna("")
    return out[out["year"] >= DECK_VIEW_START].reset_index(drop=True)


def line_coverage(frame: pd.DataFrame, lang: str = "ja") -> list[str]:
    """One line per drawn series: label, measure, years with data and gaps, sources (for the note)."""
    en = lang == "en"
    out = []
    for (m, _inst), g in frame.groupby(["measure", "institution"], sort=False):
        have = g.loc[~g["gap"], "year"].astype(int)
        gaps = g.loc[g["gap"], "year"].astype(int)
        srcs = ", ".join(dict.fromkeys(str(s) for s in g.loc[~g["gap"], "source_id"]))
        mname = {"assets": ("assets", "資産"), "revenue": ("revenue", "収益")}[m][0 if en else 1]
        gap_txt = (f" (gaps {year_ranges(gaps)})" if en else f"（欠測 {year_ranges(gaps)}）") if len(gaps) else ""
        out.append(f"{g['label'].iloc[0]} [{mname}]: {year_ranges(have)}{gap_txt}; {srcs}")
    return out


def segments(years: np.ndarray, values: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Runs of consecutive years with values (a gap ends a run), for drawing lines that never bridge a gap."""
    runs, cur = [], []
    for y, v in zip(years, values):
        if np.isnan(v):
            if cur:
                runs.append(cur)
            cur = []
        else:
            cur.append((y, v))
    if cur:
        runs.append(cur)
    return [(np.array([a for a, _ in r]), np.array([b for _, b in r])) for r in runs]


__all__ = ["base2019_frame", "base2006_frame", "niad_balanced", "largest_niad", "line_coverage", "segments",
           "validate_compare", "is_auto"]
