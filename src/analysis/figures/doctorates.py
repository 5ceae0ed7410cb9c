"""The deck's 博士人材 argument: doctorates per million population by country, and doctorate holders among the
researchers Japanese companies hire.

- **Doctorates per million population** (computed by sangaku): doctoral degrees awarded, NISTEP 科学技術指標2025
  表3-4-4 (via t46/gov-sci-tech-watcher), divided by total population, OECD MSTI ``TOT_POP.PS`` (the vintage
  built, which the note names: :mod:`analysis.vintage_text`), × 1e6. NISTEP publishes its own per-million table (表3-4-3), which is not in the collected data; the
  values its editions print in their text (``nistep_text_phd_bizres_2``) are the check (``published_check``):
  NISTEP revises counts between editions, so an older edition can differ from the 2025 counts.
- **Share of doctorate holders among newly hired company researchers**, Japan, by industry, FY2016-2023
  (NISTEP 表2-1-18 from 総務省 科学技術研究調査), as published (share, hires, doctorate holders).

Years: Japan's doctorates are 年度 (April-March) and are divided by Japan's calendar-year population; other
countries' years are as NISTEP labels them (its notes define them per country; the US counts are research
doctorates). A year without a count or a population is a gap, never filled. MSTI flags on the population are
carried into the data. The parameters and their check (the notebook's validate hook) are in
:mod:`doctorates_params`.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting, vintage_text
from ..errors import DataFileError
from .common import check_keys, check_year_range, is_auto, relative, resolve_output_dir, year_ranges  # noqa: F401
from .doctorates_params import (DATASETS, DEFAULT_START, HIRES, HOLDERS, PARAMS, PHD, SHARE,  # noqa: F401
                                validate_params)

STEM = "fig10_doctorates_per_million"
COUNTRIES = ["JPN", "USA", "DEU", "FRA", "GBR", "CHN", "KOR"]
POP = "TOT_POP.PS._Z._Z"
PUBLISHED = "phd_per_million_pop"
# NISTEP_TEXT SOURCE.md: 3-4-4 counts / MSTI population reproduce the published per-million values within ±2
TOLERANCE = 2.0
INDUSTRY_FILE = Path(__file__).with_name("doctorates_industries.toml")
COMPUTED = ("computed by sangaku: NISTEP 表3-4-4 doctorates ÷ OECD MSTI population",
            "sangaku による計算: NISTEP 表3-4-4 博士号取得者数 ÷ OECD MSTI 人口")


@functools.lru_cache(maxsize=2)
def industry_names(path: Path = INDUSTRY_FILE) -> dict[str, dict[str, Any]]:
    """Japanese industry name -> {'en': English name, 'total': aggregate?} (``doctorates_industries.toml``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))["industries"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the industry names: {exc}") from exc


def per_million(phd: pd.DataFrame, msti: pd.DataFrame, countries: list[str] | None = None,
                start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """Doctorates per million population per country and year where both the count and the population exist."""
    countries = countries or COUNTRIES
    c = phd[(phd["indicator"] == PHD) & phd["entity"].isin(countries)]
    p = msti[(msti["indicator"] == POP) & msti["entity"].isin(countries)]
    out = c[["entity", "year", "year_type", "value", "source_id"]].rename(
        columns={"value": "doctorates", "year_type": "doctorates_year_type"}).merge(
        p[["entity", "year", "value", "flags"]].rename(columns={"value": "population", "flags": "population_flags"}),
        on=["entity", "year"], how="left", validate="one_to_one")
    out["per_million"] = out["doctorates"] / out["population"] * 1e6
    out["computed"] = COMPUTED[0]
    if start is not None:
        out = out[(out["year"] >= start) & (out["year"] <= end)]
    return out.sort_values(["entity", "year"], kind="mergesort").reset_index(drop=True)


def published_check(frame: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """Every NISTEP-published per-million value with a year, for the countries in ``frame``, against the computed
    value (|difference| ≤ 2 = agrees)."""
    from ..sources import nistep_text

    pub = text[(text["indicator"] == PUBLISHED) & text["year"].notna() & text["entity"].isin(set(frame["entity"]))]
    rows = []
    for _, r in pub.sort_values(["entity", "year", "source_id"], kind="mergesort").iterrows():
        ours = frame[(frame["entity"] == r["entity"]) & (frame["year"] == r["year"])]
        val = float(ours["per_million"].iloc[0]) if len(ours) and pd.notna(ours["per_million"].iloc[0]) else np.nan
        diff = val - r["value"] if pd.notna(val) else np.nan
        status = ("no computed value" if pd.isna(val) else "agrees" if abs(diff) <= TOLERANCE
                  else "differs (NISTEP revises counts between editions)")
        rows.append({"entity": r["entity"], "year": int(r["year"]), "edition": nistep_text.edition(r["source_id"]),
                     "published": float(r["value"]), "computed": round(val, 1) if pd.notna(val) else np.nan,
                     "difference": round(diff, 1) if pd.notna(diff) else np.nan, "status": status,
                     "source_id": r["source_id"], "reliability": r["reliability"]})
    return pd.DataFrame(rows)


def new_hire_shares(t46: pd.DataFrame, industries: list[str] | None = None) -> pd.DataFrame:
    """Share (%), hires and doctorate holders per industry and fiscal year, as published in 表2-1-18."""
    sub = t46[t46["indicator"].isin([SHARE, HIRES, HOLDERS])]
    wide = sub.pivot_table(index=["entity", "year"], columns="indicator", values="value", aggfunc="first")
    wide = wide.rename(columns={SHARE: "share_pct", HIRES: "new_hires", HOLDERS: "doctorate_holders"}).reset_index()
    if industries:
        wide = wide[wide["entity"].isin(industries)]
    names = industry_names()
    wide["industry_en"] = wide["entity"].map(lambda e: names.get(e, {}).get("en", e))
    wide["aggregate"] = wide["entity"].map(lambda e: bool(names.get(e, {}).get("total", False)))
    return wide.rename(columns={"entity": "industry"}).sort_values(["industry", "year"]).reset_index(drop=True)


def plot(pm: pd.DataFrame, shares: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """(a) doctorates per million by country, gaps break the lines; (b) doctorate share of new hires by industry."""
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(17, 7.4), gridspec_kw={"width_ratios": [1.1, 1]})
    lo, hi = int(pm["year"].min()), int(pm["year"].max())
    order = [c for c in COUNTRIES if c in set(pm["entity"])] + sorted(set(pm["entity"]) - set(COUNTRIES))
    for code in order:
        g = pm[pm["entity"] == code]
        grid = pd.DataFrame({"year": range(lo, hi + 1)}).merge(g[["year", "per_million"]], on="year", how="left")
        ax.plot(grid["year"], grid["per_million"].to_numpy(dtype=float, na_value=np.nan), marker="o", markersize=4,
                linewidth=2.2, color=plotting.color(code), label=labels.area_name(code, lang))
    ax.set_title(t("Doctorates awarded per million population", "人口100万人当たり博士号取得者数"),
                 fontsize=16)
    ax.set_xlabel(t("year (Japan: fiscal year)", "年（日本は年度）"))
    ax.set_ylabel(t("per million population (computed)", "人口100万人当たり（計算値）"))
    ax.legend(loc="upper left", fontsize=11, ncol=2)
    first, last = int(shares["year"].min()), int(shares["year"].max())
    wide = shares.pivot(index="industry", columns="year", values="share_pct")
    order = wide[last].sort_values().index.tolist()
    names = industry_names()
    ylabels = [(names.get(i, {}).get("en", i) if lang == "en" else i) for i in order]
    y = np.arange(len(order))
    agg = [bool(names.get(i, {}).get("total", False)) for i in order]
    bx.barh(y, wide.loc[order, last], color=["#555555" if a else "#d62728" for a in agg], height=0.6,
            label=t(f"FY{last}", f"{last}年度"))
    bx.scatter(wide.loc[order, first], y, color="black", marker="|", s=160, zorder=3,
               label=t(f"FY{first}", f"{first}年度"))
    bx.set_yticks(y, ylabels, fontsize=10)
    bx.set_xlabel(t("% of newly hired researchers holding a doctorate", "新規採用研究者に占める博士号保持者の割合（％）"))
    bx.set_title(t("Japan: doctorate holders among new company researchers", "日本企業の新規採用研究者の博士号保持者割合"),
                 fontsize=16)
    bx.legend(loc="lower right", fontsize=11)
    fig.tight_layout()
    return fig


def note(pm: pd.DataFrame, check: pd.DataFrame, shares: pd.DataFrame, lang: str = "ja") -> str:
    """Sources, coverage per country (years, gaps), the published check and the differences from NISTEP."""
    en = lang == "en"
    msti_vintage = vintage_text.short(vintage_text.current("oecd_msti"), lang)  # the population's vintage
    lines = []
    for code, g in pm.groupby("entity", sort=False):
        have = g.loc[g["per_million"].notna(), "year"]
        span = range(int(pm["year"].min()), int(pm["year"].max()) + 1)
        gaps = sorted(set(span) - set(have.astype(int)))
        flags = sorted(set("".join(g["population_flags"].fillna(""))))
        name = labels.area_name(code, lang)
        lines.append(f"{name}: {year_ranges(have)}" + ((f" (gaps: {year_ranges(gaps)})" if en else
                     f"（欠測: {year_ranges(gaps)}）") if gaps else "")
                     + ((f"; population flags {', '.join(flags)}" if en else f"；人口フラグ {', '.join(flags)}")
                        if flags else ""))
    agree = check[check["status"] == "agrees"]
    differ = check[check["status"].str.startswith("differs")]
    d_text = "; ".join(f"{r.entity} {r.year} ({r.edition} ed.) {r.published:g} vs {r.computed:g}"
                       for r in differ.itertuples())
    fy0, fy1 = int(shares["year"].min()), int(shares["year"].max())
    if en:
        lines.append(f"Left: {COMPUTED[0]} ({msti_vintage}), × 1e6 (NISTEP's own per-million table 3-4-3 is not in the data). "
                     f"Check against the values NISTEP editions print: {len(agree)} of {len(check)} agree within "
                     f"±{TOLERANCE:g}; differing (NISTEP revises counts between editions): {d_text or 'none'}. Japan: "
                     "fiscal-year counts over calendar-year population; US = research doctorates; other years as "
                     "NISTEP labels them. Right: NISTEP 科学技術指標2025 表2-1-18 (総務省 科学技術研究調査), "
                     f"FY{fy0}-FY{fy1}, as published; small industries have few hires (see CSV), so their "
                     "shares swing. Gaps are not filled.")
    else:
        lines.append(f"左: {COMPUTED[1]}（{msti_vintage}） × 100万（NISTEPの人口100万人当たり表3-4-3は収録データにない）。"
                     f"NISTEP各版の本文の値との照合: {len(check)}件中{len(agree)}件が±{TOLERANCE:g}以内で一致；"
                     f"不一致（NISTEPは版ごとに件数を改訂）: {d_text or 'なし'}。日本は年度の件数を暦年人口で割る。"
                     "米国は研究博士。他国の年はNISTEPの表記どおり。右: NISTEP 科学技術指標2025 表2-1-18"
                     f"（総務省 科学技術研究調査）、{fy0}–{fy1}年度、公表値のまま。採用者の少ない業種は割合の"
                     "変動が大きい（採用者数はCSV）。欠測は補完しない。")
    return "\n".join(lines)


def make(frames: dict[str, pd.DataFrame], countries: list[str] | None = None, start_year: int = DEFAULT_START,
         end_year: int | None = None, industries: list[str] | None = None, lang: str = "ja",
         output_dir: str | Path = "") -> dict[str, Any]:
    """Validate, compute, draw, save png/svg/csv (+ the check table); return data, check, shares, figure, note."""
    countries = [] if countries is None else list(countries)
    industries = [] if industries is None else list(industries)
    params = {"countries": countries, "start_year": start_year, "end_year": end_year, "industries": industries,
              "lang": lang, "output_dir": str(output_dir)}
    validate_params(params, frames)
    phd, msti, text = (frames[n] for n in DATASETS)
    years = phd.loc[phd["indicator"] == PHD, "year"].astype(int)
    end = int(years.max()) if end_year is None else int(end_year)
    chosen = COUNTRIES if is_auto(countries) else countries
    chosen = [c for c in chosen if c in set(phd.loc[phd["indicator"] == PHD, "entity"])]
    pm = per_million(phd, msti, chosen, int(start_year), end)
    check = published_check(per_million(phd, msti, chosen), text)
    shares = new_hire_shares(phd, industries or None)
    fig = plot(pm, shares, lang)
    text_note = note(pm, check, shares, lang)
    plotting.add_note(fig, text_note, width_em=110)
    outdir = resolve_output_dir(output_dir, "figures", STEM)
    paths = plotting.save(fig, pm, outdir, STEM)
    from .. import io

    io.write_csv(outdir / f"{STEM}_published_check.csv", check)
    io.write_csv(outdir / f"{STEM}_new_hire_shares.csv", shares)
    paths["check_csv"] = outdir / f"{STEM}_published_check.csv"
    paths["shares_csv"] = outdir / f"{STEM}_new_hire_shares.csv"
    return {"data": pm, "check": check, "shares": shares, "figure": fig, "note": text_note, "paths": paths}
