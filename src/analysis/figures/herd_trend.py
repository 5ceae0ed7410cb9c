"""Deck figure 4 (高等教育機関における企業負担研究開発費, 割合): the business-financed share of HERD over time,
OECD breaks in series marked (e.g. Japan 1996, 2008, 2013, 2018; United Kingdom 2018, 4.4 % -> 9.2 %).
``compare_vintage`` overlays the other vintage's series as faint lines (:mod:`msti_compare`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from .. import labels, plotting, vintage_text
from ..sources import msti
from . import msti_compare
from .common import resolve_output_dir, year_ranges
from .herd_params import DEFAULT_TREND_START, SHARE_KEY, STEM_TREND, TREND_COUNTRIES, trend_countries
from .msti_plot import draw_series, flag_legend, year_ticks
from .msti_series import complete_grid, flag_columns, flag_notes, flags_text, names, series_ends


def trend_frame(tidy: pd.DataFrame, countries: list[str] | None = None, start_year: int = DEFAULT_TREND_START,
                end_year: int | None = None) -> pd.DataFrame:
    """The data behind figure 4: one row per economy x year; ``share`` is NaN where OECD has no value.

    Columns: entity, year, share, flags, break/estimate/provisional/definition_differs, status
    (observed / gap / before_first / after_last), indicator.
    """
    countries = list(TREND_COUNTRIES if countries is None else countries)
    countries = trend_countries({"countries": countries, "start_year": start_year, "end_year": end_year}, tidy)
    sub = msti.select(tidy, "H_FB", "PT_HERD", countries=countries)
    end = int(sub["year"].max()) if end_year is None else int(end_year)
    out = complete_grid(sub[(sub["year"] >= start_year) & (sub["year"] <= end)], countries, start_year, end)
    out = out.rename(columns={"value": "share"})
    out = pd.concat([out, flag_columns(out["flags"])], axis=1)
    out["indicator"] = SHARE_KEY
    return out[["entity", "year", "share", "flags", "break", "estimate", "provisional", "definition_differs",
                "status", "indicator"]]


def trend_title(lang: str) -> str:
    """Figure-4 title."""
    return labels.text("Share of higher-education R&D expenditure financed by business",
                       "高等教育機関における企業負担研究開発費, 割合", lang)


def trend_note(frame: pd.DataFrame, lang: str, compare: str | None = None) -> str:
    """Sources (naming the vintage drawn), coverage, gaps, breaks and other flags for figure 4; with ``compare``
    (a vintage), what the faint lines show."""
    start, end = int(frame["year"].min()), int(frame["year"].max())
    source = vintage_text.msti_source_line(lang)
    lines = [labels.text(f"{source}; series {SHARE_KEY} (% of HERD financed by the business enterprise "
                         "sector).",
                         f"{source}。系列 {SHARE_KEY}（高等教育部門の研究開発費のうち企業部門が負担する割合）。",
                         lang)]
    lines.append(labels.text(
        "The deck reproduced this chart from JST CRDS material; economies and years in it may differ.",
        "原図はJST CRDS資料からの抜粋であり、対象国・年は本図と異なる場合がある。", lang))
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code]
        name = labels.area_name(code, lang)
        obs = f.loc[f["status"] == "observed", "year"]
        first, last = int(obs.min()), int(obs.max())
        gaps = f.loc[f["status"] == "gap", "year"]
        bits = []
        if first > start:
            bits.append(labels.text(f"from {first}", f"{first}年から", lang))
        if last < end:
            bits.append(labels.text(f"to {last}", f"{last}年まで", lang))
        if len(gaps):
            bits.append(labels.text(f"no value {year_ranges(gaps)} (not interpolated)",
                                    f"{year_ranges(gaps)}年は値なし（補間せず）", lang))
        if bits:
            lines.append(name + labels.text(": ", "：", lang) + labels.text(", ", "、", lang).join(bits))
    flagged = flag_notes(frame.rename(columns={"share": "value"}), lang)
    if flagged:
        lines.append(labels.text("OECD flags: ", "OECDフラグ：", lang) + " / ".join(flagged))
    lines.append(labels.text(
        "A break (B) means the value is not comparable with the years before it (e.g. a survey change), so a "
        "jump at a B point is partly or wholly statistical.",
        "断層（B）はその年以前と比較できないこと（調査方法の変更等）を示し、B点での急変は統計上のものを含む。", lang))
    if compare is not None:
        lines.append(msti_compare.note_line(frame, ["share"], compare, lang))
    return "\n".join(lines)


def trend_plot(frame: pd.DataFrame, lang: str = "ja", compare: str | None = None) -> plt.Figure:
    """Draw figure 4 from ``trend_frame`` output (with ``compare``: from ``trend_compare_frame`` output, the
    other vintage as faint lines)."""
    labels.check_lang(lang)
    plotting.set_style()
    fig, ax = plt.subplots()
    if compare is not None:
        msti_compare.draw_lines(ax, frame, "share", compare)
    draw_series(ax, frame, "share", lang)
    years = frame["year"].astype(int)
    ax.set_xlim(years.min() - 0.5, years.max() + 0.8)
    ax.set_xticks(year_ticks(int(years.min()), int(years.max())))
    ax.tick_params(axis="x", labelsize=13)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(labels.text("Year", "年", lang))
    ax.set_ylabel(labels.text("% of HERD", "割合（％）", lang))
    ax.set_title(trend_title(lang), fontsize=17, fontweight="normal")
    flag_legend(ax, frame, "share", lang, extra=msti_compare.legend_entries(compare, lang))
    plotting.add_note(fig, trend_note(frame, lang, compare), plotting.NOTE_EM)
    return fig


def make_trend(tidy: pd.DataFrame, countries: list[str] | None = None, start_year: int = DEFAULT_TREND_START,
               end_year: int | None = None, compare_vintage: str = "", lang: str = "ja",
               output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 4. Returns {'data', 'figure', 'note', 'paths'}.

    ``compare_vintage`` ("" = none, a committed vintage of oecd_msti, or "previous") overlays that vintage's
    shares, computed by ``trend_frame`` from its raw file, and adds them with their flags to the CSV."""
    labels.check_lang(lang)
    frame = trend_frame(tidy, countries, start_year, end_year)
    compare = None
    old = msti_compare.load(compare_vintage)
    if old is not None:
        compare, old_tidy = old
        frame = trend_compare_frame(frame, old_tidy, compare)
    fig = trend_plot(frame, lang, compare)
    outdir = resolve_output_dir(output_dir, "figures", STEM_TREND)
    stem = STEM_TREND if lang == "ja" else f"{STEM_TREND}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": trend_note(frame, lang, compare), "paths": saved}


