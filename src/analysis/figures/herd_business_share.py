"""Deck figures 3 and 4: higher-education R&D (HERD) and the share of it financed by business.

* Figure 3 (高等教育機関のR&D支出および国内企業による拠出割合（2021年）): for one year, HERD by economy
  (OECD MSTI ``H.USD_PPP.Q._Z`` constant 2020 USD PPP, or ``H.USD_PPP.V._Z`` current USD PPP) beside the % of
  HERD financed by the business enterprise sector (``H_FB.PT_HERD._Z._Z``). The deck converted HERD to yen at
  the 2021 average TTB rate; that rate is not in the project's raw data, so HERD is shown in USD PPP.
* Figure 4 (高等教育機関における企業負担研究開発費, 割合): the same business-financed share over time, with
  OECD breaks in series marked (e.g. Japan 1996, 2008, 2013, 2018; United Kingdom 2018, 4.4 % -> 9.2 %).

Missing observations are shown as missing. With ``fallback_latest=True`` figure 3 uses, per economy and per
series, the most recent year before the requested one that has a value, and labels the bar with that year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting
from ..errors import ParameterError
from ..sources import msti
from .business_researchers import (NOTE_EM, SOURCE_EN, SOURCE_JA, check_countries, complete_grid, draw_series,
                                   flag_columns, flag_legend, flag_notes, year_ticks)
from .common import check_int, check_keys, check_year_range, resolve_output_dir, year_ranges

DATA_NAME = "oecd_msti"
STEM_SNAPSHOT = "fig03_herd_business_share_2021"
STEM_TREND = "fig04_herd_business_share_trend"
SHARE_KEY = msti.series_key("H_FB", "PT_HERD")
PRICE_BASES = {"constant": "Q", "current": "V"}
SORTS = ("share", "herd", "none")
# The deck's text does not list the economies of figure 3; this set covers the economies the deck discusses
# (Japan, the US, Europe's largest, Korea, China, Taiwan, Singapore) plus the OECD total.
SNAPSHOT_COUNTRIES = ["JPN", "USA", "DEU", "GBR", "FRA", "KOR", "CHN", "TWN", "SGP", "OECD"]
TREND_COUNTRIES = ["TWN", "KOR", "JPN", "USA", "CHN", "DEU"]
SNAPSHOT_PARAMS = ("year", "countries", "sort_by", "price_basis", "fallback_latest", "lang", "output_dir")
TREND_PARAMS = ("countries", "start_year", "end_year", "lang", "output_dir")
DEFAULT_YEAR = 2021
DEFAULT_TREND_START = 1995


def herd_key(price_basis: str) -> str:
    """Tidy indicator of HERD in USD PPP for 'constant' (2020 prices) or 'current' prices."""
    if price_basis not in PRICE_BASES:
        raise ParameterError("price_basis", price_basis, "unknown price basis", list(PRICE_BASES))
    return msti.series_key("H", "USD_PPP", PRICE_BASES[price_basis])


def _tidy(tidy: pd.DataFrame | None) -> pd.DataFrame:
    if tidy is None:
        from .. import data
        tidy = data.load(DATA_NAME)
    return tidy


def _common(params: dict[str, Any]) -> None:
    labels.check_lang(params.get("lang", "ja"))
    od = params.get("output_dir", "")
    if not isinstance(od, (str, Path)):
        raise ParameterError("output_dir", od, "must be a path string ('' = default output folder)")


def validate_snapshot_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check figure-3 parameters (``year, countries, sort_by, price_basis, fallback_latest, lang, output_dir``;
    missing ones take the defaults) and raise ``ParameterError`` on the first bad one.

    ``countries=[]`` is the automatic choice (``common.EMPTY_RULE``): every economy with a business-share value in
    ``year`` (with ``fallback_latest``, in or before ``year``); aggregates such as OECD are not added."""
    snapshot_countries(params, tidy)


