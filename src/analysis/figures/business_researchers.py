"""Deck figure 1: growth of business-enterprise researchers by country, index (base year = 100).

The deck's chart (各国の企業における研究者の伸び, 2011年を100とした場合の指数) was drawn by METI from NISTEP
「科学技術指標2024」, itself based on OECD data. We rebuild it from OECD MSTI (series ``B_RS.FTE._Z._Z``,
business-enterprise researchers in full-time equivalents). The index is ``value / value[base_year] * 100`` per
country on the published levels; a missing year stays missing (the line breaks), nothing is bridged.

OECD status flags travel with every point: ``B`` (break in series) gets a distinct marker and a label,
``E``/``P`` (estimate/provisional) open markers, ``D`` (definition differs) a per-country line in the note.
``compare_vintage`` overlays the same index computed from another committed vintage (:mod:`msti_compare`).

The helpers shared with figures 3 and 4 live in :mod:`msti_series` (data, text) and :mod:`msti_plot` (drawing),
the parameters and their checks in :mod:`business_researchers_params` (the notebook's validate hook); they are
imported here under their old names, which notebooks and tests use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from .. import labels, plotting, vintage_text
from ..sources import msti
from . import msti_compare
from .business_researchers_params import (DATA_NAME, DEFAULT_BASE_YEAR, DEFAULT_COUNTRIES,  # noqa: F401
                                          DEFAULT_MEASURE, DEFAULT_START_YEAR, MEASURES, PARAMS,
                                          resolve_countries, series_key, validate_params)
from .common import (EMPTY_RULE, auto_areas, check_int, check_keys, check_year_range, is_auto,  # noqa: F401
                     relative, resolve_output_dir, year_ranges)  # (notebooks use fig.relative)
from .msti_plot import EndLabel, draw_series, flag_legend, year_ticks  # noqa: F401
from .msti_series import (FLAG_TEXT, check_countries, complete_grid, flag_columns, flag_notes,  # noqa: F401
                          flags_text, names as _names, series_ends)

STEM = "fig01_business_researchers_index"
# width of a note line in em at the note's font size, for the default 11-inch-wide figure
NOTE_EM = plotting.NOTE_EM


# ---------------------------------------------------------------- figure 1
def index_frame(tidy: pd.DataFrame, countries: list[str] | None = None, base_year: int = DEFAULT_BASE_YEAR,
                start_year: int = DEFAULT_START_YEAR, end_year: int | None = None,
                measure: str = DEFAULT_MEASURE) -> pd.DataFrame:
    """The data behind figure 1: one row per country x year in [start_year, end_year].

    Columns: entity, year, value (published FTE level), base_value, index (value / base_value * 100, NaN where
    the year is missing: never interpolated), flags (OECD string), break/estimate/provisional/
    definition_differs booleans, status (observed / gap / before_first / after_last), indicator.
    ``end_year=None`` means the latest year any selected country has; ``countries=[]`` every economy with a
    value in ``base_year``. Parameters are validated first.
    """
    countries = list(DEFAULT_COUNTRIES if countries is None else countries)
    params = {"countries": countries, "base_year": base_year, "start_year": start_year, "end_year": end_year,
              "measure": measure}
    countries = resolve_countries(params, tidy)
    key = series_key(measure)
    sub = msti.select(tidy, measure, "FTE", countries=countries)
    end = int(sub["year"].max()) if end_year is None else int(end_year)
    base = sub[sub["year"] == base_year].set_index("entity")["value"]
    out = complete_grid(sub[(sub["year"] >= start_year) & (sub["year"] <= end)], countries, start_year, end)
    out["base_value"] = out["entity"].map(base)
    out["index"] = out["value"] / out["base_value"] * 100.0
    out = pd.concat([out, flag_columns(out["flags"])], axis=1)
    out["indicator"] = key
    cols = ["entity", "year", "value", "base_value", "index", "flags", "break", "estimate", "provisional",
            "definition_differs", "status", "indicator"]
    return out[cols]


def title(lang: str, base_year: int = DEFAULT_BASE_YEAR, measure: str = DEFAULT_MEASURE) -> str:
    """Figure title in the chosen language."""
    if measure == "B_RS":
        return labels.text(f"Growth of business-enterprise researchers by country (index, {base_year} = 100)",
                           f"各国の企業における研究者の伸び（{base_year}年を100とした場合の指数）", lang)
    name = msti.measure_label(measure, lang)
    return labels.text(f"Growth of {name.lower()} by country (index, {base_year} = 100)",
                       f"各国の{name}の伸び（{base_year}年を100とした場合の指数）", lang)


def note(frame: pd.DataFrame, lang: str, base_year: int = DEFAULT_BASE_YEAR, compare: str | None = None) -> str:
    """Source (naming the vintage drawn), coverage, flags, gaps and differences from the deck, as printed under
    the figure; with ``compare`` (a vintage), what the faint lines show."""
    start, end = int(frame["year"].min()), int(frame["year"].max())
    key = str(frame["indicator"].iloc[0])
    source = vintage_text.msti_source_line(lang)
    lines = [labels.text(f"{source}; series {key} (full-time equivalent).",
                         f"{source}。系列 {key}（フルタイム換算）。", lang)]
    lines.append(labels.text(
        "The deck's chart was made from NISTEP 'Japanese Science and Technology Indicators 2024' (based on OECD "
        "data); values differ from the deck where the OECD has since revised them.",
        "資料の原図は文部科学省 科学技術・学術政策研究所「科学技術指標2024」（OECDデータに基づく）を基に作成。"
        "本図はOECD MSTIを直接用いるため、OECDがその後改訂した値は原図と異なる。", lang))
    ends = series_ends(frame)
    for r in ends.itertuples(index=False):
        name = labels.area_name(r.entity, lang)
        if r.first > start:
            lines.append(labels.text(f"{name}: series starts in {r.first} in this edition (no value before).",
                                     f"{name}：本版では{r.first}年から（以前の値なし）。", lang))
        if r.last < end:
            lines.append(labels.text(f"{name}: series ends in {r.last} in this edition (no value after).",
                                     f"{name}：本版では{r.last}年まで（以降の値なし）。", lang))
        if r.gaps:
            lines.append(labels.text(f"{name}: no value for {year_ranges(r.gaps)} (line left broken, not "
                                     "interpolated).",
                                     f"{name}：{year_ranges(r.gaps)}年の値なし（補間せず線を切る）。", lang))
    flagged = flag_notes(frame, lang)
    if flagged:
        lines.append(labels.text("OECD flags: ", "OECDフラグ：", lang) + " / ".join(flagged))
    lines.append(labels.text(
        "Markers: open = estimate/provisional (E/P); diamond labelled 'B' = break in series.",
        "マーカー：白抜き＝推計値・暫定値（E/P）、「B」付きの菱形＝系列の断層。", lang))
    if compare is not None:
        lines.append(msti_compare.note_line(frame, ["index"], compare, lang))
    return "\n".join(lines)


def plot(frame: pd.DataFrame, lang: str = "ja", base_year: int = DEFAULT_BASE_YEAR,
         measure: str = DEFAULT_MEASURE, compare: str | None = None) -> plt.Figure:
    """Draw figure 1 from ``index_frame`` output (with ``compare``: from ``compare_frame`` output, the other
    vintage as faint lines); the note is added under the axes."""
    labels.check_lang(lang)
    plotting.set_style()
    fig, ax = plt.subplots()
    if compare is not None:
        msti_compare.draw_lines(ax, frame, "index", compare)
    draw_series(ax, frame, "index", lang)
    ax.axhline(100, color="#444444", lw=1, ls="--", zorder=1)
    years = frame["year"].astype(int)
    ax.set_xlim(years.min() - 0.5, years.max() + 0.8)
    ax.set_xticks(year_ticks(int(years.min()), int(years.max())))
    ax.tick_params(axis="x", labelsize=13)
    ax.set_xlabel(labels.text("Year", "年", lang))
    ax.set_ylabel(labels.text(f"Index ({base_year} = 100)", f"指数（{base_year}年＝100）", lang))
    # IPAex Gothic has no bold face; asking for one only triggers a findfont warning
    ax.set_title(title(lang, base_year, measure), fontsize=17, fontweight="normal")
    flag_legend(ax, frame, "index", lang, extra=msti_compare.legend_entries(compare, lang))
    plotting.add_note(fig, note(frame, lang, base_year, compare), NOTE_EM)
    return fig


def make(tidy: pd.DataFrame, countries: list[str] | None = None, base_year: int = DEFAULT_BASE_YEAR,
         start_year: int = DEFAULT_START_YEAR, end_year: int | None = None, measure: str = DEFAULT_MEASURE,
         compare_vintage: str = "", lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 1. Returns {'data', 'figure', 'note', 'paths'} (paths: png/svg/csv).

    ``compare_vintage`` ("" = none, a committed vintage of oecd_msti, or "previous") overlays that vintage's
    index, computed by ``index_frame`` from its raw file, and adds its value, index and flags to the CSV."""
    labels.check_lang(lang)
    frame = index_frame(tidy, countries, base_year, start_year, end_year, measure)
    compare = None
    old = msti_compare.load(compare_vintage)
    if old is not None:
        compare, old_tidy = old
        frame = compare_frame(frame, old_tidy, compare, base_year, measure)
    fig = plot(frame, lang, base_year, measure, compare)
    outdir = resolve_output_dir(output_dir, "figures", STEM)
    stem = STEM if lang == "ja" else f"{STEM}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": note(frame, lang, base_year, compare), "paths": saved}


