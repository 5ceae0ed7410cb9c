"""What h4 shows of the country family: the coefficient and Japan figures, and the text generated from the
data used (printed by the notebook instead of fixed prose). Estimation is in ``models.country``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import labels
from .country import DEFAULTS, SPECS, CountryResults, robustness_verdicts


# ---- figures ------------------------------------------------------------------------------------------------
def plot_coefficients(table: pd.DataFrame, lang: str = "ja"):
    """One panel per hypothesis: carrying coefficient with 95 % interval in every model (main and robustness)."""
    import matplotlib.pyplot as plt

    from .. import plotting

    rv = robustness_verdicts(table)
    data = rv.merge(table[["hypothesis", "model", "term", "ci_low", "ci_high"]], on=["hypothesis", "model", "term"])
    hids = list(dict.fromkeys(data["hypothesis"]))
    fig, axes = plt.subplots(len(hids), 1, figsize=(11, 2.0 * len(hids) + 1.2), squeeze=False)
    for ax, hid in zip(axes[:, 0], hids):
        d = data[data["hypothesis"] == hid].reset_index(drop=True)
        ypos = np.arange(len(d))[::-1]
        colors = ["#d62728" if ": OLS" in m else "#555555" for m in d["model"]]
        for yp, (_, r), c in zip(ypos, d.iterrows(), colors):
            ax.plot([r["ci_low"], r["ci_high"]], [yp, yp], color=c, lw=2)
            ax.plot([r["estimate"]], [yp], "o", color=c)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ypos)
        ax.set_yticklabels([m.split(": ", 1)[1] for m in d["model"]], fontsize=11)
        ax.set_title(f"{hid}: {d['term'].iloc[0]}", fontsize=13, loc="left")
        ax.tick_params(axis="x", labelsize=11)
    fig.suptitle(labels.text("Country level: carrying coefficients, 95% intervals",
                             "国レベル：仮説の係数と95％信頼区間", lang), fontsize=15)
    fig.tight_layout()
    plotting.add_note(fig, labels.text(
        "Red: registered model (two-way FE OLS, CR1 clustered by economy). Grey: robustness. Source: OECD MSTI; "
        "PWT 10.01 (C3).",
        "赤：登録モデル（二方向固定効果OLS、国クラスター頑健SE）。灰：頑健性確認。出典：OECD MSTI、PWT 10.01（C3）。", lang))
    return fig, data


def japan_absence(params: dict | None, lang: str = "ja") -> str:
    """Why a selection has no fitted path for Japan (excluded, not selected, or no data in the samples)."""
    p = {**DEFAULTS, **(params or {})}
    if "JPN" in p["exclude"]:
        return labels.text(f"Japan is excluded in this run (exclude={list(p['exclude'])}), so there is no "
                           "Japanese path to show.",
                           f"この実行では日本を除外している（exclude={list(p['exclude'])}）ため、日本の推移は示せない。", lang)
    if p["countries"] and "JPN" not in p["countries"]:
        return labels.text("Japan is not among the selected economies (countries), so there is no Japanese path "
                           "to show.", "日本は選択した国（countries）に含まれないため、日本の推移は示せない。", lang)
    return labels.text("Japan has no observation in the estimation samples of this selection.",
                       "この選択の推定サンプルには日本の観測値がない。", lang)


def plot_japan(japan: pd.DataFrame, lang: str = "ja", params: dict | None = None):
    """Japan's actual vs fitted outcome over time in each main model; break years marked.

    Without Japanese rows (Japan excluded or not selected) the figure says why instead of drawing axes;
    ``params`` are the run's parameters, used for that message.
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    models = list(dict.fromkeys(japan["model"]))
    if not models:
        fig, ax = plt.subplots(figsize=(9, 2.4))
        ax.axis("off")
        ax.text(0.5, 0.5, japan_absence(params, lang), ha="center", va="center", fontsize=13, wrap=True,
                transform=ax.transAxes)
        fig.suptitle(labels.text("Japan: actual and fitted (two-way FE)", "日本：実績値と予測値（二方向固定効果）",
                                 lang), fontsize=15)
        return fig, japan
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4.6), squeeze=False)
    for ax, m in zip(axes[0], models):
        spec = next(s for s in SPECS if s.name == m)
        d = japan[japan["model"] == m]
        ax.plot(d["year"], d["actual"], "-o", ms=3, color=plotting.color("JPN"),
                label=labels.text("actual", "実績", lang))
        ax.plot(d["year"], d["fitted"], "--", color="#333333", label=labels.text("fitted", "予測値", lang))
        br = d[d["has_break"]]
        if len(br):
            ax.plot(br["year"], br["actual"], "x", color="black", ms=9,
                    label=labels.text("series break (B)", "系列断絶（B）", lang))
        ax.set_title(", ".join(spec.carries) + "\n" + (spec.label_en if lang == "en" else spec.label_ja), fontsize=12)
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=9)
    fig.suptitle(labels.text("Japan: actual and fitted (two-way FE)", "日本：実績値と予測値（二方向固定効果）", lang),
                 fontsize=15)
    fig.tight_layout()
    plotting.add_note(fig, labels.text("Source: OECD MSTI; PWT 10.01 (TFP).", "出典：OECD MSTI、PWT 10.01（TFP）。",
                                       lang), 100)
    return fig, japan