def snapshot_countries(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> list[str]:
    """The validated figure-3 country list (``[]`` resolved as ``validate_snapshot_params`` says)."""
    check_keys(params, SNAPSHOT_PARAMS)
    _common(params)
    sort_by = params.get("sort_by", "share")
    if sort_by not in SORTS:
        raise ParameterError("sort_by", sort_by, "unknown sort order", SORTS)
    price = params.get("price_basis", "constant")
    if price not in PRICE_BASES:
        raise ParameterError("price_basis", price, "unknown price basis", list(PRICE_BASES))
    fallback = params.get("fallback_latest", False)
    if not isinstance(fallback, bool):
        raise ParameterError("fallback_latest", fallback, "must be True or False", [True, False])
    year = check_int("year", params.get("year", DEFAULT_YEAR))
    tidy = _tidy(tidy)
    share = tidy[tidy["indicator"] == SHARE_KEY]
    in_year = share["year"] <= year if fallback else share["year"] == year
    countries = check_countries(params.get("countries", SNAPSHOT_COUNTRIES), share["entity"], SHARE_KEY,
                                auto=share.loc[in_year, "entity"],
                                why=f" {'in or before' if fallback else 'in'} year {year}")
    share = share[share["entity"].isin(countries)]
    herd = tidy[(tidy["indicator"] == herd_key(price)) & tidy["entity"].isin(countries)]
    both = pd.concat([share, herd])
    if fallback:
        earliest = int(both["year"].min())
        if year < earliest:
            raise ParameterError("year", year, f"no data for {', '.join(countries)} in or before this year",
                                 sorted(both["year"].astype(int).unique()))
    elif not (both["year"] == year).any():
        raise ParameterError("year", year, f"no HERD or business-share value for {', '.join(countries)} in this "
                             "year (set fallback_latest=True to use each economy's latest earlier year)",
                             sorted(both["year"].astype(int).unique()))
    return countries


def validate_trend_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check figure-4 parameters (``countries, start_year, end_year (None = latest), lang, output_dir``).

    ``countries=[]`` is the automatic choice (``common.EMPTY_RULE``): every economy with a business-share value
    between ``start_year`` and ``end_year``; aggregates are not added."""
    trend_countries(params, tidy)


def trend_countries(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> list[str]:
    """The validated figure-4 country list (``[]`` resolved as ``validate_trend_params`` says)."""
    check_keys(params, TREND_PARAMS)
    _common(params)
    tidy = _tidy(tidy)
    share = tidy[tidy["indicator"] == SHARE_KEY]
    start_raw = check_int("start_year", params.get("start_year", DEFAULT_TREND_START))
    end_raw = params.get("end_year")
    window = share["year"] >= start_raw
    if end_raw is not None:
        window &= share["year"] <= check_int("end_year", end_raw)
    countries = check_countries(params.get("countries", TREND_COUNTRIES), share["entity"], SHARE_KEY,
                                auto=share.loc[window, "entity"], why=f" from {start_raw} to {end_raw or 'latest'}")
    share = share[share["entity"].isin(countries)]
    lo, hi = int(share["year"].min()), int(share["year"].max())
    start, end = check_year_range(params, DEFAULT_TREND_START, lo, hi, countries)
    have = share[(share["year"] >= start) & (share["year"] <= end)]
    empty = [c for c in countries if c not in set(have["entity"])]
    if empty:
        c = empty[0]
        raise ParameterError("countries", c, f"no value in {start}-{end}; {c} has data for "
                             f"{year_ranges(share.loc[share['entity'] == c, 'year'])}")
    return countries


def validate_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Validate the parameters of either notebook of this module (figure 3 or figure 4).

    Figure-3 parameter sets contain ``year``/``sort_by``/``price_basis``/``fallback_latest``; figure-4 sets
    contain ``start_year``/``end_year``. A set with keys of both, or of neither, is checked as figure 3 if it
    has no trend-only key, else as figure 4, so an unknown or misplaced key is reported by name.
    """
    trend_only = set(TREND_PARAMS) - set(SNAPSHOT_PARAMS)
    if set(params) & trend_only:
        validate_trend_params(params, tidy)
    else:
        validate_snapshot_params(params, tidy)


# ---------------------------------------------------------------- figure 3
def _pick(series: pd.DataFrame, countries: list[str], year: int, fallback: bool) -> pd.DataFrame:
    """Per country: the value in ``year``; with ``fallback`` the latest earlier year if ``year`` is missing."""
    rows = []
    for c in countries:
        s = series[series["entity"] == c]
        exact = s[s["year"] == year]
        if len(exact):
            r, status = exact.iloc[0], "observed"
        elif fallback and (s["year"] < year).any():
            r, status = s[s["year"] < year].sort_values("year").iloc[-1], "fallback"
        else:
            rows.append({"entity": c, "year": pd.NA, "value": np.nan, "flags": "", "status": "missing"})
            continue
        rows.append({"entity": c, "year": int(r["year"]), "value": float(r["value"]), "flags": str(r["flags"]),
                     "status": status})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def snapshot_frame(tidy: pd.DataFrame, year: int = DEFAULT_YEAR, countries: list[str] | None = None,
                   sort_by: str = "share", price_basis: str = "constant",
                   fallback_latest: bool = False) -> pd.DataFrame:
    """The data behind figure 3, one row per economy in display order (top bar first).

    Columns: entity, share (% of HERD financed by business), share_year, share_flags, share_status
    ('observed' / 'fallback' / 'missing'), herd (USD PPP, units), herd_year, herd_flags, herd_status,
    share_indicator, herd_indicator. Missing values stay NaN; rows without the sort value go last.
    """
    countries = list(SNAPSHOT_COUNTRIES if countries is None else countries)
    countries = snapshot_countries({"year": year, "countries": countries, "sort_by": sort_by,
                              "price_basis": price_basis, "fallback_latest": fallback_latest}, tidy)
    hkey = herd_key(price_basis)
    share = _pick(tidy[tidy["indicator"] == SHARE_KEY], countries, year, fallback_latest)
    herd = _pick(tidy[tidy["indicator"] == hkey], countries, year, fallback_latest)
    out = pd.DataFrame({"entity": countries})
    for name, part in (("share", share), ("herd", herd)):
        part = part.set_index("entity")
        out[name] = out["entity"].map(part["value"])
        out[f"{name}_year"] = out["entity"].map(part["year"]).astype("Int64")
        out[f"{name}_flags"] = out["entity"].map(part["flags"])
        out[f"{name}_status"] = out["entity"].map(part["status"])
    out["share_indicator"] = SHARE_KEY
    out["herd_indicator"] = hkey
    if sort_by != "none":
        # stable sort keeps the user's order among ties and among missing values
        out = out.sort_values(sort_by, ascending=False, na_position="last", kind="mergesort")
    return out.reset_index(drop=True)


def snapshot_title(year: int, lang: str) -> str:
    """Figure-3 title."""
    return labels.text(f"Higher-education R&D expenditure (HERD) and the share financed by business ({year})",
                       f"高等教育機関のR&D支出および国内企業による拠出割合（{year}年）", lang)


def _herd_unit(price_basis: str, lang: str) -> str:
    if price_basis == "constant":
        return labels.text("USD bn, PPP, constant 2020 prices", "10億米ドル（購買力平価、2020年基準実質）", lang)
    return labels.text("USD bn, PPP, current prices", "10億米ドル（購買力平価、名目）", lang)


def snapshot_note(frame: pd.DataFrame, year: int, lang: str) -> str:
    """Sources, units, flags, missing values, fallbacks and differences from the deck for figure 3."""
    hkey = str(frame["herd_indicator"].iloc[0])
    lines = [labels.text(f"{SOURCE_EN}; series {hkey} and {SHARE_KEY}.",
                         f"{SOURCE_JA}。系列 {hkey} および {SHARE_KEY}。", lang)]
    lines.append(labels.text(
        "The deck (source: OECD 'Research and Development statistics') converted HERD to yen at the 2021 average "
        "TTB rate. That rate is not in this project's raw data, so HERD is shown in US dollars at purchasing "
        "power parity instead; the shares are unaffected.",
        "原図（出典：OECD「Research and Development statistics」）はHERDを2021年の年間平均TTBレートで円換算して"
        "いるが、同レートは本プロジェクトの原データに含まれないため、購買力平価による米ドル表示とした"
        "（割合は換算の影響を受けない）。", lang))
    for part, what_en, what_ja in (("share", "business-financed share", "企業拠出割合"), ("herd", "HERD", "HERD")):
        miss = frame.loc[frame[f"{part}_status"] == "missing", "entity"]
        if len(miss):
            names = ", ".join(labels.area_name(c, lang) for c in miss)
            lines.append(labels.text(f"No {what_en} value for {year}: {names} (shown as 'no data').",
                                     f"{year}年の{what_ja}の値なし：{names}（「データなし」と表示）。", lang))
        fb = frame[frame[f"{part}_status"] == "fallback"]
        if len(fb):
            items = ", ".join(f"{labels.area_name(r.entity, lang)} {getattr(r, part + '_year')}"
                              for r in fb.itertuples(index=False))
            lines.append(labels.text(f"{what_en} for {year} not published; latest earlier year used: {items} "
                                     "(year shown on the bar).",
                                     f"{what_ja}は{year}年の値がないため直近の年を使用：{items}（棒に年を表示）。",
                                     lang))
    flagged = []
    for part in ("share", "herd"):
        f = frame[["entity", part, f"{part}_year", f"{part}_flags"]].rename(
            columns={part: "value", f"{part}_year": "year", f"{part}_flags": "flags"})
        f = f[f["value"].notna()]
        for line in flag_notes(f, lang):
            label = labels.text("share" if part == "share" else "HERD", "割合" if part == "share" else "HERD", lang)
            flagged.append(f"[{label}] {line}")
    if flagged:
        lines.append(labels.text("OECD flags: ", "OECDフラグ：", lang) + " / ".join(flagged))
    return "\n".join(lines)


def _bar_label(value: float, year: Any, flags: str, target: int, fmt: str) -> str:
    text = format(value, fmt)
    marks = "".join(f for f in "BEPD" if f in (flags or ""))
    if marks:
        text += f" {marks}"
    if not pd.isna(year) and int(year) != target:
        text += f" ({int(year)})"
    return text


def snapshot_plot(frame: pd.DataFrame, year: int, lang: str = "ja", price_basis: str = "constant") -> plt.Figure:
    """Two horizontal-bar panels sharing the economy axis: business-financed share (left), HERD (right)."""
    labels.check_lang(lang)
    plotting.set_style()
    n = len(frame)
    fig, (ax1, ax2) = plt.subplots(1, 2, sharey=True, figsize=(13, max(4.5, 0.6 * n + 2.2)),
                                   gridspec_kw={"wspace": 0.08})
    fig.subplots_adjust(bottom=0.07)  # the note goes right under the tick labels
    ypos = np.arange(n)
    names = [labels.area_name(c, lang) for c in frame["entity"]]
    colors = [plotting.color(c) for c in frame["entity"]]
    no_data = labels.text("no data", "データなし", lang)
    for ax, col, fmt, scale in ((ax1, "share", ".1f", 1.0), (ax2, "herd", ".1f", 1e-9)):
        vals = frame[col] * scale
        hatch = ["//" if str(f) and any(k in str(f) for k in "EP") else "" for f in frame[f"{col}_flags"]]
        bars = ax.barh(ypos, vals.fillna(0), color=colors, edgecolor="white")
        for b, h, fb in zip(bars, hatch, frame[f"{col}_status"]):
            if h:
                b.set_hatch(h)
            if fb == "fallback":
                b.set_alpha(0.55)
        vmax = float(np.nanmax(vals)) if vals.notna().any() else 1.0
        for y, v, yr, fl in zip(ypos, vals, frame[f"{col}_year"], frame[f"{col}_flags"]):
            if pd.isna(v):
                ax.text(vmax * 0.01, y, no_data, va="center", ha="left", fontsize=12, color="#666666")
            else:
                ax.text(v + vmax * 0.01, y, _bar_label(v, yr, fl, year, fmt), va="center", ha="left", fontsize=12)
        ax.set_xlim(0, vmax * 1.32)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="x", labelsize=12)
    ax1.set_yticks(ypos, names, fontsize=14)
    ax1.invert_yaxis()
    ax1.set_title(labels.text("% of HERD financed by business", "国内企業による拠出割合（％）", lang),
                  fontsize=15, fontweight="normal")
    ax2.set_title(labels.text("HERD", "高等教育機関のR&D支出", lang) + "\n" + _herd_unit(price_basis, lang),
                  fontsize=15, fontweight="normal")
    # IPAex Gothic has no bold face; asking for one only triggers a findfont warning
    fig.suptitle(snapshot_title(year, lang), fontsize=17, fontweight="normal", y=1.02)
    legend = labels.text("Letters after a value: OECD flags (B break, E estimate, P provisional, D definition "
                         "differs); hatched bar = E/P; (year) = latest earlier year used; pale bar = fallback.",
                         "数値の後の記号：OECDフラグ（B 断層、E 推計値、P 暫定値、D 定義が異なる）。斜線＝E/P、"
                         "（年）＝直近年の値を使用、淡色＝直近年で代替。", lang)
    plotting.add_note(fig, legend + "\n" + snapshot_note(frame, year, lang), NOTE_EM * 13 / 11)
    return fig


