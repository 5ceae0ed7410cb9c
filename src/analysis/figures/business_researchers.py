"""Deck figure 1: growth of business-enterprise researchers by country, index (base year = 100).

The deck's chart (各国の企業における研究者の伸び, 2011年を100とした場合の指数) was drawn by METI from NISTEP
「科学技術指標2024」, itself based on OECD data. We rebuild it from OECD MSTI (series ``B_RS.FTE._Z._Z``,
business-enterprise researchers in full-time equivalents). The index is ``value / value[base_year] * 100`` per
country on the published levels; a missing year stays missing (the line breaks), nothing is bridged.

OECD status flags travel with every point: ``B`` (break in series) gets a distinct marker and a label,
``E``/``P`` (estimate/provisional) open markers, ``D`` (definition differs) a per-country line in the note.

The helpers for parameter checking and flag handling here are shared with :mod:`herd_business_share`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.text import Annotation, Text
import pandas as pd

from .. import labels, plotting
from ..errors import ParameterError
from ..sources import msti
from .common import (EMPTY_RULE, auto_areas, check_int, check_keys, check_year_range, is_auto,  # noqa: F401
                     relative, resolve_output_dir, year_ranges)  # (notebooks use fig.relative)

STEM = "fig01_business_researchers_index"
DATA_NAME = "oecd_msti"
DEFAULT_COUNTRIES = ["JPN", "USA", "DEU", "FRA", "GBR", "CHN", "KOR"]
DEFAULT_BASE_YEAR = 2011
DEFAULT_START_YEAR = 2011
# Researcher head-count series in FTE that the index can be drawn for (MEASURE codes, unit FTE).
MEASURES = ("B_RS", "T_RS", "H_RS", "G_RS")
DEFAULT_MEASURE = "B_RS"
PARAMS = ("countries", "base_year", "start_year", "end_year", "measure", "lang", "output_dir")

SOURCE_EN = ("Source: OECD, Main Science and Technology Indicators (MSTI), DSD_MSTI@DF_MSTI, "
             "extract consistent with the March 2025 edition")
SOURCE_JA = ("出典：OECD「Main Science and Technology Indicators (MSTI)」（DSD_MSTI@DF_MSTI、"
             "2025年3月版に相当する抽出データ）")
# width of a note line in em at the note's font size, for the default 11-inch-wide figure
NOTE_EM = plotting.NOTE_EM
FLAG_TEXT = {
    "B": ("break in series", "系列の断層"),
    "E": ("estimate", "推計値"),
    "P": ("provisional", "暫定値"),
    "D": ("definition differs", "定義が異なる"),
}


# ---------------------------------------------------------------- helpers shared with fig 3/4
def check_countries(countries: Any, have: Iterable[str], series: str, auto: Iterable[str] | None = None,
                    why: str = "") -> list[str]:
    """Distinct area codes, each with data in ``series`` (codes listed on error).

    ``[]`` is the automatic choice (``common.EMPTY_RULE``): every economy in ``auto`` (default: every economy with
    data in ``series``), aggregates left out; ``why`` says what ``auto`` required, for the error when none is left.
    """
    have = sorted(set(have))
    if is_auto(countries) and not isinstance(countries, dict):
        out = auto_areas(have if auto is None else auto)
        if not out:
            raise ParameterError("countries", countries, f"{EMPTY_RULE}, but no economy has data in series {series}"
                                 f"{why}; name the areas", have)
        return out
    if isinstance(countries, str) or not isinstance(countries, (list, tuple)):
        raise ParameterError("countries", countries, "must be a list of area codes, e.g. ['JPN', 'USA'], or [] "
                             "for every economy with data", have)
    out: list[str] = []
    for c in countries:
        if not isinstance(c, str):
            raise ParameterError("countries", c, "area codes are strings", have)
        if c not in labels.AREAS:
            raise ParameterError("countries", c, "unknown area code", have)
        if c not in have:
            raise ParameterError("countries", c, f"no data for this area in series {series}", have)
        if c in out:
            raise ParameterError("countries", countries, f"{c} is listed twice")
        out.append(c)
    return out


def flag_columns(flags: pd.Series) -> pd.DataFrame:
    """Booleans ``break``/``estimate``/``provisional``/``definition_differs`` from an OECD flags string column."""
    f = flags.fillna("").astype(str)
    return pd.DataFrame({
        "break": f.str.contains("B", regex=False),
        "estimate": f.str.contains("E", regex=False),
        "provisional": f.str.contains("P", regex=False),
        "definition_differs": f.str.contains("D", regex=False),
    }, index=flags.index)


def complete_grid(sub: pd.DataFrame, countries: list[str], start: int, end: int) -> pd.DataFrame:
    """One row per country x year in [start, end]; years without an observation get NaN value and ''
    flags, and a ``status``: 'observed', 'gap' (inside the country's observed span), 'before_first' or
    'after_last' (outside it). Nothing is filled in."""
    grid = pd.MultiIndex.from_product([countries, range(start, end + 1)], names=["entity", "year"])
    s = sub[["entity", "year", "value", "flags"]].copy()
    s["year"] = s["year"].astype("int64")
    out = s.set_index(["entity", "year"]).reindex(grid).reset_index()
    out["flags"] = out["flags"].fillna("").astype(str)
    observed = out["value"].notna()
    first = out[observed].groupby("entity")["year"].min()
    last = out[observed].groupby("entity")["year"].max()
    f = out["entity"].map(first)
    la = out["entity"].map(last)
    status = np.where(observed, "observed",
                      np.where(f.isna() | (out["year"] < f), "before_first",
                               np.where(out["year"] > la, "after_last", "gap")))
    out["status"] = status
    return out


def flag_notes(frame: pd.DataFrame, lang: str, value_col: str = "value") -> list[str]:
    """Lines of the note listing flagged observations per country (only points that are drawn)."""
    lines: list[str] = []
    shown = frame[frame[value_col].notna()]
    for code in dict.fromkeys(shown["entity"]):
        rows = shown[shown["entity"] == code]
        parts = []
        for flag in ("B", "E", "P", "D"):
            ys = rows.loc[rows["flags"].str.contains(flag, regex=False), "year"]
            if len(ys):
                what = labels.text(FLAG_TEXT[flag][0], FLAG_TEXT[flag][1], lang)
                parts.append(f"{what} ({flag}) {year_ranges(ys)}")
        if parts:
            sep = "; " if lang == "en" else "；"
            lines.append(labels.area_name(code, lang) + labels.text(": ", "：", lang) + sep.join(parts))
    return lines


class EndLabel(Annotation):
    """Label of a series' last point that picks, when drawn, the side of the point where it covers no line.

    Candidate places are tried in order (right, upper/lower right, above, below, left, further out); the first
    one whose text box stays inside the axes and touches no drawn line, marker or already placed label wins,
    else the one touching least. A label placed further out gets a thin leader to its point. Placement happens
    at draw time, so it follows the final axis limits and size.
    """

    # offset from the point in points, horizontal and vertical alignment
    CANDIDATES = ((6, 0, "left", "center"), (5, 7, "left", "bottom"), (5, -7, "left", "top"),
                  (0, 9, "center", "bottom"), (0, -9, "center", "top"), (-5, 7, "right", "bottom"),
                  (-5, -7, "right", "top"), (6, 20, "left", "bottom"), (6, -20, "left", "top"),
                  (0, 24, "center", "bottom"), (0, -24, "center", "top"))
    NEAR = 7  # candidates before this index sit next to the point; later ones get a leader line

    def __init__(self, text: str, xy: tuple[float, float], **kw: Any) -> None:
        super().__init__(text, xy, xytext=self.CANDIDATES[0][:2], textcoords="offset points",
                         ha=self.CANDIDATES[0][2], va=self.CANDIDATES[0][3],
                         arrowprops={"arrowstyle": "-", "color": kw.get("color", "#333333"), "lw": 0.9,
                                     "shrinkA": 1, "shrinkB": 4}, **kw)
        self.placed = False

    def text_extent(self, renderer):
        """Box of the text alone (without the leader line) at the current offset."""
        self._renderer = renderer
        self.update_positions(renderer)
        return Text.get_window_extent(self, renderer)

    def _obstacles(self, renderer) -> tuple[np.ndarray, list]:
        ax = self.axes
        pts = []
        for line in ax.get_lines():
            if not line.get_visible():
                continue
            xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
            pts.append(xy[np.isfinite(xy).all(axis=1)])  # vertices and markers
            if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:  # points along each segment
                a, b = xy[:-1], xy[1:]
                ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
                t = np.linspace(0.0, 1.0, 25)[:, None, None]
                pts.append((a[ok] + t * (b[ok] - a[ok])).reshape(-1, 2))
        boxes = [t.get_window_extent(renderer) for t in ax.texts
                 if t is not self and t.get_visible() and (not isinstance(t, EndLabel) or t.placed)]
        boxes += [a.text_extent(renderer) for a in ax.artists
                  if a is not self and isinstance(a, EndLabel) and a.placed]
        return (np.concatenate(pts) if pts else np.empty((0, 2))), boxes

    def _place(self, renderer) -> None:
        pts, boxes = self._obstacles(renderer)
        frame = self.axes.get_window_extent(renderer)
        pad = renderer.points_to_pixels(2.0)
        best = None
        for k, (dx, dy, ha, va) in enumerate(self.CANDIDATES):
            self.xyann = (dx, dy)
            self.set_horizontalalignment(ha)
            self.set_verticalalignment(va)
            bb = self.text_extent(renderer)
            x0, y0, x1, y1 = bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad
            hits = int(((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)).sum())
            hits += sum(10 for b in boxes if b.x0 < x1 and b.x1 > x0 and b.y0 < y1 and b.y1 > y0)
            if bb.x0 < frame.x0 or bb.x1 > frame.x1 or bb.y0 < frame.y0 or bb.y1 > frame.y1:
                hits += 1000
            if best is None or hits < best[0]:
                best = (hits, k)
            if hits == 0:
                break
        dx, dy, ha, va = self.CANDIDATES[best[1]]
        self.xyann = (dx, dy)
        self.set_horizontalalignment(ha)
        self.set_verticalalignment(va)
        self.arrow_patch.set_visible(best[1] >= self.NEAR)
        self.placed = True

    def draw(self, renderer) -> None:
        if renderer is not None and self.get_visible() and self.axes is not None:
            self._place(renderer)
        super().draw(renderer)


def draw_series(ax: plt.Axes, frame: pd.DataFrame, ycol: str, lang: str) -> None:
    """One line per country from a ``complete_grid``-style frame with flag booleans.

    NaN rows stay in the series so the line breaks at a gap. Filled dots = plain observations, open dots =
    estimate/provisional, black-edged diamond labelled 'B' = break in series; a series that stops before the
    last year of the frame is labelled 'to YYYY'.
    """
    end = int(frame["year"].max())
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code].sort_values("year")
        col = plotting.color(code)
        ax.plot(f["year"], f[ycol], color=col, lw=2.4, label=labels.area_name(code, lang), zorder=2)
        obs = f[f[ycol].notna()]
        if obs.empty:
            continue
        plain = obs[~(obs["estimate"] | obs["provisional"] | obs["break"])]
        ax.plot(plain["year"], plain[ycol], "o", color=col, ms=5, zorder=3)
        ep = obs[(obs["estimate"] | obs["provisional"]) & ~obs["break"]]
        ax.plot(ep["year"], ep[ycol], "o", mfc="white", mec=col, mew=1.8, ms=7, zorder=4)
        br = obs[obs["break"]]
        ax.plot(br["year"], br[ycol], "D", mfc=col, mec="black", mew=1.5, ms=9, zorder=5)
        for y, v in zip(br["year"], br[ycol]):
            ax.annotate("B", (y, v), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=12,
                        zorder=6)
        last_year, last_value = int(obs["year"].iloc[-1]), obs[ycol].iloc[-1]
        if last_year < end:
            ax.add_artist(EndLabel(labels.text(f"to {last_year}", f"{last_year}年まで", lang),
                                   (last_year, last_value), fontsize=11, color=col, zorder=6))


def year_ticks(start: int, end: int) -> list[int]:
    """Readable x ticks: every year for short spans, every 2nd or 5th year for long ones."""
    span = end - start
    step = 1 if span <= 14 else 2 if span <= 28 else 5
    first = start if step < 5 else start + (-start) % 5
    return list(range(first, end + 1, step))


def flag_legend(ax: plt.Axes, frame: pd.DataFrame, ycol: str, lang: str) -> None:
    """Legend of countries plus the flag markers that actually appear, outside the axes on the right."""
    from matplotlib.lines import Line2D

    handles, names = ax.get_legend_handles_labels()
    shown = frame[ycol].notna()
    if ((frame["estimate"] | frame["provisional"]) & shown).any():
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="#333333", mew=1.8, ms=7))
        names.append(labels.text("estimate / provisional (E/P)", "推計値・暫定値（E/P）", lang))
    if (frame["break"] & shown).any():
        handles.append(Line2D([], [], ls="", marker="D", mfc="#999999", mec="black", mew=1.5, ms=9))
        names.append(labels.text("break in series (B)", "系列の断層（B）", lang))
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=13)


# ---------------------------------------------------------------- figure 1
def series_key(measure: str) -> str:
    """Tidy indicator of a researcher series in FTE."""
    return msti.series_key(measure, "FTE")


def validate_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check figure-1 parameters before any work; raise ``ParameterError`` naming the first bad one.

    ``params`` may hold any of ``countries, base_year, start_year, end_year (None = latest), measure, lang,
    output_dir``; missing ones take the defaults. ``countries=[]`` is the automatic choice (``common.EMPTY_RULE``):
    every economy with a value in ``base_year`` (aggregates left out). The data are read from ``data/processed``
    unless given.
    """
    resolve_countries(params, tidy)


def resolve_countries(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> list[str]:
    """The validated country list of figure 1 (``[]`` resolved to every economy with a base-year value)."""
    check_keys(params, PARAMS)
    labels.check_lang(params.get("lang", "ja"))
    measure = params.get("measure", DEFAULT_MEASURE)
    if measure not in MEASURES:
        raise ParameterError("measure", measure, "not a researcher series this figure supports", MEASURES)
    od = params.get("output_dir", "")
    if not isinstance(od, (str, Path)):
        raise ParameterError("output_dir", od, "must be a path string ('' = default output folder)")
    if tidy is None:
        from .. import data
        tidy = data.load(DATA_NAME)
    key = series_key(measure)
    sub = tidy[tidy["indicator"] == key]
    base = check_int("base_year", params.get("base_year", DEFAULT_BASE_YEAR))
    countries = check_countries(params.get("countries", DEFAULT_COUNTRIES), sub["entity"], key,
                                auto=sub.loc[sub["year"] == base, "entity"], why=f" in base_year {base}")
    sub = sub[sub["entity"].isin(countries)]
    lo, hi = int(sub["year"].min()), int(sub["year"].max())
    start, end = check_year_range(params, DEFAULT_START_YEAR, lo, hi, countries)
    if not start <= base <= end:
        which = "start_year" if base < start else "end_year"
        raise ParameterError("base_year", base, f"must lie in the plotted range {start}-{end}; set {which} to "
                             "include it",
                             list(range(start, end + 1)))
    have_base = set(sub.loc[sub["year"] == base, "entity"])
    missing = [c for c in countries if c not in have_base]
    if missing:
        c = missing[0]
        common = sorted(set.intersection(*(set(sub.loc[sub["entity"] == k, "year"].astype(int))
                                           for k in countries)))
        raise ParameterError(
            "base_year", base,
            f"{c} ({labels.area_name(c, 'en')}) has no {key} value in {base}; {c} has data for "
            f"{year_ranges(sub.loc[sub['entity'] == c, 'year'])}. Choose a base year all selected areas have, "
            "or drop the area", common)
    return countries


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


def series_ends(frame: pd.DataFrame) -> pd.DataFrame:
    """First and last year with a value per country, and the years missing in between."""
    rows = []
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code]
        obs = f.loc[f["status"] == "observed", "year"]
        rows.append({"entity": code, "first": int(obs.min()), "last": int(obs.max()),
                     "gaps": list(f.loc[f["status"] == "gap", "year"].astype(int))})
    return pd.DataFrame(rows)


def title(lang: str, base_year: int = DEFAULT_BASE_YEAR, measure: str = DEFAULT_MEASURE) -> str:
    """Figure title in the chosen language."""
    if measure == "B_RS":
        return labels.text(f"Growth of business-enterprise researchers by country (index, {base_year} = 100)",
                           f"各国の企業における研究者の伸び（{base_year}年を100とした場合の指数）", lang)
    name = msti.measure_label(measure, lang)
    return labels.text(f"Growth of {name.lower()} by country (index, {base_year} = 100)",
                       f"各国の{name}の伸び（{base_year}年を100とした場合の指数）", lang)


def note(frame: pd.DataFrame, lang: str, base_year: int = DEFAULT_BASE_YEAR) -> str:
    """Source, coverage, flags, gaps and differences from the deck, as printed under the figure."""
    start, end = int(frame["year"].min()), int(frame["year"].max())
    key = str(frame["indicator"].iloc[0])
    lines = [labels.text(f"{SOURCE_EN}; series {key} (full-time equivalent).",
                         f"{SOURCE_JA}。系列 {key}（フルタイム換算）。", lang)]
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
    return "\n".join(lines)


def plot(frame: pd.DataFrame, lang: str = "ja", base_year: int = DEFAULT_BASE_YEAR,
         measure: str = DEFAULT_MEASURE) -> plt.Figure:
    """Draw figure 1 from ``index_frame`` output; the note is added under the axes."""
    labels.check_lang(lang)
    plotting.set_style()
    fig, ax = plt.subplots()
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
    flag_legend(ax, frame, "index", lang)
    plotting.add_note(fig, note(frame, lang, base_year), NOTE_EM)
    return fig


def make(tidy: pd.DataFrame, countries: list[str] | None = None, base_year: int = DEFAULT_BASE_YEAR,
         start_year: int = DEFAULT_START_YEAR, end_year: int | None = None, measure: str = DEFAULT_MEASURE,
         lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 1. Returns {'data', 'figure', 'note', 'paths'} (paths: png/svg/csv)."""
    labels.check_lang(lang)
    frame = index_frame(tidy, countries, base_year, start_year, end_year, measure)
    fig = plot(frame, lang, base_year, measure)
    outdir = resolve_output_dir(output_dir, "figures", STEM)
    stem = STEM if lang == "ja" else f"{STEM}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": note(frame, lang, base_year), "paths": saved}


# ---------------------------------------------------------------- text generated from the data drawn
JUMP = 0.10  # a year-on-year change larger than this (10 %) without a break flag is pointed out


def _names(codes: Iterable[str], lang: str) -> str:
    return ("、" if lang == "ja" else ", ").join(labels.area_name(c, lang) for c in codes)


def flags_text(frame: pd.DataFrame, lang: str, value_col: str = "value") -> list[str]:
    """Sentences on the OECD flags of the drawn points: definition differs (D), estimates (E), breaks (B)."""
    out = []
    shown = frame[frame[value_col].notna()]
    for flag, col, (en, ja) in (("D", "definition_differs", FLAG_TEXT["D"]), ("E", "estimate", FLAG_TEXT["E"]),
                                ("P", "provisional", FLAG_TEXT["P"]), ("B", "break", FLAG_TEXT["B"])):
        parts = []
        for code in dict.fromkeys(shown["entity"]):
            rows = shown[shown["entity"] == code]
            ys = rows.loc[rows[col], "year"]
            if ys.empty:
                continue
            when = (labels.text("throughout", "全期間", lang) if len(ys) == len(rows)
                    else year_ranges(ys))
            parts.append(f"{labels.area_name(code, lang)} ({when})")
        if parts:
            out.append(labels.text(f"Flagged '{en}' ({flag}): " + ", ".join(parts) + ".",
                                   f"「{ja}」（{flag}）：" + "、".join(parts) + "。", lang))
    return out


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
