"""Drawing figure 6: small multiples, one panel per metric and one bar per series; money in levels gets one
sub-panel per currency. The table drawn is :func:`analysis.figures.tech_transfer_us_jp.table`'s."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import labels, plotting
from .tech_transfer_series import CURRENCY, METRICS, MONEY, all_series, fiscal_label


def _fmt_value(v: float, unit: str, lang: str) -> str:
    if unit == "USD":
        return f"${v / 1e9:,.3g}bn" if lang == "en" else f"{v / 1e8:,.4g}億ドル"
    if unit == "JPY":
        return f"¥{v / 1e9:,.3g}bn" if lang == "en" else f"{v / 1e8:,.4g}億円"
    return f"{v:,.0f}"


# The unit a money axis is drawn in per currency: (scale, label) in English, then in Japanese.
MONEY_AXIS = {"USD": ((1e9, "USD bn"), (1e8, "億ドル")), "JPY": ((1e9, "JPY bn"), (1e8, "億円"))}
COUNTRY_NAME = {"USA": ("US", "米国"), "JPN": ("Japan", "日本")}


def _groups(sub: pd.DataFrame, series: list[str]) -> list[tuple[str, list[str]]]:
    """Series grouped by country, in the order the series are listed (one group per currency)."""
    out: dict[str, list[str]] = {}
    for key in series:
        out.setdefault(str(sub.loc[key, "country"]), []).append(key)
    return list(out.items())


def _bars(ax: plt.Axes, sub: pd.DataFrame, keys: list[str], m: str, ycol: str, scale: float, normalise: bool,
          lang: str) -> None:
    """One bar per series in ``keys`` with its value and year above it; a gap is labelled inside the axes."""
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    x = np.arange(len(keys))
    vals = [sub.loc[k, ycol] / scale for k in keys if pd.notna(sub.loc[k, ycol])]
    top = max(vals) if vals else 1.0
    ax.set_ylim(0, (top or 1.0) * 1.35)
    ax.set_xlim(-0.5, len(keys) - 0.5)  # every slot, also an empty last one, lies inside the frame
    ymax = ax.get_ylim()[1]
    for xi, key in zip(x, keys):
        r = sub.loc[key]
        if pd.isna(r[ycol]):
            ax.text(xi, ymax * 0.03, t("no\ndata", "データ\nなし"), ha="center", va="bottom", fontsize=9.5,
                    color="#777777")
            continue
        ax.bar(xi, r[ycol] / scale, color=all_series()[key].color, width=0.7,
               hatch="//" if "D" in r["flags"] else None, edgecolor="white")
        if normalise:
            lab = f"{r[ycol]:.2f}%" if m in MONEY else (f"{r[ycol]:,.1f}" if r[ycol] >= 10 else f"{r[ycol]:.2f}")
        else:
            lab = _fmt_value(r["value"], r["unit"], lang)
        lab += f"\n{fiscal_label(int(r['year']), r['year_type'])}" + (" D" if "D" in r["flags"] else "")
        ax.text(xi, r[ycol] / scale + ymax * 0.02, lab, ha="center", va="bottom", fontsize=9.5)
    ax.set_xticks(x, [""] * len(keys))
    ax.tick_params(axis="y", labelsize=10)
    ax.grid(axis="x", visible=False)


def split_money(tab: pd.DataFrame, normalise: bool = False) -> bool:
    """True when a money metric in levels is drawn as one sub-panel per country (currency)."""
    return (not normalise and bool(tab["metric"].isin(MONEY).any())
            and tab.loc[tab["metric"].isin(MONEY), "country"].nunique() > 1)


def figure(tab: pd.DataFrame, normalise: bool = False, lang: str = "ja") -> plt.Figure:
    """Small multiples: one panel per metric, one bar per series; gaps are labelled, never drawn as zero.

    Money in levels is never put on one scale across currencies: each country gets its own sub-panel and axis
    (US in USD, Japan in JPY), so bar heights are only compared within a currency.
    """
    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    metrics = list(dict.fromkeys(tab["metric"]))
    series = list(dict.fromkeys(tab["series"]))
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig = plt.figure(figsize=(5.6 * ncols + 1, 4.6 * nrows + 1.2))
    gs = fig.add_gridspec(nrows, ncols)
    li = 0 if lang == "en" else 1
    for i, m in enumerate(metrics):
        spec = gs[i // ncols, i % ncols]
        sub = tab[tab["metric"] == m].set_index("series").loc[series]
        ycol = "normalised" if normalise else "value"
        money_raw = (m in MONEY) and not normalise
        groups = _groups(sub, series) if money_raw else [("", series)]
        if len(groups) == 1:
            ax = fig.add_subplot(spec)
            country = groups[0][0]
            scale, unit = MONEY_AXIS[CURRENCY[country]][li] if money_raw else (1.0, "")
            _bars(ax, sub, groups[0][1], m, ycol, scale, normalise, lang)
            if money_raw:
                name = COUNTRY_NAME[country][li]
                ax.set_ylabel(f"{name}: {unit}", fontsize=10, color=plotting.color(country))
            elif normalise:
                ax.set_ylabel(t("% of research spending", "研究費に対する％") if m in MONEY else
                              t("per USD 100 m (US) / ¥10 bn (JP)", "米国1億ドル／日本100億円あたり"), fontsize=10)
            else:
                ax.set_ylabel(t("count", "件数"), fontsize=10)
            ax.set_title(METRICS[m][li], fontsize=13, loc="left", fontweight="normal")
            continue
        # money in levels with more than one currency: one sub-panel per country, separate axes and a gap
        inner = spec.subgridspec(1, len(groups), wspace=0.6, width_ratios=[len(k) for _, k in groups])
        for j, (country, keys) in enumerate(groups):
            ax = fig.add_subplot(inner[0, j])
            scale, unit = MONEY_AXIS[CURRENCY[country]][li]
            _bars(ax, sub, keys, m, ycol, scale, normalise, lang)
            name = COUNTRY_NAME[country][li]
            ax.set_ylabel(f"{name}: {unit}", fontsize=10, color=plotting.color(country))
            ax.text(0.5, 0.97, f"{name} ({unit})" if lang == "en" else f"{name}（{unit}）", transform=ax.transAxes,
                    ha="center", va="top", fontsize=10.5, color=plotting.color(country))
            if j == 0:
                ax.set_title(METRICS[m][li] + t(" (by currency)", "（通貨別）"), fontsize=13, loc="left",
                             fontweight="normal")
    reg = all_series()
    handles = [plt.Rectangle((0, 0), 1, 1, color=reg[k].color) for k in series]
    fig.legend(handles, [reg[k].label_en if lang == "en" else reg[k].label_ja for k in series],
               loc="upper center", ncol=len(series), fontsize=11, bbox_to_anchor=(0.5, 0.955))
    title = t("US vs Japan university technology transfer", "日米大学等の産学官技術移転に関するパフォーマンス")
    if normalise:
        title += t(" (per research spending)", "（研究費あたり）")
    fig.suptitle(title, fontsize=17, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig
