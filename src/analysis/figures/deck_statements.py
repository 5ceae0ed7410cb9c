"""Figure 9: the deck's own quantitative statements, drawn as small charts with the deck as their source.

Panels: (a) corporate funding of universities (the deck's 「大学によるグローバル企業の資金受入れ」 table and its other
partnership examples), in the deck's own yen equivalents; (b) Kyushu University case counts 2019 vs 2023;
(c) Quantonation funds; (d) the Fraunhofer one-third rule and its 25-55 % private-income band; (e) the Berkeley
SkyDeck Fund. Every bar or band is the deck's statement (registry :mod:`analysis.deck`, parsed from verbatim
quotes). Where a collected source gives the same quantity it is drawn as a separate marker, never merged.
The parameters and their check (the notebook's validate hook) are in :mod:`deck_statements_params`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import deck, io, labels, paths, plotting
from .deck_statements_params import DEFAULTS, validate_params  # noqa: F401  (the notebook and tests call it here)

STEM = "fig09_deck_statements"

# Rows of panel (a), top to bottom: the deck's table first, then its other examples.
PARTNERSHIPS = ("fujitsu_nus", "samsung_texas", "imperial_japan", "toyota_mit_stanford", "utokyo_chicago",
                "osaka_chugai", "ntu_taiwan", "xpai_each")
SHORT: dict[str, tuple[str, str]] = {
    "fujitsu_nus": ("Fujitsu – NUS (2014–, 5 yrs)", "富士通–シンガポール国立大（2014年から5年）"),
    "samsung_texas": ("Samsung – Texas A&M / UT (2023)", "サムスン–テキサスA&M大・テキサス大（2023年）"),
    "imperial_japan": ("Imperial College – 25+ Japanese firms (10 yrs)", "インペリアル・カレッジ–日本企業25社以上（10年間）"),
    "toyota_mit_stanford": ("Toyota – MIT / Stanford (2015–, 5 yrs)", "トヨタ–MIT・スタンフォード（2015年から5年）"),
    "utokyo_chicago": ("UTokyo – UChicago – IBM / Google (2023–, 10 yrs)", "東大–シカゴ大–IBM・Google（2023年から10年）"),
    "osaka_chugai": ("Osaka Univ. – Chugai (2016, 10 yrs)", "大阪大–中外製薬（2016年締結, 10年間）"),
    "ntu_taiwan": ("Natl Taiwan Univ. – TSMC etc. + govt (2022)", "台湾大–TSMCなど4社・行政機関（2022年）"),
    "xpai_each": ("Tsukuba – UW – Amazon / NVIDIA (10 yrs)", "筑波大–ワシントン大–Amazon・NVIDIA（10年間）"),
}
JAPANESE_UNIVERSITY = {"utokyo_chicago", "osaka_chugai", "xpai_each"}
CURRENCY_LABEL = {"USD": ("USD", "USドル"), "SGD": ("SGD", "シンガポールドル"), "JPY": ("JPY", "円"),
                  "EUR": ("EUR", "ユーロ")}
QUALIFIER_LABEL = {"max": ("up to ", "最大"), "each": ("each ", "各社"), "approx": ("approx. ", "約"),
                   "at_least": ("at least ", "以上"), "exact": ("", "")}
DECK_COLOR = "#4c72b0"
SOURCE_COLOR = "#222222"


def _flat(label: str, lang: str) -> str:
    """A two-line tick label as one line (space in English, nothing in Japanese)."""
    return label.replace("\n", " " if lang == "en" else "")


def output_dir(value: str = "") -> Path:
    """Where outputs go: ``value`` if given, else ``output/figures/fig09_deck_statements``."""
    return Path(value) if value else paths.output_dir() / "figures" / STEM


def _money(amount: float, unit: str, lang: str) -> str:
    """'5,000万USドル' / 'USD 50m' style label for an amount in base units."""
    if lang == "ja":
        if amount >= 1e8:
            return f"{amount / 1e8:,.4g}億{CURRENCY_LABEL[unit][1]}"
        return f"{amount / 1e4:,.4g}万{CURRENCY_LABEL[unit][1]}"
    if unit == "JPY":
        return f"JPY {amount / 1e9:,.4g}bn"
    return f"{CURRENCY_LABEL[unit][0]} {amount / 1e6:,.4g}m"


def partnership_table(lang: str = "ja") -> pd.DataFrame:
    """Panel (a) data: each partnership's amount as stated, its currency, and the deck's yen equivalent."""
    labels.check_lang(lang)
    rows = []
    for sid in PARTNERSHIPS:
        s = deck.by_id(sid)
        yen = s if s.unit == "JPY" else next(x for x in deck.STATEMENTS if x.equivalent_of == sid)
        rows.append({"id": sid, "label": SHORT[sid][0 if lang == "en" else 1], "amount": s.value,
                     "currency": s.unit, "qualifier": s.qualifier, "jpy": yen.value, "period": s.period,
                     "japanese_university": sid in JAPANESE_UNIVERSITY, "source": "METI deck",
                     "quote": " ".join(s.quote.split())})
    return pd.DataFrame(rows)


def _data_row(panel: str, sid: str, label: str, value: float, unit: str, year, source: str, status: str = "",
              source_id: str = "") -> dict:
    return {"panel": panel, "id": sid, "label": label, "value": value, "unit": unit,
            "year": year if year is not None else pd.NA, "source": source, "source_id": source_id,
            "status": status}


def figure(japan: pd.DataFrame, lang: str = "ja", rel_tol: float = deck.DEFAULT_REL_TOL
           ) -> tuple[plt.Figure, pd.DataFrame]:
    """Draw figure 9; return the figure and the exact data behind it (one row per drawn value)."""
    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    checks = deck.crosscheck(japan, rel_tol=rel_tol, lang=lang)
    plotting.set_style()
    fig = plt.figure(figsize=(17, 12.5))
    gs = fig.add_gridspec(2, 3, height_ratios=[1.15, 1], hspace=0.42, wspace=0.45, bottom=0.17)  # room for legend (d)
    data: list[dict] = []
    deck_src = t("METI deck", "経済産業省資料")

    # (a) partnerships, in the deck's own yen equivalents (億円)
    ax = fig.add_subplot(gs[0, :2])
    pt = partnership_table(lang)
    y = np.arange(len(pt))[::-1]
    colors = [plotting.color("JPN") if j else DECK_COLOR for j in pt["japanese_university"]]
    scale = 1e9 if lang == "en" else 1e8  # JPY bn / 億円
    ax.barh(y, pt["jpy"] / scale, color=colors, height=0.65)
    ax.set_yticks(y, pt["label"], fontsize=12)
    for yi, r in zip(y, pt.itertuples()):
        q = QUALIFIER_LABEL[r.qualifier][0 if lang == "en" else 1]
        orig = _money(r.amount, r.currency, lang)
        txt = (f"{q}{orig}" if lang == "en" else (f"{orig}{q}" if r.qualifier in ("each", "at_least") else f"{q}{orig}"))
        if r.currency != "JPY":
            txt += t(f"  (≈ JPY {r.jpy / 1e9:,.4g}bn)", f"（約{r.jpy / 1e8:,.4g}億円）")
        ax.text(r.jpy / scale * 1.015 + float(pt["jpy"].max()) / scale * 0.01, yi, txt, va="center", fontsize=11)
        data.append(_data_row("partnerships", r.id, r.label, r.jpy, "JPY", None, deck_src))
        if r.currency != "JPY":
            data.append(_data_row("partnerships", r.id, r.label, r.amount, r.currency, None, deck_src))
    ax.set_xlim(0, float(pt["jpy"].max()) / scale * 1.75)
    ax.set_xlabel(t("yen equivalent stated by the deck (JPY bn)", "資料記載の円換算額（億円）"), fontsize=12)
    ax.set_title(t("(a) Corporate funding of universities", "(a) 大学によるグローバル企業等の資金受入れ"), fontsize=14,
                 loc="left", fontweight="normal")
    ax.tick_params(axis="x", labelsize=11)
    ax.grid(axis="y", visible=False)
    ax.legend([plt.Rectangle((0, 0), 1, 1, color=plotting.color("JPN")), plt.Rectangle((0, 0), 1, 1, color=DECK_COLOR)],
              [t("a Japanese university takes part", "日本の大学が参加"), t("other", "その他")],
              fontsize=11, loc="lower right")

    # (b) Kyushu University case counts
    ax = fig.add_subplot(gs[0, 2])
    cats = [("kyushu_legal", t("Legal affairs", "法務業務")), ("kyushu_security", t("Security export\ncontrol", "安全保障\n管理業務"))]
    x = np.arange(len(cats))
    for k, (yr, shade) in enumerate(((2019, "#9ecae1"), (2023, "#08519c"))):
        vals = [deck.by_id(f"{c}_{yr}").value for c, _ in cats]
        bars = ax.bar(x + (k - 0.5) * 0.38, vals, width=0.38, color=shade, label=str(yr))
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v + 15, t(f"≈{v:,.0f}", f"約{v:,.0f}"), ha="center", fontsize=11)
        for (c, lab), v in zip(cats, vals):
            data.append(_data_row("kyushu", f"{c}_{yr}", _flat(lab, lang), v, "count", yr, deck_src))
    ax.set_xticks(x, [lab for _, lab in cats], fontsize=12)
    ax.set_ylim(0, 1100)
    ax.set_ylabel(t("cases per year", "件数（年間）"), fontsize=12)
    ax.tick_params(axis="y", labelsize=11)
    ax.legend(fontsize=11, loc="upper left")
    ax.set_title(t("(b) Kyushu Univ.: cases handled", "(b) 九州大学の対応件数"), fontsize=14, loc="left", fontweight="normal")

    # (c) Quantonation
    ax = fig.add_subplot(gs[1, 0])
    qids = [("quantonation_aum", t("AUM", "運用資産額")), ("quantonation_public", t("of which\npublic", "うち\n政府系")),
            ("quantonation_fund1", t("Fund I", "Fund Ⅰ")), ("quantonation_fund2", t("Fund II", "Fund Ⅱ"))]
    x = np.arange(len(qids))
    vals = [deck.by_id(s).value / 1e6 for s, _ in qids]
    ax.bar(x, vals, color=DECK_COLOR, width=0.6, label=t("deck", "資料"))
    for xi, (sid, lab), v in zip(x, qids, vals):
        data.append(_data_row("quantonation", sid, _flat(lab, lang), v * 1e6, "EUR", deck.by_id(sid).year,
                              deck_src))
        src = checks[(checks["id"] == sid) & checks["source_value"].notna()]
        for j, r in enumerate(src.itertuples()):
            ax.plot(xi + 0.18 * (j - (len(src) - 1) / 2), r.source_value / 1e6, marker="D", color=SOURCE_COLOR,
                    markersize=8, linestyle="none", label=t("collected sources", "収集した出典") if xi == 2 and j == 0 else None)
            data.append(_data_row("quantonation", sid, _flat(lab, lang), r.source_value, "EUR", r.source_year,
                                  t("collected source", "収集した出典"), r.status, r.source_ids))
    ax.set_xticks(x, [lab for _, lab in qids], fontsize=11)
    ax.set_ylabel(t("EUR m", "百万ユーロ"), fontsize=12)
    ax.set_ylim(0, 260)
    ax.tick_params(axis="y", labelsize=11)
    ax.legend(fontsize=10, loc="upper left")
    ax.set_title("(c) Quantonation", fontsize=14, loc="left", fontweight="normal")

    # (d) Fraunhofer rule
    ax = fig.add_subplot(gs[1, 1])
    band = deck.by_id("fraunhofer_private_band")
    third = deck.by_id("fraunhofer_one_third")
    ax.axvspan(band.value, band.value_high, color=DECK_COLOR, alpha=0.25,
               label=t(f"deck: private share band {band.value:.0f}–{band.value_high:.0f} %",
                       f"資料: 民間資金の許容帯 {band.value:.0f}–{band.value_high:.0f}％"))
    ax.axvline(third.value * 100, color=DECK_COLOR, linestyle="--", linewidth=2,
               label=t("deck: one-third rule", "資料: 各資金1/3ずつ"))
    data.append(_data_row("fraunhofer", band.id, "band low", band.value, "%", None, deck_src))
    data.append(_data_row("fraunhofer", band.id, "band high", band.value_high, "%", None, deck_src))
    data.append(_data_row("fraunhofer", third.id, "one third", third.value * 100, "%", None, deck_src))
    r = checks[(checks["id"] == band.id)].iloc[0]
    if pd.notna(r["source_value"]):
        ax.plot(r["source_value"], 0.5, marker="D", color=SOURCE_COLOR, markersize=10, linestyle="none",
                label=t(f"Fraunhofer {r['source_year']}: industry revenue /\ncontract research = {r['source_value']:.1f} %",
                        f"フラウンホーファー{r['source_year']}年: 産業界収入÷\n受託研究 = {r['source_value']:.1f}％"))
        data.append(_data_row("fraunhofer", band.id, "industry revenue / contract research", r["source_value"], "%",
                              r["source_year"], t("collected source", "収集した出典"), r["status"], r["source_ids"]))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 2.0)
    ax.set_yticks([])
    ax.set_xlabel(t("share of private (industry) income, %", "民間資金の割合（％）"), fontsize=12)
    ax.tick_params(axis="x", labelsize=11)
    # below the axes, so that it covers neither the band nor the one-third line
    ax.legend(fontsize=9.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    ax.set_title(t("(d) Fraunhofer rule", "(d) フラウンホーファールール"), fontsize=14, loc="left", fontweight="normal")

    # (e) SkyDeck Fund
    ax = fig.add_subplot(gs[1, 2])
    sd = deck.by_id("skydeck_fund_assets")
    ax.bar(0, sd.value / 1e6, color=DECK_COLOR, width=0.55)
    data.append(_data_row("skydeck", sd.id, t("assets managed by 2024", "2024年までの運用資産"), sd.value, "USD", sd.year,
                          deck_src))
    bottom = 0.0
    for ind, lab, shade in (("skydeck_fund_I_size", "Fund I", "#888888"), ("skydeck_fund_II_size", "Fund II", "#444444")):
        rows = japan[japan["indicator"] == ind]
        if rows.empty:
            continue
        rr = rows.iloc[0]
        ax.bar(1, rr["value"] / 1e6, bottom=bottom, color=shade, width=0.55)
        ax.text(1, bottom + rr["value"] / 2e6, f"{lab}\n({int(rr['year'])})", ha="center", va="center",
                color="white", fontsize=10)
        data.append(_data_row("skydeck", ind, lab, float(rr["value"]), "USD", int(rr["year"]),
                              t("collected source", "収集した出典"), "", str(rr["source_id"])))
        bottom += float(rr["value"]) / 1e6
    ax.text(0, sd.value / 1e6 + 2, t(f"≈{sd.value / 1e6:.0f}", f"約{sd.value / 1e6:.0f}"), ha="center", fontsize=11)
    if bottom:
        ax.text(1, bottom + 2, f"{bottom:.0f}", ha="center", fontsize=11)
    ax.set_xticks([0, 1], [t("deck", "資料"), t("fund sizes\n(sources)", "ファンド規模\n（出典）")], fontsize=11)
    ax.set_ylabel(t("USD m", "百万ドル"), fontsize=12)
    ax.set_ylim(0, 105)
    ax.tick_params(axis="y", labelsize=11)
    ax.set_title(t("(e) Berkeley SkyDeck Fund", "(e) SkyDeck Fund"), fontsize=14, loc="left", fontweight="normal")

    fig.suptitle(t("Quantitative statements of the METI deck (source: the deck)",
                   "資料に記載された数値（出典: 経済産業省資料）"), fontsize=18, y=0.97)
    plotting.add_note(fig, note(checks, lang, rel_tol), 94 if lang == "en" else 100)
    out = pd.DataFrame(data)
    out["year"] = out["year"].astype("Int64")
    return fig, out


def note(checks: pd.DataFrame, lang: str = "ja", rel_tol: float = deck.DEFAULT_REL_TOL) -> str:
    """Source and cross-check note for the figure (counts computed from ``checks``)."""
    n = checks["status"].value_counts()
    a, d, na = (int(n.get(k, 0)) for k in deck.STATUSES)
    if lang == "en":
        return (f"Source: METI deck 「ディープテックに対応した産学官連携」 (data/raw/deck/deck.txt); bars, bands and lines are the "
                f"deck's statements, values parsed from verbatim quotes. Diamonds: independently collected sources "
                f"(data/raw/japan/deck_misc_sources.csv). Cross-checks: {a} agree, {d} differ, {na} not available "
                f"(tolerance {rel_tol:.0%}). (a) bars use the deck's own yen equivalents; its exchange rates are not "
                f"stated. (b) no source outside the deck was found for Kyushu University's counts. (c) the sources "
                f"conflict on Fund II (EUR 220m vs 200m). (e) fund sizes are committed capital, not assets managed.")
    return (f"出典: 経済産業省「ディープテックに対応した産学官連携」（data/raw/deck/deck.txt）。棒・帯・線は資料の記載値"
            f"（原文の引用から数値を読み取り）。◆は独自に収集した出典（data/raw/japan/deck_misc_sources.csv）。"
            f"照合結果: 一致 {a}件、相違 {d}件、照合不能 {na}件（許容差 {rel_tol:.0%}）。(a) 資料記載の円換算額"
            f"（換算レートは資料に記載なし）。(b) 九州大学の件数は資料以外の出典が見つからない。(c) Fund Ⅱ は出典間で"
            f"2.2億ユーロと2.0億ユーロに分かれる。(e) ファンド規模は出資約束額で、運用資産とは異なる。")


def write(fig: plt.Figure, data: pd.DataFrame, outdir: str | Path) -> dict[str, Path]:
    """Save the figure (png/svg) and its data (csv) atomically under ``outdir``."""
    return plotting.save(fig, data, outdir, STEM)


def write_tables(japan: pd.DataFrame, outdir: str | Path, lang: str = "ja",
                 rel_tol: float = deck.DEFAULT_REL_TOL) -> dict[str, Path]:
    """Write the statement registry, the cross-checks and the deck's internal checks as CSV."""
    outdir = Path(outdir)
    files = {"statements": outdir / f"{STEM}_statements.csv", "crosscheck": outdir / f"{STEM}_crosscheck.csv",
             "consistency": outdir / f"{STEM}_consistency.csv", "rates": outdir / f"{STEM}_implied_rates.csv"}
    io.write_csv(files["statements"], deck.registry_frame(lang))
    io.write_csv(files["crosscheck"], deck.crosscheck(japan, rel_tol=rel_tol, lang=lang))
    io.write_csv(files["consistency"], deck.consistency(rel_tol=rel_tol, lang=lang))
    io.write_csv(files["rates"], deck.implied_rates(lang))
    return files
