"""Deck figure 3 (高等教育機関のR&D支出および国内企業による拠出割合（2021年）): for one year, HERD by economy
in USD PPP beside the % of HERD financed by business, OECD flags on the bars; ``fallback_latest`` uses each
economy's latest earlier year and says so on the bar. ``compare_vintage`` marks the other vintage's value of each
bar with an open ghost marker (:mod:`msti_compare`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting, vintage_text
from . import msti_compare
from .common import resolve_output_dir
from .herd_params import (DEFAULT_YEAR, SHARE_KEY, SNAPSHOT_COUNTRIES, STEM_SNAPSHOT, herd_key,
                          snapshot_countries)
from .msti_series import flag_notes, names

# the note is set at 13 pt in this wider figure: fewer em per line
NOTE_EM = plotting.NOTE_EM * 13 / 11


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


def snapshot_note(frame: pd.DataFrame, year: int, lang: str, compare: str | None = None) -> str:
    """Sources (naming the vintage drawn), units, flags, missing values, fallbacks and differences from the deck
    for figure 3; with ``compare`` (a vintage), what the open diamonds show."""
    hkey = str(frame["herd_indicator"].iloc[0])
    source = vintage_text.msti_source_line(lang)
    lines = [labels.text(f"{source}; series {hkey} and {SHARE_KEY}.",
                         f"{source}。系列 {hkey} および {SHARE_KEY}。", lang)]
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
    if compare is not None:
        lines.append(msti_compare.note_line(frame, ["share", "herd"], compare, lang, markers=True))
    return "\n".join(lines)


def _bar_label(value: float, year: Any, flags: str, target: int, fmt: str) -> str:
    text = format(value, fmt)
    marks = "".join(f for f in "BEPD" if f in (flags or ""))
    if marks:
        text += f" {marks}"
    if not pd.isna(year) and int(year) != target:
        text += f" ({int(year)})"
    return text


def snapshot_plot(frame: pd.DataFrame, year: int, lang: str = "ja", price_basis: str = "constant",
                  compare: str | None = None) -> plt.Figure:
    """Two horizontal-bar panels sharing the economy axis: business-financed share (left), HERD (right); with
    ``compare`` (``snapshot_compare_frame`` output), the other vintage's values as open diamonds."""
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
        ends = vals  # where each value label starts: after the bar, or after the other vintage's diamond
        if compare is not None:
            old = frame[msti_compare.column(col, compare)] * scale
            msti_compare.ghost_markers(ax, old, ypos)
            vmax = max(vmax, float(np.nanmax(old))) if old.notna().any() else vmax
            ends = pd.concat([vals, old], axis=1).max(axis=1) + vmax * 0.02
        for y, v, x, yr, fl in zip(ypos, vals, ends, frame[f"{col}_year"], frame[f"{col}_flags"]):
            if pd.isna(v):
                ax.text(vmax * 0.01, y, no_data, va="center", ha="left", fontsize=12, color="#666666")
            else:
                ax.text(x + vmax * 0.01, y, _bar_label(v, yr, fl, year, fmt), va="center", ha="left", fontsize=12)
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
    for handle, text in msti_compare.legend_entries(compare, lang, markers=True):
        ax2.legend([handle], [text], loc="lower right", fontsize=12)
    legend = labels.text("Letters after a value: OECD flags (B break, E estimate, P provisional, D definition "
                         "differs); hatched bar = E/P; (year) = latest earlier year used; pale bar = fallback.",
                         "数値の後の記号：OECDフラグ（B 断層、E 推計値、P 暫定値、D 定義が異なる）。斜線＝E/P、"
                         "（年）＝直近年の値を使用、淡色＝直近年で代替。", lang)
    plotting.add_note(fig, legend + "\n" + snapshot_note(frame, year, lang, compare), NOTE_EM)
    return fig


def make_snapshot(tidy: pd.DataFrame, year: int = DEFAULT_YEAR, countries: list[str] | None = None,
                  sort_by: str = "share", price_basis: str = "constant", fallback_latest: bool = False,
                  compare_vintage: str = "", lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 3. Returns {'data', 'figure', 'note', 'paths'}.

    ``compare_vintage`` ("" = none, a committed vintage of oecd_msti, or "previous") marks that vintage's value
    of each bar, computed by ``snapshot_frame`` from its raw file, and adds them to the CSV."""
    labels.check_lang(lang)
    frame = snapshot_frame(tidy, year, countries, sort_by, price_basis, fallback_latest)
    compare = None
    old = msti_compare.load(compare_vintage)
    if old is not None:
        compare, old_tidy = old
        frame = snapshot_compare_frame(frame, old_tidy, compare, year, price_basis, fallback_latest)
    fig = snapshot_plot(frame, year, lang, price_basis, compare)
    outdir = resolve_output_dir(output_dir, "figures", STEM_SNAPSHOT)
    base = STEM_SNAPSHOT if year == DEFAULT_YEAR else f"fig03_herd_business_share_{year}"  # file names say the year
    stem = base if lang == "ja" else f"{base}_{lang}"
    saved = plotting.save(fig, frame, outdir, stem)
    return {"data": frame, "figure": fig, "note": snapshot_note(frame, year, lang, compare), "paths": saved}


def snapshot_compare_frame(frame: pd.DataFrame, old_tidy: pd.DataFrame, vintage: str, year: int = DEFAULT_YEAR,
                           price_basis: str = "constant", fallback_latest: bool = False) -> pd.DataFrame:
    """``frame`` (``snapshot_frame`` output) with the other vintage's share and HERD, their years, flags and
    status in columns ``share_vintage_<v>`` ..., computed by ``snapshot_frame`` on that vintage's data for the
    same economies, year and options (rows keep ``frame``'s order)."""
    countries = list(frame["entity"])
    old = msti_compare.checked(vintage, lambda: snapshot_frame(old_tidy, year, countries, "none", price_basis,
                                                               fallback_latest))
    cols = [f"{p}{s}" for p in ("share", "herd") for s in ("", "_year", "_flags", "_status")]
    return msti_compare.add_columns(frame, old, ["entity"], cols, vintage)

def snapshot_text(frame: pd.DataFrame, year: int, lang: str = "ja") -> str:
    """What figure 3 shows, from ``snapshot_frame`` output: economies, missing or earlier-year values, flags."""
    labels.check_lang(lang)
    codes = list(frame["entity"])
    out = [labels.text(f"This run shows {len(codes)} economies for {year}: {names(codes, lang)}.",
                       f"この実行は{year}年の{len(codes)}か国・地域：{names(codes, lang)}。", lang)]
    for what, en, ja in (("share", "business-financed share", "企業負担割合"), ("herd", "HERD", "HERD")):
        miss = frame.loc[frame[f"{what}_status"] == "missing", "entity"]
        if len(miss):
            out.append(labels.text(f"No {en} value for {year} (shown as no data): {names(miss, lang)}.",
                                   f"{year}年の{ja}の値なし（データなしと表示）：{names(miss, lang)}。", lang))
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
            out.append(labels.text(f"Share flagged '{en}' ({flag}): {names(hit, lang)}.",
                                   f"企業負担割合に「{ja}」（{flag}）：{names(hit, lang)}。", lang))
    shown = frame[frame["share"].notna()]
    if len(shown):
        exact = ", ".join(f"{labels.area_name(r.entity, lang)} {r.share:g}" for r in shown.itertuples())
        out.append(labels.text(f"Shares as held in the file (%, bars show one decimal): {exact}.",
                               f"ファイル上の割合（％、棒は小数1桁で表示）：{exact}。", lang))
    return "\n\n".join(out)

