"""Deck figure 6: university technology-transfer performance, United States vs Japan.

The deck (日米大学等の産学官技術移転に関するパフォーマンス（2022年）, from AUTM's U.S. Licensing Activity Survey 2022, licence
income converted at the 2018 average TTB rate) compares invention disclosures, patent applications, licences, licence
income and start-ups. We rebuild it from the series the project holds, one bar per *series* (a survey population):

- ``US_AUTM``: AUTM Licensing Activity Survey headline values, all respondents (universities, hospitals, research
  institutes), from ``data/raw/japan/autm_*.csv``;
- ``US_AUTM_UNIV``: AUTM member universities only, from the NCSES Science & Engineering Indicators tables
  (``data/raw/ncses_autm``);
- ``JP_UNITT``: UNITT 大学技術移転サーベイ (universities, TLOs, public research institutes);
- ``JP_MEXT``: MEXT 大学等における産学連携等実施状況 (知的財産権等収入, 大学等発ベンチャー設立数).

AUTM's FY2022 licensing figures are paywalled and UNITT's FY2022 edition was not found, so each series shows its
own latest year (stated on every bar); the years differ by country and by metric. Where a source gives several
values for a year, ``analysis.sources.japan.best`` picks one by reliability.

``normalise=True`` divides by the research spending of the same year: AUTM respondents' research expenditure
(US_AUTM), NCSES HERD (all US higher-education institutions; US_AUTM_UNIV) and 大学の研究費（自然科学） as
stated by UNITT (all Japanese universities; JP_UNITT and JP_MEXT). Counts are then per USD 100 m (US) or per
¥10 bn (Japan) and money as % of research spending. No exchange rate is in the raw data, so each country is
normalised in its own currency; nothing is converted. A metric without a same-year denominator is a gap.

The series (populations, indicators per metric, denominators, colours) are data, in
``src/analysis/figures/tech_transfer_series.toml``, read and validated by
:func:`analysis.figures.tech_transfer_series.load_series`; the parameter checks (the notebook's validate hook) are in
:mod:`analysis.figures.tech_transfer_params` and the drawing in :mod:`analysis.figures.tech_transfer_plot`. This
module builds the table and its note.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from .. import labels, plotting
from .common import relative, resolve_output_dir, year_ranges  # noqa: F401  (the notebook uses fig.relative)
from .tech_transfer_params import (PARAMS, _candidates, _check_list, _denominators, _needed,  # noqa: F401
                                   available_years, check_years, validate_params)
from .tech_transfer_plot import figure, split_money
from .tech_transfer_series import (CURRENCY, DATA_NAMES, DEFAULT_METRICS, FLAGS, METRICS, MONEY,  # noqa: F401
                                   SERIES_FILE, Series, all_series, fiscal_label, load_series)

STEM = "fig06_tech_transfer_us_jp"

def __getattr__(name: str) -> object:
    # SERIES, DEFAULT_SERIES and SERIES_COLORS are read on first use, not at import: importing opens no file
    if name == "SERIES":
        return all_series()
    if name == "DEFAULT_SERIES":
        return list(all_series())
    if name == "SERIES_COLORS":
        return {k: s.color for k, s in all_series().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Normalisation bases: a count per this much research spending, in each country's own currency.
PER = {"USD": (1e8, "per USD 100 m", "1億ドルあたり"), "JPY": (1e10, "per ¥10 bn", "100億円あたり")}


def table(frames: dict[str, pd.DataFrame], metrics: list[str] | str = "all", series: list[str] | str = "all",
          years: dict[str, int | None] | str = "latest", normalise: bool = False, lang: str = "ja") -> pd.DataFrame:
    """The figure's data: one row per (metric, series), a gap row (NaN value) where the data have nothing.

    With ``years='latest'`` each series takes its latest year for each metric (with a same-year denominator
    when ``normalise``); with an explicit year a metric missing in that year is a gap.
    """
    metrics = _check_list("metrics", metrics, list(METRICS))
    series = _check_list("series", series, list(all_series()))
    labels.check_lang(lang)
    yrs = check_years(years, series)
    frames = _needed(frames)
    dens = {key: _denominators(frames, key) for key in series}  # each series' denominator, once per table
    rows = []
    for m in metrics:
        for key in series:
            s = all_series()[key]
            base = {"metric": m, "metric_label": METRICS[m][0 if lang == "en" else 1], "series": key,
                    "series_label": s.label_en if lang == "en" else s.label_ja, "country": s.country}
            c = _candidates(frames, key, m)
            den = dens[key]
            why = ""
            if not c.empty and normalise:
                c = c[c["year"].isin(set(den["year"].dropna()))]
                if c.empty:
                    why = "no same-year research spending"
            if c.empty:
                why = why or ("not in the data" if s.metrics.get(m) else "no series for this metric in the collected data")
            else:
                want = yrs[key]
                if want is not None:
                    c = c[c["year"] == want]
                    if c.empty:
                        why = f"no value for {want}"
            if c.empty:
                rows.append({**base, "year": pd.NA, "year_type": "", "value": math.nan, "unit": "",
                             "indicator": "", "source": "", "source_id": "", "reliability": "", "flags": "",
                             "flag_reason": "", "alternatives": "", "denominator": math.nan,
                             "denominator_year": pd.NA, "normalised": math.nan, "normalised_unit": "",
                             "gap": why})
                continue
            c = c.sort_values(["year", "rank"], ascending=[False, True], kind="mergesort")
            r = c.iloc[0]
            flags = "".join(sorted(set(str(r["flags"]) + str(r["extra_flag"]))))
            row = {**base, "year": int(r["year"]), "year_type": r["year_type"], "value": float(r["value"]),
                   "unit": r["unit"], "indicator": r["indicator"], "source": r["source"],
                   "source_id": r["source_id"], "reliability": r["reliability"], "flags": flags,
                   "flag_reason": r["flag_reason_en" if lang == "en" else "flag_reason_ja"], "alternatives": r["alternatives"], "denominator": math.nan,
                   "denominator_year": pd.NA, "normalised": math.nan, "normalised_unit": "", "gap": ""}
            if normalise:
                d = den[den["year"] == r["year"]].iloc[0]
                cur = str(d["unit"])
                row["denominator"], row["denominator_year"] = float(d["value"]), int(d["year"])
                if m in MONEY:
                    row["normalised"] = row["value"] / row["denominator"] * 100.0
                    row["normalised_unit"] = "% of research spending"
                else:
                    row["normalised"] = row["value"] / row["denominator"] * PER[cur][0]
                    row["normalised_unit"] = f"count {PER[cur][1]} of research spending"
            rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("year", "denominator_year"):
        out[col] = out[col].astype("Int64")
    return out


def note(tab: pd.DataFrame, normalise: bool = False, lang: str = "ja") -> str:
    """Sources with years per series, gaps, flags and the normalisation basis, computed from ``tab``."""
    en = lang == "en"
    lines = []
    for key in dict.fromkeys(tab["series"]):
        s = all_series()[key]
        sub = tab[(tab["series"] == key) & tab["value"].notna()]
        yrs = ", ".join(f"{r.metric_label} {fiscal_label(int(r.year), r.year_type)}" for r in sub.itertuples())
        gaps = ", ".join(r.metric_label for r in tab[(tab["series"] == key) & tab["value"].isna()].itertuples())
        pop = s.population_en if en else s.population_ja
        line = f"{s.label_en if en else s.label_ja} — {pop}: {yrs or ('none' if en else 'なし')}"
        if gaps:
            line += (f"; no data: {gaps}" if en else f"；データなし: {gaps}")
        lines.append(line)
    if split_money(tab, normalise):
        lines.append("Money in levels: the US (USD) and Japan (JPY) are drawn in separate sub-panels with their own "
                     "axes; the raw data hold no exchange rate, so nothing is converted and bar heights are not "
                     "comparable between the two countries." if en else
                     "金額（水準）は米国（ドル）と日本（円）を別々の小パネル・別々の軸に描く。為替レートは元データにない"
                     "ため換算せず、両国の棒の高さは比較できない。")
    flagged = tab[tab["flags"].str.contains("D", na=False)]
    for r in flagged.itertuples():
        lines.append(f"D (definition differs) = {r.flag_reason}" if en else f"D = 定義が異なる（{r.flag_reason}）")
    if normalise:
        reg = all_series()
        dens = "; ".join(f"{reg[k].label_en if en else reg[k].label_ja}: "
                         f"{reg[k].denominator_en if en else reg[k].denominator_ja}"
                         for k in dict.fromkeys(tab["series"]))
        lines.append(("Normalised by research spending of the same year — " + dens + ". Counts per USD 100 m (US) "
                      "or per ¥10 bn (Japan), each in its own currency: the raw data hold no exchange rate, so "
                      "nothing is converted and the two bases are not equal amounts. The surveys' respondents are a subset of the "
                      "institutions HERD and the Japanese total cover, so those ratios understate.") if en else
                     ("同一年度の研究費で基準化 — " + dens + "。件数は米国1億ドル・日本100億円あたりで、各国通貨のまま"
                      "（為替レートは元データにないため換算しない。両基準は同額ではない）。HERD と日本の研究費は調査回答機関より"
                      "広い範囲を含むため、その比率は過小になる。"))
    lines.append("FY: US institutions' fiscal years (named by the year they end); Japan 年度 (April–March, named by "
                 "the year it starts). Sources: AUTM (via press releases and NSF NCSES SEI), UNITT, MEXT; "
                 "see data/raw/japan/SOURCE.md and data/raw/ncses_autm/SOURCE.md." if en else
                 "年度: 米国は各機関の会計年度（終了年で表記）、日本は4月–3月の年度。出典: AUTM（プレスリリース、"
                 "NSF NCSES 科学工学指標経由）、UNITT、文部科学省。data/raw/japan/SOURCE.md 参照。")
    return "\n".join(lines)


# The reasons ``table`` gives for a gap, in Japanese ("no value for <year>" is handled apart)
_GAP_JA = {"no series for this metric in the collected data": "収集データにこの指標の系列なし",
           "not in the data": "データに値なし", "no same-year research spending": "同一年度の研究費なし"}


def _gap_text(gap: str, lang: str) -> str:
    if lang == "en":
        return gap
    if gap.startswith("no value for "):
        return f"{gap.removeprefix('no value for ')}年度の値なし"
    return _GAP_JA.get(gap, gap)


def coverage_text(levels: pd.DataFrame, per_spending: pd.DataFrame | None = None, lang: str = "ja") -> str:
    """Markdown bullets on what this run shows, from ``table`` output (in levels, and optionally per research
    spending): each series' latest years, the gaps with their reason, the definitions that differ (D) and, per
    research spending, the denominator years used and the metrics left without a same-year denominator."""
    labels.check_lang(lang)
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    reg = all_series()
    sep = L(", ", "、")
    out = []
    for key in dict.fromkeys(levels["series"]):
        sub = levels[levels["series"] == key]
        shown = sub[sub["value"].notna()]
        yrs = sep.join(f"{r.metric_label} {fiscal_label(int(r.year), r.year_type)}" for r in shown.itertuples())
        gaps = sep.join(f"{r.metric_label} ({_gap_text(r.gap, lang)})" if lang == "en" else
                        f"{r.metric_label}（{_gap_text(r.gap, lang)}）" for r in sub[sub["value"].isna()].itertuples())
        text = L(f"- **{reg[key].label('en')}:** {yrs or 'nothing shown'}",
                 f"- **{reg[key].label('ja')}：** {yrs or '表示なし'}")
        if gaps:
            text += L(f"; gaps: {gaps}", f"；欠損：{gaps}")
        out.append(text + L(".", "。"))
    years = levels.loc[levels["value"].notna(), "year"].astype(int)
    if years.nunique() > 1:
        out.append(L(f"- **Years differ** by series and metric (FY{years.min()}-FY{years.max()}): each bar is its "
                     "series' latest year with a value; nothing is carried to a common year.",
                     f"- **年度は系列・指標で異なる**（{years.min()}-{years.max()}年度）。各棒はその系列で値のある最新年度で、"
                     "共通の年度へは補正しない。"))
    for r in levels[levels["flags"].str.contains("D", na=False)].itertuples():
        out.append(L(f"- **D (definition differs)**, {reg[r.series].label('en')} {r.metric_label} "
                     f"{fiscal_label(int(r.year), r.year_type)}: {r.flag_reason}.",
                     f"- **D（定義が異なる）**、{reg[r.series].label('ja')} {r.metric_label} "
                     f"{fiscal_label(int(r.year), r.year_type)}：{r.flag_reason}。"))
    if per_spending is not None:
        used = per_spending[per_spending["denominator"].notna()]
        dens = L("; ", "；").join(f"{reg[k].label(lang)} FY{year_ranges(g['denominator_year'].astype(int))}"
                                 for k, g in used.groupby("series", sort=False))
        out.append(L(f"- **Per research spending:** same-year research spending used for {dens or 'no series'}.",
                     f"- **研究費あたり：** 同一年度の研究費を用いた系列と年度：{dens or 'なし'}。"))
        lost = per_spending[per_spending["gap"] == "no same-year research spending"]
        if len(lost):
            out.append(L("- **No same-year research spending** (a gap, no other year substituted): "
                         + sep.join(f"{reg[r.series].label('en')} {r.metric_label}" for r in lost.itertuples()) + ".",
                         "- **同一年度の研究費なし**（欠損、他の年度で代替しない）："
                         + sep.join(f"{reg[r.series].label('ja')} {r.metric_label}" for r in lost.itertuples()) + "。"))
    return "\n".join(out)


def make(frames: dict[str, pd.DataFrame], metrics: list[str] | str = DEFAULT_METRICS,
         series: list[str] | str = "all", years: dict[str, int | None] | str = "latest",
         normalise: bool = False, lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Validate, build the table, draw, save png/svg/csv; return {'data', 'figure', 'note', 'paths'}."""
    validate_params({"metrics": metrics, "series": series, "years": years, "normalise": normalise, "lang": lang,
                     "output_dir": str(output_dir)}, frames)
    tab = table(frames, metrics, series, years, normalise, lang)
    fig = figure(tab, normalise, lang)
    text = note(tab, normalise, lang)
    plotting.add_note(fig, text, width_em=95)
    stem = STEM + ("_normalised" if normalise else "")
    out = plotting.save(fig, tab, resolve_output_dir(output_dir, "figures", STEM), stem)
    return {"data": tab, "figure": fig, "note": text, "paths": out}


__all__ = ["make", "table", "figure", "note", "coverage_text", "split_money", "validate_params", "available_years", "relative", "SERIES",
           "METRICS", "load_series", "all_series"]