def compare_frame(frame: pd.DataFrame, old_tidy: pd.DataFrame, vintage: str, base_year: int = DEFAULT_BASE_YEAR,
                  measure: str = DEFAULT_MEASURE) -> pd.DataFrame:
    """``frame`` (``index_frame`` output) with ``value``, ``index`` and ``flags`` of vintage ``vintage`` in
    columns ``value_vintage_<v>`` ..., computed by ``index_frame`` on that vintage's data with the same economies,
    base year and measure over the plotted years it has (a year it lacks stays empty)."""
    countries = list(dict.fromkeys(frame["entity"]))
    start, end = int(frame["year"].min()), int(frame["year"].max())
    lo, hi = msti_compare.year_span(old_tidy, series_key(measure), countries, vintage)
    old = msti_compare.checked(vintage, lambda: index_frame(old_tidy, countries, base_year, max(start, lo),
                                                            min(end, hi), measure))
    return msti_compare.add_columns(frame, old, ["entity", "year"], ["value", "index", "flags"], vintage)


# ---------------------------------------------------------------- text generated from the data drawn
JUMP = 0.10  # a year-on-year change larger than this (10 %) without a break flag is pointed out


def unflagged_jumps(frame: pd.DataFrame, value_col: str = "value", threshold: float = JUMP) -> pd.DataFrame:
    """Year-on-year changes larger than ``threshold`` (relative) between consecutive years that the OECD does
    not flag as a break: entity, year, change (relative)."""
    rows = []
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code].sort_values("year")
        prev = f[value_col].shift(1)
        change = f[value_col] / prev - 1.0
        hit = f[(change.abs() > threshold) & ~f["break"]]
        for y, c in zip(hit["year"], change[hit.index]):
            rows.append({"entity": code, "year": int(y), "change": float(c)})
    return pd.DataFrame(rows, columns=["entity", "year", "change"])