def make_snapshot(tidy: pd.DataFrame, year: int = DEFAULT_YEAR, countries: list[str] | None = None,
                  sort_by: str = "share", price_basis: str = "constant", fallback_latest: bool = False,
                  lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 3. Returns {'data', 'figure', 'note', 'paths'}."""
    labels.check_lang(lang)
    frame = snapshot_frame(tidy, year, countries, sort_by, price_basis, fallback_latest)
    fig = snapshot_plot(frame, year, lang, price_basis)
    outdir = resolve_output_dir(output_dir, "figures", STEM_SNAPSHOT)
    base = STEM_SNAPSHOT if year == DEFAULT_YEAR else f"fig03_herd_business_share_{year}"  # file names say the year
    stem = base if lang == "ja" else f"{base}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": snapshot_note(frame, year, lang), "paths": saved}


# ---------------------------------------------------------------- figure 4
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


def trend_note(frame: pd.DataFrame, lang: str) -> str:
    """Sources, coverage, gaps, breaks and other flags for figure 4."""
    start, end = int(frame["year"].min()), int(frame["year"].max())
    lines = [labels.text(f"{SOURCE_EN}; series {SHARE_KEY} (% of HERD financed by the business enterprise "
                         "sector).",
                         f"{SOURCE_JA}。系列 {SHARE_KEY}（高等教育部門の研究開発費のうち企業部門が負担する割合）。",
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
    return "\n".join(lines)


def trend_plot(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Draw figure 4 from ``trend_frame`` output."""
    labels.check_lang(lang)
    plotting.set_style()
    fig, ax = plt.subplots()
    draw_series(ax, frame, "share", lang)
    years = frame["year"].astype(int)
    ax.set_xlim(years.min() - 0.5, years.max() + 0.8)
    ax.set_xticks(year_ticks(int(years.min()), int(years.max())))
    ax.tick_params(axis="x", labelsize=13)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(labels.text("Year", "年", lang))
    ax.set_ylabel(labels.text("% of HERD", "割合（％）", lang))
    ax.set_title(trend_title(lang), fontsize=17, fontweight="normal")
    flag_legend(ax, frame, "share", lang)
    plotting.add_note(fig, trend_note(frame, lang), NOTE_EM)
    return fig


def make_trend(tidy: pd.DataFrame, countries: list[str] | None = None, start_year: int = DEFAULT_TREND_START,
               end_year: int | None = None, lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 4. Returns {'data', 'figure', 'note', 'paths'}."""
    labels.check_lang(lang)
    frame = trend_frame(tidy, countries, start_year, end_year)
    fig = trend_plot(frame, lang)
    outdir = resolve_output_dir(output_dir, "figures", STEM_TREND)
    stem = STEM_TREND if lang == "ja" else f"{STEM_TREND}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": trend_note(frame, lang), "paths": saved}


# ---------------------------------------------------------------- text generated from the data drawn
def snapshot_text(frame: pd.DataFrame, year: int, lang: str = "ja") -> str:
    """What figure 3 shows, from ``snapshot_frame`` output: economies, missing or earlier-year values, flags."""
    from .business_researchers import _names

    labels.check_lang(lang)
    codes = list(frame["entity"])
    out = [labels.text(f"This run shows {len(codes)} economies for {year}: {_names(codes, lang)}.",
                       f"この実行は{year}年の{len(codes)}か国・地域：{_names(codes, lang)}。", lang)]
    for what, en, ja in (("share", "business-financed share", "企業負担割合"), ("herd", "HERD", "HERD")):
        miss = frame.loc[frame[f"{what}_status"] == "missing", "entity"]
        if len(miss):
            out.append(labels.text(f"No {en} value for {year} (shown as no data): {_names(miss, lang)}.",
                                   f"{year}年の{ja}の値なし（データなしと表示）：{_names(miss, lang)}。", lang))
        fb = frame[frame[f"{what}_status"] == "fallback"]
        if len(fb):
            out.append(labels.text(
                f"{en} from an earlier year: " + ", ".join(
                    f"{labels.area_name(r.entity, lang)} ({getattr(r, what + '_year')})" for r in fb.itertuples()) + ".",
                f"{ja}を以前の年で表示：" + "、".join(
                    f"{labels.area_name(r.entity, lang)}（{getattr(r, what + '_year')}年）" for r in fb.itertuples())
                + "。", lang))
    for flag, (en, ja) in (("D", ("definition differs", "定義が異なる")), ("E", ("estimate", "推計値")),
                           ("P", ("provisional", "暫定値")), ("B", ("break in series", "系列の断層"))):
        hit = frame.loc[frame["share_flags"].fillna("").str.contains(flag, regex=False), "entity"]
        if len(hit):
            out.append(labels.text(f"Share flagged '{en}' ({flag}): {_names(hit, lang)}.",
                                   f"企業負担割合に「{ja}」（{flag}）：{_names(hit, lang)}。", lang))
    shown = frame[frame["share"].notna()]
    if len(shown):
        exact = ", ".join(f"{labels.area_name(r.entity, lang)} {r.share:g}" for r in shown.itertuples())
        out.append(labels.text(f"Shares as held in the file (%, bars show one decimal): {exact}.",
                               f"ファイル上の割合（％、棒は小数1桁で表示）：{exact}。", lang))
    return "\n\n".join(out)


def trend_text(frame: pd.DataFrame, lang: str = "ja") -> str:
    """What figure 4 shows, from ``trend_frame`` output: economies and years, series that end early or have
    gaps, each break with the values either side, and the OECD flags of the drawn points."""
    from .business_researchers import _names, flags_text, series_ends

    labels.check_lang(lang)
    start, end = int(frame["year"].min()), int(frame["year"].max())
    codes = list(dict.fromkeys(frame["entity"]))
    out = [labels.text(f"This run draws {len(codes)} economies ({_names(codes, lang)}), {start}-{end}.",
                       f"この実行の図は{len(codes)}か国・地域（{_names(codes, lang)}）、{start}-{end}年。", lang)]
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