def trend_compare_frame(frame: pd.DataFrame, old_tidy: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """``frame`` (``trend_frame`` output) with ``share`` and ``flags`` of vintage ``vintage`` in columns
    ``share_vintage_<v>`` and ``flags_vintage_<v>``, computed by ``trend_frame`` on that vintage's data for the
    same economies over the plotted years it has (a year it lacks stays empty)."""
    countries = list(dict.fromkeys(frame["entity"]))
    start, end = int(frame["year"].min()), int(frame["year"].max())
    lo, hi = msti_compare.year_span(old_tidy, SHARE_KEY, countries, vintage)
    old = msti_compare.checked(vintage, lambda: trend_frame(old_tidy, countries, max(start, lo), min(end, hi)))
    return msti_compare.add_columns(frame, old, ["entity", "year"], ["share", "flags"], vintage)



def trend_text(frame: pd.DataFrame, lang: str = "ja") -> str:
    """What figure 4 shows, from ``trend_frame`` output: economies and years, series that end early or have
    gaps, each break with the values either side, and the OECD flags of the drawn points."""
    labels.check_lang(lang)
    start, end = int(frame["year"].min()), int(frame["year"].max())
    codes = list(dict.fromkeys(frame["entity"]))
    out = [labels.text(f"This run draws {len(codes)} economies ({names(codes, lang)}), {start}-{end}.",
                       f"この実行の図は{len(codes)}か国・地域（{names(codes, lang)}）、{start}-{end}年。", lang)]
    ends = series_ends(frame.rename(columns={"share": "value"}))
    short = ends[ends["last"] < end]
    if len(short):
        out.append(labels.text("Series ending before " + str(end) + " (not extended): " + ", ".join(
            f"{labels.area_name(r.entity, lang)} ({r.last})" for r in short.itertuples()) + ".",
            f"{end}年より前に終わる系列（延長しない）：" + "、".join(
                f"{labels.area_name(r.entity, lang)}（{r.last}年）" for r in short.itertuples()) + "。", lang))
    gaps = ends[ends["gaps"].map(len) > 0]
    if len(gaps):
        out.append(labels.text("Missing years (line broken): " + ", ".join(
            f"{labels.area_name(r.entity, lang)} ({year_ranges(r.gaps)})" for r in gaps.itertuples()) + ".",
            "欠測年（線を切る）：" + "、".join(
                f"{labels.area_name(r.entity, lang)}（{year_ranges(r.gaps)}年）" for r in gaps.itertuples()) + "。",
            lang))
    breaks = []
    for r in frame[frame["break"] & frame["share"].notna()].itertuples():
        prev = frame[(frame["entity"] == r.entity) & (frame["year"] == r.year - 1)]["share"]
        before = (f"{float(prev.iloc[0]):.1f} % → " if len(prev) and pd.notna(prev.iloc[0]) else "")
        breaks.append(f"{labels.area_name(r.entity, lang)} {r.year} ({before}{r.share:.1f} %)")
    if breaks:
        out.append(labels.text("Breaks in series (B; not comparable with earlier years): " + ", ".join(breaks) + ".",
                               "系列の断層（B、以前の年と比較不可）：" + "、".join(breaks) + "。", lang))
    out += [t for t in flags_text(frame.rename(columns={"share": "value"}), lang) if "(B)" not in t and "（B）" not in t]
    return "\n\n".join(out)