def coverage_text(frame: pd.DataFrame, lang: str = "ja") -> str:
    """What figure 1 shows, generated from ``index_frame`` output: the economies and years drawn, series that
    start late, end early or have gaps, the OECD flags of the drawn points and large unflagged jumps."""
    labels.check_lang(lang)
    start, end = int(frame["year"].min()), int(frame["year"].max())
    codes = list(dict.fromkeys(frame["entity"]))
    key = str(frame["indicator"].iloc[0])
    out = [labels.text(f"This run draws {len(codes)} economies ({_names(codes, lang)}), {start}-{end}, series "
                       f"{key}.",
                       f"この実行の図は{len(codes)}か国・地域（{_names(codes, lang)}）、{start}-{end}年、系列 {key}。",
                       lang)]
    ends = series_ends(frame)
    short = ends[ends["last"] < end]
    if len(short):
        out.append(labels.text(
            "Series ending before " + str(end) + " in this edition (not extended): "
            + ", ".join(f"{labels.area_name(r.entity, lang)} ({r.last})" for r in short.itertuples()) + ".",
            f"本版で{end}年より前に終わる系列（延長しない）：" + "、".join(
                f"{labels.area_name(r.entity, lang)}（{r.last}年）" for r in short.itertuples()) + "。", lang))
    late = ends[ends["first"] > start]
    if len(late):
        out.append(labels.text(
            "Series starting after " + str(start) + ": "
            + ", ".join(f"{labels.area_name(r.entity, lang)} ({r.first})" for r in late.itertuples()) + ".",
            f"{start}年より後に始まる系列：" + "、".join(
                f"{labels.area_name(r.entity, lang)}（{r.first}年）" for r in late.itertuples()) + "。", lang))
    gaps = ends[ends["gaps"].map(len) > 0]
    if len(gaps):
        out.append(labels.text(
            "Missing years (line broken, not interpolated): "
            + ", ".join(f"{labels.area_name(r.entity, lang)} ({year_ranges(r.gaps)})" for r in gaps.itertuples())
            + ".",
            "欠測年（補間せず線を切る）：" + "、".join(
                f"{labels.area_name(r.entity, lang)}（{year_ranges(r.gaps)}年）" for r in gaps.itertuples()) + "。",
            lang))
    out += flags_text(frame, lang)
    jumps = unflagged_jumps(frame)
    if len(jumps):
        out.append(labels.text(
            f"Changes of more than {JUMP:.0%} in one year that the OECD does not flag as a break (drawn as "
            "published): " + ", ".join(f"{labels.area_name(r.entity, lang)} {r.year} ({r.change:+.0%})"
                                       for r in jumps.itertuples()) + ".",
            f"OECDが系列の断層としていない1年で{JUMP:.0%}超の変化（公表値のまま描画）：" + "、".join(
                f"{labels.area_name(r.entity, lang)} {r.year}年（{r.change:+.0%}）" for r in jumps.itertuples())
            + "。", lang))
    return "\n\n".join(out)