# ---- text generated from the data used (printed by the notebook instead of fixed prose) ---------------------
def japan_text(res: CountryResults, lang: str = "ja") -> str:
    """Japan's break years and last year in each main model, or why the run has no Japanese path."""
    jp = res.japan
    if jp.empty:
        return japan_absence(res.params, lang)
    lines = []
    br = sorted({int(y) for y in jp.loc[jp["has_break"].astype(bool), "year"]})
    lines.append(labels.text(
        "Years in which a value Japan contributes carries the OECD break flag (crosses): "
        + (", ".join(map(str, br)) if br else "none") + ".",
        "日本の値にOECDの系列断絶フラグが付く年（×印）：" + ("、".join(map(str, br)) if br else "なし") + "。", lang))
    last = jp.sort_values("year").groupby("model", sort=False).tail(1).set_index("model")
    lines.append(labels.text("Japan's last year in each model: actual, fitted and residual (the residual averages "
                             "zero by the country effect)",
                             "各モデルでの日本の最終年：実績値・予測値・残差（残差は国効果により平均ゼロ）", lang))
    lines.append(last[["outcome", "year", "actual", "fitted", "residual", "has_break"]].round(5).to_string())
    return "\n".join(lines)


def coverage_text(res: CountryResults, lang: str = "ja") -> str:
    """Markdown bullets on the samples actually used: economies (clusters) and years per main model, series
    that end early, China's presence and PWT's last TFP year; computed from ``res.frames``."""
    out = []
    frames = {name: mf for name, mf in res.frames.items()}
    ns = {name: int(mf.data["entity"].nunique()) for name, mf in frames.items()}
    lo, hi = min(ns.values()), max(ns.values())
    n_txt = str(lo) if lo == hi else f"{lo}-{hi}"
    out.append(labels.text(
        f"- **Clusters.** {n_txt} economies in the main models ("
        + "; ".join(f"{n}: {ns[n]}" for n in ns) + "). CR1 t-tests can over-reject with few clusters of unequal "
        "size; the wild-cluster bootstrap row is the check. Where the CR1 and bootstrap p-values disagree, treat "
        "the result as fragile.",
        f"- **クラスター数.** 主モデルの国・地域数は{n_txt}（" + "、".join(f"{n}：{ns[n]}" for n in ns)
        + "）。クラスターが少なく大きさが不揃いだとCR1のt検定は過剰に棄却しうる。ワイルド・クラスター・ブートストラップの行で"
        "確認し、両者のp値が食い違う結果は頑健でないとみなす。", lang))
    for name, mf in frames.items():
        d = mf.data
        last = d.groupby("entity")["year"].max()
        end, start = int(last.max()), int(d["year"].min())
        early = last[last < end - 2].sort_values()  # more than two years short of the sample's last year
        detail = (labels.text("series ending early (nothing filled in): ", "早く終わる系列（補完せず）：", lang)
                  + ", ".join(f"{labels.area_name(c, lang)} ({int(y)})" for c, y in early.items())
                  if len(early) else labels.text("no economy's series ends more than two years early",
                                                 "2年超早く終わる系列なし", lang))
        out.append(labels.text(f"- **{name}**: {ns[name]} economies, {start}-{end}; {detail}.",
                               f"- **{name}**：{ns[name]}か国・地域、{start}-{end}年；{detail}。", lang))
    c3 = next((mf for n, mf in frames.items() if n.startswith("C3")), None)
    if c3 is not None:
        out.append(labels.text(f"- **TFP.** The C3 sample ends in {int(c3.data['year'].max())} (growth needs the previous year's "
                               "PWT rtfpna; no later value is filled in).",
                               f"- **TFP.** C3のサンプルは{int(c3.data['year'].max())}年まで（以降は補完しない）。",
                               lang))
    china = [n for n, mf in frames.items() if "CHN" in set(mf.data["entity"])]
    if china:
        br = sorted({int(y) for mf in frames.values() for y in
                     mf.data.loc[(mf.data["entity"] == "CHN") & mf.data["has_break"], "year"]})
        out.append(labels.text(
            f"- **China** is in {len(china)} of {len(frames)} main samples; its values carry the break flag in "
            f"{', '.join(map(str, br)) or 'no year'}. The rows without China show how much a result leans on it.",
            f"- **中国**は主モデル{len(frames)}本中{len(china)}本のサンプルに含まれ、系列断絶フラグの年は"
            f"{'、'.join(map(str, br)) or 'なし'}。中国を除いた行で結果の依存度を確認できる。", lang))
    else:
        out.append(labels.text("- **China** is not in this selection.", "- **中国**はこの選択に含まれない。", lang))
    return "\n".join(out)
