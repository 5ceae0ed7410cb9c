"""Deck figures 2, 5 and 8: university-industry collaboration in Japan by fiscal year (MEXT, NISTEP, JPO, METI).

- Figure 2 (``fig2_frame``/``make_fig2``): 大学と国内民間企業との共同・受託研究実績 (amount and count of joint and
  contract research with private companies; MEXT headlines, NISTEP 表5-4-5 for the broader 民間企業等 amount)
  and 大学等における1件当たり共同研究費 (MEXT's published amount per project; where MEXT gives none, amount ÷
  count from one and the same release, marked as computed).
- Figure 5 (``fig5_frame``/``make_fig5``): 特許権実施等の実績 (patent licensing count and income) by 国立/公立/私立
  where the data have it; the FY2012 change in how MEXT counts licences is drawn as a break.
- Figure 8 (``fig8_frame``/``make_fig8``): 大学発ベンチャー (METI cumulative start-up counts, 2025 速報 marked;
  MEXT counts of start-ups founded in the fiscal year).

One value per fiscal year is taken with :func:`analysis.sources.japan.best` (reliability order); the other
sources stay visible in the data columns ``n_sources``/``alternatives``. A year without a value stays NaN
(status ``gap``): lines break there and a small × marks it on the axis. Nothing is interpolated and year-on-year
changes quoted by the sources are never turned into levels.

Users can add rows with ``user_file``: a CSV in the format of ``data/raw/japan/*.csv`` (columns ``series, year,
value, unit, source_id, reliability, note``), read with the same validating loader; user rows are marked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import inputs, labels, paths, plotting
from ..errors import ParameterError
from ..schema import validate_tidy
from ..sources import japan
from .common import check_int, check_keys, relative, resolve_output_dir, year_ranges

DATA_NAME = "japan"
STEMS = {2: "fig02_joint_research", 5: "fig05_patent_licensing", 8: "fig08_university_startups"}
DEFAULT_RANGES = {2: (2004, 2023), 5: (1999, 2023), 8: (2010, 2025)}
COMMON_PARAMS = ("lang", "start_fy", "end_fy", "user_file", "output_dir")
INSTITUTION_TYPES: dict[str, str] = {"national": "国立大学等", "public": "公立大学等", "private": "私立大学等",
                                     "total": "JPN"}
DEFAULT_INSTITUTION_TYPES = ["national", "public", "private", "total"]
TYPE_COLORS = {"national": "#1f77b4", "public": "#2ca02c", "private": "#ff7f0e", "total": "#d62728"}

OKU = 1e8  # 億円: amounts are shown in units of 100 million yen, as in MEXT's releases
MAN = 1e4  # 万円

# Series drawn in each figure: key -> (indicator, entity, English label, Japanese label, colour)
FIG2_SERIES: dict[str, tuple[str, str, str, str, str]] = {
    "jr_amount": ("joint_research_private_amount", "JPN", "Joint research with private companies (MEXT)",
                  "民間企業との共同研究（文科省）", "#d62728"),
    "cr_amount": ("contract_research_private_amount", "JPN", "Contract research from private companies (MEXT)",
                  "民間企業からの受託研究（文科省）", "#1f77b4"),
    "nistep_jr": ("nistep_5-4-5_joint_research_amount_total", "JPN",
                  "Joint research, private companies etc. (NISTEP 5-4-5)", "民間企業等との共同研究（NISTEP 表5-4-5）",
                  "#ff9896"),
    "nistep_cr": ("nistep_5-4-5_contract_research_amount_total", "JPN",
                  "Contract research, private companies etc. (NISTEP 5-4-5)",
                  "民間企業等からの受託研究（NISTEP 表5-4-5）", "#aec7e8"),
    "jr_count": ("joint_research_private_count", "JPN", "Joint research with private companies (MEXT)",
                 "民間企業との共同研究（文科省）", "#d62728"),
    "cr_count": ("contract_research_private_count", "JPN", "Contract research from private companies (MEXT)",
                 "民間企業からの受託研究（文科省）", "#1f77b4"),
    "per_project": ("joint_research_private_avg_per_project", "JPN", "Amount per joint-research project (MEXT)",
                    "1件当たり共同研究費（文科省公表値）", "#d62728"),
}
FIG8_SERIES = {
    "meti_cumulative": ("meti_university_startups_cumulative", "JPN", "University start-ups, cumulative (METI)",
                        "大学発ベンチャー数・累計（経産省）", "#d62728"),
    "mext_founded": ("university_startups_founded_mext", "JPN", "Start-ups founded in the fiscal year (MEXT)",
                     "大学等発ベンチャー設立数（文科省）", "#1f77b4"),
}

SOURCES_FIG2 = (
    ("MEXT 'Survey on industry-academia collaboration at universities' (大学等における産学連携等実施状況について), "
     "FY2004-FY2023 releases as quoted in data/raw/japan (press pages, verbatim copies, JST/JPO tables, news); "
     "NISTEP 'Japanese Science and Technology Indicators 2025' table 5-4-5."),
    ("文部科学省「大学等における産学連携等実施状況について」各年度版（data/raw/japan に収録した公表ページ・写し・"
     "JST/特許庁の表・報道による）、科学技術・学術政策研究所「科学技術指標2025」表5-4-5。"),
)


# ---------------------------------------------------------------- data
def read_user_file(user_file: str | Path) -> pd.DataFrame:
    """Rows of a user CSV in the data/raw/japan format (source 'user'); '' gives an empty frame.

    A relative path starts at the current working directory, as for any command-line tool (the runner passes
    absolute paths). The read is declared through ``inputs.user_file``. Errors name the file, column and row;
    a row that does not fit its series (unit kind, value bounds, plausible years) is an error, never dropped.
    """
    if user_file in ("", None):
        return _empty()
    if not isinstance(user_file, (str, Path)):
        raise ParameterError("user_file", user_file, "must be a path string ('' = none)")
    path = inputs.user_file("user_file", Path(user_file).expanduser().absolute())
    if not path.is_file():
        raise ParameterError("user_file", str(user_file),
                             f"file not found: {path} (a relative path starts at the current directory)")
    return japan.read_file(path, source="user")


def _empty() -> pd.DataFrame:
    from ..schema import tidy
    return tidy(pd.DataFrame())


def load_data(user_file: str | Path = "", tidy: pd.DataFrame | None = None) -> pd.DataFrame:
    """The japan tidy data (from data/processed unless given) plus validated user rows."""
    if tidy is None:
        from .. import data
        tidy = data.load(DATA_NAME)
    user = read_user_file(user_file)
    if user.empty:
        return tidy
    from ..schema import tidy as to_tidy
    return validate_tidy(to_tidy(pd.concat([tidy, user], ignore_index=True)), "japan+user")


def series(tidy: pd.DataFrame, indicator: str, entity: str, start: int, end: int) -> pd.DataFrame:
    """One value per fiscal year in [start, end] (``japan.best``), gaps as NaN rows with status 'gap'.

    Status: 'observed', 'gap' (inside the span with data), 'before_first' / 'after_last' (outside it),
    'none' (no value at all in the range).
    """
    grid = pd.DataFrame({"year": np.arange(start, end + 1, dtype="int64")})
    sub = tidy[(tidy["indicator"] == indicator) & (tidy["entity"] == entity) & (tidy["year_type"] != "unknown")]
    cols = ["value", "flags", "source", "source_id", "reliability", "note", "n_sources", "alternatives"]
    if sub.empty:
        out = grid.assign(**{c: np.nan if c in ("value", "n_sources") else "" for c in cols})
    else:
        b = japan.best(sub, indicator, entity)
        b = b[(b["year"] >= start) & (b["year"] <= end)].assign(year=lambda d: d["year"].astype("int64"))
        out = grid.merge(b[["year", *cols]], on="year", how="left")
        for c in cols:
            if c not in ("value", "n_sources"):
                out[c] = out[c].astype("string").fillna("").astype(str)
    obs = out["value"].notna()
    if obs.any():
        first, last = out.loc[obs, "year"].min(), out.loc[obs, "year"].max()
        out["status"] = np.where(obs, "observed", np.where(out["year"] < first, "before_first",
                                                           np.where(out["year"] > last, "after_last", "gap")))
    else:
        out["status"] = "none"
    out["n_sources"] = out["n_sources"].fillna(0).astype("int64")
    out.insert(0, "indicator", indicator)
    out.insert(1, "entity", entity)
    return out


def per_project_computed(tidy: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Amount per joint-research project computed as amount ÷ count from the *same release* (source_id).

    Only where one source gives both numbers for the year; when several do, the most reliable one is used.
    Returns year, value (JPY per project), source_id, reliability.
    """
    a = tidy[(tidy["indicator"] == "joint_research_private_amount") & (tidy["entity"] == "JPN")]
    c = tidy[(tidy["indicator"] == "joint_research_private_count") & (tidy["entity"] == "JPN")]
    m = a.merge(c, on=["year", "source", "source_id", "reliability"], suffixes=("_amount", "_count"))
    m = m[m["year"].notna() & (m["year"] >= start) & (m["year"] <= end)]
    if m.empty:
        return pd.DataFrame(columns=["year", "value", "source_id", "reliability"])
    m = m.assign(value=m["value_amount"] / m["value_count"], rank=m["reliability"].map(
        {r: i for i, r in enumerate(japan.RELIABILITY)}))
    m = m.sort_values(["year", "rank", "source", "source_id"], kind="mergesort").drop_duplicates("year")
    return m.assign(year=m["year"].astype("int64"))[["year", "value", "source_id", "reliability"]] \
        .reset_index(drop=True)


# ---------------------------------------------------------------- parameters
def _fy_range(params: dict[str, Any], fig: int) -> tuple[int, int]:
    lo, hi = DEFAULT_RANGES[fig]
    start = check_int("start_fy", params.get("start_fy", lo))
    end = check_int("end_fy", params.get("end_fy", hi))
    valid = list(range(lo, hi + 1))
    for name, v in (("start_fy", start), ("end_fy", end)):
        if not lo <= v <= hi:
            raise ParameterError(name, v, f"outside the fiscal years figure {fig} covers", valid)
    if start > end:
        raise ParameterError("start_fy", start, f"after end_fy={end}")
    return start, end


def _check_common(params: dict[str, Any], fig: int, extra: Iterable[str] = ()) -> None:
    check_keys(params, (*COMMON_PARAMS, *extra))
    labels.check_lang(params.get("lang", "ja"))
    od = params.get("output_dir", "")
    if not isinstance(od, (str, Path)):
        raise ParameterError("output_dir", od, "must be a path string ('' = default output folder)")
    _fy_range(params, fig)
    read_user_file(params.get("user_file", ""))


def check_institution_types(value: Any) -> list[str]:
    """Distinct institution types out of national/public/private/total.

    ``[]`` is the automatic choice (``common.EMPTY_RULE``): every type.
    """
    choices = list(INSTITUTION_TYPES)
    if isinstance(value, (list, tuple)) and not value:
        return choices
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ParameterError("institution_types", value, "must be a list, e.g. ['national', 'total'] ([] = every "
                             "type)", choices)
    out: list[str] = []
    for v in value:
        if v not in INSTITUTION_TYPES:
            raise ParameterError("institution_types", v, "unknown institution type", choices)
        if v in out:
            raise ParameterError("institution_types", value, f"{v} is listed twice")
        out.append(v)
    return out


def validate_fig2(params: dict[str, Any]) -> None:
    """Check figure-2 parameters (lang, start_fy, end_fy, user_file, output_dir); raise ``ParameterError``."""
    _check_common(params, 2)


def validate_fig5(params: dict[str, Any]) -> None:
    """Check figure-5 parameters (those of figure 2 plus institution_types)."""
    _check_common(params, 5, ("institution_types",))
    check_institution_types(params.get("institution_types", DEFAULT_INSTITUTION_TYPES))


def validate_fig8(params: dict[str, Any]) -> None:
    """Check figure-8 parameters (lang, start_fy, end_fy, user_file, output_dir)."""
    _check_common(params, 8)


# ---------------------------------------------------------------- frames
def _frame(tidy: pd.DataFrame, spec: dict[str, tuple[str, str, str, str, str]], keys: Iterable[str],
           start: int, end: int, panel: str) -> pd.DataFrame:
    parts = []
    for key in keys:
        ind, ent = spec[key][0], spec[key][1]
        parts.append(series(tidy, ind, ent, start, end).assign(series=key, panel=panel, kind="published"))
    return pd.concat(parts, ignore_index=True)


FRAME_COLS = ["panel", "series", "indicator", "entity", "year", "value", "kind", "status", "flags", "source",
              "source_id", "reliability", "n_sources", "alternatives", "note"]


def fig2_frame(tidy: pd.DataFrame, start_fy: int = 2004, end_fy: int = 2023) -> pd.DataFrame:
    """Data behind figure 2: one row per panel x series x fiscal year (values in JPY or counts).

    Panels: 'amount' (jr_amount, cr_amount, nistep_jr, nistep_cr), 'count' (jr_count, cr_count),
    'per_project' (per_project = MEXT's published value; per_project_computed = amount ÷ count of the same
    release, only in years without a published value; kind 'computed').
    """
    validate_fig2({"start_fy": start_fy, "end_fy": end_fy})
    amount = _frame(tidy, FIG2_SERIES, ["jr_amount", "cr_amount", "nistep_jr", "nistep_cr"], start_fy, end_fy,
                    "amount")
    count = _frame(tidy, FIG2_SERIES, ["jr_count", "cr_count"], start_fy, end_fy, "count")
    pub = _frame(tidy, FIG2_SERIES, ["per_project"], start_fy, end_fy, "per_project")
    comp = per_project_computed(tidy, start_fy, end_fy)
    comp = comp[~comp["year"].isin(pub.loc[pub["value"].notna(), "year"])]
    grid = pd.DataFrame({"year": np.arange(start_fy, end_fy + 1, dtype="int64")})
    c = grid.merge(comp, on="year", how="left")
    c = c.assign(panel="per_project", series="per_project_computed", indicator="joint_research_private_amount/count",
                 entity="JPN", kind="computed", flags="", source=np.where(c["value"].notna(), "japan", ""),
                 n_sources=c["value"].notna().astype("int64"), alternatives="",
                 note=np.where(c["value"].notna(), "computed: amount ÷ count, both from " + c["source_id"].fillna(""),
                               ""),
                 status=np.where(c["value"].notna(), "observed", "not_computed"))
    c["source_id"] = c["source_id"].fillna("")
    c["reliability"] = c["reliability"].fillna("")
    out = pd.concat([amount, count, pub, c], ignore_index=True)[FRAME_COLS]
    return out.reset_index(drop=True)


def fig5_frame(tidy: pd.DataFrame, start_fy: int = 1999, end_fy: int = 2023,
               institution_types: list[str] | None = None) -> pd.DataFrame:
    """Data behind figure 5: patent licensing count and income (JPY) per institution type and fiscal year.

    Panels 'count' and 'income'; series = institution type (national/public/private/total). A further
    series 'patent_income_mext' (total only) holds MEXT's 特許権 income FY2019+ from the 知的財産権等収入
    breakdown, which the collector assumed equals 特許権実施等収入 (drawn apart, not joined to the JPO line).
    """
    types = check_institution_types(DEFAULT_INSTITUTION_TYPES if institution_types is None else institution_types)
    validate_fig5({"start_fy": start_fy, "end_fy": end_fy, "institution_types": types})
    parts = []
    for panel, ind in (("count", "patent_licensing_count"), ("income", "patent_licensing_income")):
        for t in types:
            parts.append(series(tidy, ind, INSTITUTION_TYPES[t], start_fy, end_fy)
                         .assign(series=t, panel=panel, kind="published"))
    if "total" in types:
        parts.append(series(tidy, "patent_income", "JPN", start_fy, end_fy)
                     .assign(series="patent_income_mext", panel="income", kind="published"))
    return pd.concat(parts, ignore_index=True)[FRAME_COLS].reset_index(drop=True)


def fig8_frame(tidy: pd.DataFrame, start_fy: int = 2010, end_fy: int = 2025) -> pd.DataFrame:
    """Data behind figure 8: METI cumulative start-ups (panel 'cumulative') and MEXT start-ups founded in
    the fiscal year (panel 'founded'); counts; flags 'P' = METI 速報 (preliminary)."""
    validate_fig8({"start_fy": start_fy, "end_fy": end_fy})
    a = _frame(tidy, FIG8_SERIES, ["meti_cumulative"], start_fy, end_fy, "cumulative")
    b = _frame(tidy, FIG8_SERIES, ["mext_founded"], start_fy, end_fy, "founded")
    return pd.concat([a, b], ignore_index=True)[FRAME_COLS].reset_index(drop=True)


# ---------------------------------------------------------------- drawing helpers
def _fy_label(lang: str) -> str:
    return labels.text("Fiscal year (April-March)", "年度", lang)


def _draw_line(ax: plt.Axes, f: pd.DataFrame, scale: float, color: str, label: str, *, ls: str = "-",
               marker: str = "o", open_marker: bool = False, mark_gaps: bool = True) -> None:
    """A line that breaks at NaN years, markers at observations, user rows ringed, gaps marked × on the axis."""
    f = f.sort_values("year")
    y = (f["value"] / scale).to_numpy(dtype=float)
    xs = f["year"].to_numpy(dtype=float)
    brk = f["flags"].str.contains("B", regex=False).to_numpy()
    # a break in series ('B') starts a new segment: the line does not join values counted differently
    starts = [0, *[int(k) for k in np.flatnonzero(brk) if k > 0], len(f)]
    for k, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
        ax.plot(xs[a:b], y[a:b], ls=ls, color=color, lw=2.2, label=label if k == 0 else None, zorder=2)
    obs = f[f["value"].notna()]
    face = "white" if open_marker else color
    ax.plot(obs["year"], obs["value"] / scale, ls="", marker=marker, ms=6, mfc=face, mec=color, mew=1.6, zorder=3)
    user = obs[obs["source"] == "user"]
    if len(user):
        ax.plot(user["year"], user["value"] / scale, ls="", marker="s", ms=12, mfc="none", mec="black", mew=1.4,
                zorder=4)
    if mark_gaps:
        gaps = f[f["status"] == "gap"]
        ax.plot(gaps["year"], np.zeros(len(gaps)), ls="", marker="x", ms=8, mew=2, color=color, zorder=5,
                transform=ax.get_xaxis_transform(), clip_on=False)


def _years_axis(ax: plt.Axes, start: int, end: int) -> None:
    span = end - start
    step = 1 if span <= 10 else 2 if span <= 22 else 4
    ax.set_xticks(list(range(start, end + 1, step)))
    ax.set_xlim(start - 0.6, end + 0.6)
    ax.tick_params(axis="x", labelsize=12, rotation=0)
    ax.set_ylim(bottom=0)


def _thousands(ax: plt.Axes) -> None:
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _shade_missing(ax: plt.Axes, f: pd.DataFrame, lang: str) -> None:
    """Grey band over the leading/trailing years without any value, labelled, so an empty area reads as
    'no data found' rather than zero."""
    for status in ("before_first", "after_last"):
        ys = f.loc[f["status"] == status, "year"]
        if ys.empty:
            continue
        lo, hi = int(ys.min()) - 0.5, int(ys.max()) + 0.5
        ax.axvspan(lo, hi, color="#eeeeee", zorder=0)
        ax.text((lo + hi) / 2, 0.5, labels.text(f"no value found\nFY{year_ranges(ys)}",
                                                 f"収集資料に値なし\n（{year_ranges(ys)}年度）", lang),
                transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=11, color="#555555")


def _gap_lines(frame: pd.DataFrame, names: dict[str, str], lang: str) -> list[str]:
    lines = []
    for key, name in names.items():
        f = frame[frame["series"] == key]
        gaps = f.loc[f["status"] == "gap", "year"]
        obs = f.loc[f["status"] == "observed", "year"]
        if obs.empty:
            lines.append(labels.text(f"{name}: no value in the range.", f"{name}：範囲内に値なし。", lang))
            continue
        txt = labels.text(f"{name}: values for FY{year_ranges(obs)}", f"{name}：{year_ranges(obs)}年度の値あり", lang)
        if len(gaps):
            txt += labels.text(f"; no value found for FY{year_ranges(gaps)} (× on the axis; not interpolated)",
                               f"、{year_ranges(gaps)}年度は値なし（軸上の×、補間せず）", lang)
        lines.append(txt + labels.text(".", "。", lang))
    return lines


def _user_line(frame: pd.DataFrame, lang: str) -> list[str]:
    u = frame[frame["source"] == "user"]
    if u.empty:
        return []
    desc = ", ".join(f"{r.series} FY{int(r.year)}" for r in u.itertuples())
    return [labels.text(f"User-supplied values (black squares): {desc}.",
                        f"利用者提供の値（黒い四角）：{desc}。", lang)]


def _save(fig: plt.Figure, frame: pd.DataFrame, fignum: int, lang: str, output_dir: str | Path) -> dict[str, Path]:
    stem = STEMS[fignum] if lang == "ja" else f"{STEMS[fignum]}_{lang}"
    outdir = resolve_output_dir(output_dir, "figures", STEMS[fignum])
    return plotting.save(fig, frame, outdir, stem)


# ---------------------------------------------------------------- figure 2
def fig2_note(frame: pd.DataFrame, lang: str) -> str:
    """Note printed under figure 2: sources, definitions, gaps, computed values, differences from the deck."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: " + SOURCES_FIG2[0], "出典：" + SOURCES_FIG2[1])]
    lines.append(L(
        "MEXT amounts are the rounded 'about xx 100-million-yen' figures of the releases. NISTEP 5-4-5 counts "
        "all 'private companies etc.' partners and is not the same as MEXT's 'private companies' (FY2023: "
        "NISTEP 1,053 vs MEXT 1,028 (100 million yen)).",
        "文科省の金額は公表資料の「約xx億円」（丸め値）。NISTEP表5-4-5は相手先「民間企業等」の合計で、文科省の"
        "「民間企業」とは範囲が異なる（2023年度：NISTEP 1,053億円、文科省 1,028億円）。"))
    for keys, pname in ((("jr_amount", "cr_amount"), L("amount", "金額")), (("jr_count", "cr_count"), L("count", "件数")),
                        (("per_project",), L("per project", "1件当たり"))):
        names = {k: FIG2_SERIES[k][3 if lang == "ja" else 2] for k in keys}
        lines += [f"[{pname}] {line}" for line in _gap_lines(frame, names, lang)]
    comp = frame[(frame["series"] == "per_project_computed") & frame["value"].notna()]
    if len(comp):
        lines.append(L(
            f"Amount per project for FY{year_ranges(comp['year'])}: computed here as amount ÷ count from the same "
            "release (open markers; amounts are rounded to 100 million yen, so up to about ±0.3%); other years are MEXT's published value.",
            f"{year_ranges(comp['year'])}年度の1件当たり共同研究費は同一公表資料の金額÷件数で本図が算出（白抜き"
            "マーカー。金額が億円単位の丸め値のため最大±0.3%程度の誤差）。その他の年度は文科省の公表値。"))
    multi = frame[(frame["n_sources"] > 1) & frame["value"].notna()]
    if len(multi):
        lines.append(L(
            "Where sources differ, the most reliable is drawn and the others are listed in the CSV "
            f"(e.g. {multi.iloc[0]['series']} FY{int(multi.iloc[0]['year'])}: {multi.iloc[0]['alternatives']}).",
            "複数の資料がある年度は信頼度の高い資料の値を描き、他はCSVに記載（例："
            f"{multi.iloc[0]['series']} {int(multi.iloc[0]['year'])}年度：{multi.iloc[0]['alternatives']}）。"))
    lines.append(L(
        "Year-on-year changes quoted by the releases (e.g. FY2023 +885 projects) are not turned into levels, so "
        "FY2017 and FY2022 counts stay missing. Add values with the user_file parameter.",
        "公表資料の対前年度増減（例：2023年度 +885件）から水準値は逆算しない（2017・2022年度の件数は欠損のまま）。"
        "値を追加する場合は user_file パラメータを使う。"))
    lines += _user_line(frame, lang)
    return "\n".join(lines)


def plot_fig2(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Draw figure 2 (three panels: amounts, counts, amount per project)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 3, figsize=(19, 6.6), gridspec_kw={"width_ratios": [1.25, 1, 1]})
    i = 3 if lang == "ja" else 2
    ax = axes[0]
    for key, ls, mark_gaps in (("jr_amount", "-", True), ("cr_amount", "-", True), ("nistep_jr", "--", False),
                               ("nistep_cr", "--", False)):
        f = frame[frame["series"] == key]
        _draw_line(ax, f, OKU, FIG2_SERIES[key][4], FIG2_SERIES[key][i], ls=ls, mark_gaps=mark_gaps,
                   open_marker=ls == "--")
    ax.set_title(labels.text("Amount received (100 million yen)", "受入額（億円）", lang), fontsize=15,
                 fontweight="normal")
    ax.legend(loc="upper left", fontsize=10.5)
    ax = axes[1]
    for key in ("jr_count", "cr_count"):
        _draw_line(ax, frame[frame["series"] == key], 1, FIG2_SERIES[key][4], FIG2_SERIES[key][i])
    ax.set_title(labels.text("Number of projects", "件数（件）", lang), fontsize=15, fontweight="normal")
    _thousands(ax)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.07), fontsize=10.5)
    ax = axes[2]
    _draw_line(ax, frame[frame["series"] == "per_project"], MAN, FIG2_SERIES["per_project"][4],
               FIG2_SERIES["per_project"][i], mark_gaps=False)
    comp = frame[frame["series"] == "per_project_computed"]
    _draw_line(ax, comp, MAN, "#7f7f7f", labels.text("Computed: amount ÷ count (same release)",
                                                     "算出値：金額÷件数（同一資料）", lang),
               ls=":", open_marker=True, mark_gaps=False)
    ax.set_title(labels.text("Joint research per project (10,000 yen)", "1件当たり共同研究費（万円）", lang),
                 fontsize=15, fontweight="normal")
    ax.legend(loc="upper left", fontsize=10.5)
    for ax in axes:
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
    fig.suptitle(labels.text("Joint and contract research between universities and private companies",
                             "大学と国内民間企業との共同・受託研究実績／大学等における1件当たり共同研究費", lang),
                 fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.25)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig2_note(frame, lang), width_em=118)
    return fig


def make_fig2(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 2004, end_fy: int = 2023,
              user_file: str = "", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 2. Returns {'data', 'figure', 'note', 'paths'}."""
    validate_fig2({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "user_file": user_file,
                   "output_dir": output_dir})
    data = load_data(user_file, tidy)
    frame = fig2_frame(data, start_fy, end_fy)
    fig = plot_fig2(frame, lang)
    return {"data": frame, "figure": fig, "note": fig2_note(frame, lang),
            "paths": _save(fig, frame, 2, lang, output_dir)}


# ---------------------------------------------------------------- figure 5
def _type_name(t: str, lang: str) -> str:
    if t == "total":
        return labels.text("Total", "合計", lang)
    return japan.entity_label(INSTITUTION_TYPES[t], lang)


def fig5_note(frame: pd.DataFrame, lang: str) -> str:
    """Note printed under figure 5."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: MEXT survey on industry-academia collaboration (FY1999-2003 MEXT page; FY2007 JST data "
               "book; FY2008, 2010, 2012-2015 releases), JPO Annual Report 2018 figs. 1-4-11/1-4-12 (FY2011-2016 "
               "by type of institution); FY2019+ patent income: MEXT 知的財産権等収入 breakdown.",
               "出典：文部科学省「大学等における産学連携等実施状況について」（1999-2003年度は文科省ページ、2007年度はJST"
               "産学官連携データブック、2008・2010・2012-2015年度は各年度公表資料）、特許庁「特許行政年次報告書2018年版」"
               "1-4-11図・1-4-12図（2011-2016年度、設置形態別）、2019年度以降の特許権収入は文科省の知的財産権等収入の内訳。")]
    lines.append(L(
        "FY2012: MEXT changed how licences are counted (break 'B', dashed vertical line); counts before and after "
        "are not comparable. FY2003 counts exclude individually owned patents and TLO income.",
        "2012年度に特許権実施等件数の集計方法が変更（断層「B」、縦の破線）。前後の件数は比較できない。2003年度は個人"
        "帰属特許・外部TLO分を含まない。"))
    cnt = frame[(frame["panel"] == "count") & frame["value"].notna()]
    last = int(cnt["year"].max()) if len(cnt) else None
    if last is not None and last < int(frame["year"].max()):
        lines.append(L(f"Licence counts after FY{last} were not found in the collected sources (FY2017+ missing).",
                       f"{last}年度より後の特許権実施等件数は収集資料に見当たらない（2017年度以降欠損）。"))
    lines.append(L(
        "FY2010 income (1.45 bn yen, MEXT) exceeds FY2011 (1.09 bn yen, JPO): the definitions may differ. "
        "FY2019+ (grey dashed) is MEXT's patent income within IP income, assumed but not verified to equal "
        "licensing income; it is not joined to the earlier line.",
        "2010年度の収入（14.5億円、文科省）は2011年度（10.92億円、特許庁）より大きく、定義が異なる可能性がある。"
        "2019年度以降（灰色の破線）は知的財産権等収入のうち特許権の収入で、特許権実施等収入と同一と仮定（未確認）。"
        "以前の系列とは線で結ばない。"))
    names = {t: _type_name(t, lang) for t in dict.fromkeys(frame.loc[frame["series"] != "patent_income_mext",
                                                                     "series"])}
    for panel, pname in (("count", L("count", "件数")), ("income", L("income", "収入"))):
        for line in _gap_lines(frame[frame["panel"] == panel], names, lang):
            lines.append(f"[{pname}] {line}")
    lines += _user_line(frame, lang)
    return "\n".join(lines)


def plot_fig5(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Draw figure 5 (licence count and income by type of institution)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 2, figsize=(17, 6.6))
    for ax, panel, scale, title in (
            (axes[0], "count", 1, labels.text("Patent licences etc. (count)", "特許権実施等件数（件）", lang)),
            (axes[1], "income", OKU, labels.text("Patent licensing income (100 million yen)",
                                                 "特許権実施等収入額（億円）", lang))):
        f = frame[frame["panel"] == panel]
        for t in dict.fromkeys(f["series"]):
            s = f[f["series"] == t]
            if t == "patent_income_mext":
                _draw_line(ax, s, scale, "#7f7f7f", labels.text("Patent income (MEXT, FY2019+)",
                                                                "特許権収入（文科省、2019年度以降）", lang),
                           ls="--", open_marker=True, mark_gaps=False)
            else:
                _draw_line(ax, s, scale, TYPE_COLORS[t], _type_name(t, lang))
            br = s[s["flags"].str.contains("B") & s["value"].notna()]
            for y, v in zip(br["year"], br["value"] / scale):
                ax.plot([y], [v], "D", mfc=TYPE_COLORS.get(t, "#7f7f7f"), mec="black", mew=1.4, ms=9, zorder=6)
        if panel == "count":
            _thousands(ax)
            tot = f[f["series"] == ("total" if "total" in set(f["series"]) else f["series"].iloc[0])]
            _shade_missing(ax, tot[tot["status"] == "after_last"], lang)
        if panel == "count" and start <= 2012 <= end:
            ax.axvline(2011.5, color="#444444", ls="--", lw=1.2, zorder=1)
            ax.annotate(labels.text("FY2012: counting\nmethod changed (B)", "2012年度\n集計方法変更（B）", lang),
                        (2011.5, 0.97), xycoords=("data", "axes fraction"), xytext=(-6, 0),
                        textcoords="offset points", ha="right", va="top", fontsize=11)
        ax.set_title(title, fontsize=15, fontweight="normal")
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
        ax.legend(loc="upper left", fontsize=10.5, bbox_to_anchor=(0.0, 0.86) if panel == "count" else None)
    fig.suptitle(labels.text("Patent licensing by universities", "特許権実施等の実績", lang), fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.18)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig5_note(frame, lang), width_em=106)
    return fig


def make_fig5(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 1999, end_fy: int = 2023,
              institution_types: list[str] | None = None, user_file: str = "",
              output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 5. Returns {'data', 'figure', 'note', 'paths'}."""
    types = DEFAULT_INSTITUTION_TYPES if institution_types is None else institution_types
    validate_fig5({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "institution_types": types,
                   "user_file": user_file, "output_dir": output_dir})
    data = load_data(user_file, tidy)
    frame = fig5_frame(data, start_fy, end_fy, types)
    fig = plot_fig5(frame, lang)
    return {"data": frame, "figure": fig, "note": fig5_note(frame, lang),
            "paths": _save(fig, frame, 5, lang, output_dir)}


# ---------------------------------------------------------------- figure 8
def fig8_note(frame: pd.DataFrame, lang: str) -> str:
    """Note printed under figure 8."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: METI 'Survey on university-launched ventures' (大学発ベンチャー実態等調査; count at October "
               "of each survey year; 2025 = preliminary 速報), values via the t46/gov-sci-tech-watcher extraction; "
               "MEXT survey on industry-academia collaboration (start-ups founded in the fiscal year).",
               "出典：経済産業省「大学発ベンチャー実態等調査」（各年度10月時点の累計、2025年度は速報。t46/gov-sci-"
               "tech-watcher による抽出値）、文部科学省「大学等における産学連携等実施状況について」（当該年度の設立数）。")]
    lines.append(L("The two surveys define university start-ups differently (METI: cumulative stock of companies "
                   "alive; MEXT: companies founded in the year) and are not comparable.",
                   "両調査は定義が異なる（経産省：存続企業の累計、文科省：当該年度の設立数）ため直接比較できない。"))
    p = frame[frame["flags"].str.contains("P") & frame["value"].notna()]
    if len(p):
        lines.append(L(f"Hatched bar = preliminary (P): FY{year_ranges(p['year'])}.",
                       f"斜線の棒＝速報値（P）：{year_ranges(p['year'])}年度。"))
    names = {k: FIG8_SERIES[k][3 if lang == "ja" else 2] for k in FIG8_SERIES}
    lines += _gap_lines(frame, names, lang)
    lines.append(L("METI counts before 2022 and MEXT counts for other years were not in the collected sources; "
                   "add them with user_file.",
                   "2022年度より前の経産省の累計、その他の年度の文科省設立数は収集資料になく、user_file で追加できる。"))
    lines += _user_line(frame, lang)
    return "\n".join(lines)


def plot_fig8(frame: pd.DataFrame, lang: str = "ja") -> plt.Figure:
    """Draw figure 8 (METI cumulative bars, MEXT founded-per-year line)."""
    labels.check_lang(lang)
    plotting.set_style()
    start, end = int(frame["year"].min()), int(frame["year"].max())
    fig, axes = plt.subplots(1, 2, figsize=(17, 6.4))
    ax = axes[0]
    f = frame[(frame["series"] == "meti_cumulative") & frame["value"].notna()]
    prelim = f["flags"].str.contains("P")
    bars = ax.bar(f["year"], f["value"], color=FIG8_SERIES["meti_cumulative"][4], width=0.7,
                  label=FIG8_SERIES["meti_cumulative"][3 if lang == "ja" else 2])
    for bar, p, v, src in zip(bars, prelim, f["value"], f["source"]):
        if p:
            bar.set_hatch("//")
            bar.set_facecolor("#f4a9a9")
            bar.set_edgecolor("#d62728")
        if src == "user":
            bar.set_edgecolor("black")
            bar.set_linewidth(2)
        tag = labels.text(" (P)", "（速報）", lang) if p else ""
        ax.annotate(f"{int(v):,}{tag}", (bar.get_x() + bar.get_width() / 2, v), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=12)
    _shade_missing(ax, frame[frame["series"] == "meti_cumulative"], lang)
    _thousands(ax)
    ax.set_title(labels.text("University start-ups, cumulative (METI)", "大学発ベンチャー数・累計（経産省）", lang),
                 fontsize=15, fontweight="normal")
    ax.set_ylabel(labels.text("companies", "社", lang))
    ax = axes[1]
    _draw_line(ax, frame[frame["series"] == "mext_founded"], 1, FIG8_SERIES["mext_founded"][4],
               FIG8_SERIES["mext_founded"][3 if lang == "ja" else 2])
    obs = frame[(frame["series"] == "mext_founded") & frame["value"].notna()]
    for y, v in zip(obs["year"], obs["value"]):
        ax.annotate(f"{int(v)}", (y, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=11)
    ax.set_title(labels.text("Start-ups founded in the fiscal year (MEXT)", "大学等発ベンチャー設立数（文科省）", lang),
                 fontsize=15, fontweight="normal")
    ax.set_ylabel(labels.text("companies", "社", lang))
    for ax in axes:
        _years_axis(ax, start, end)
        ax.set_xlabel(_fy_label(lang), fontsize=13)
        ax.margins(y=0.15)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    fig.suptitle(labels.text("University start-ups in Japan", "大学発ベンチャー", lang), fontsize=18)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.13, wspace=0.18)  # fixed: tight_layout
    # is thrown off by the unclipped gap markers
    plotting.add_note(fig, fig8_note(frame, lang), width_em=106)
    return fig


def make_fig8(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 2010, end_fy: int = 2025,
              user_file: str = "", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 8. Returns {'data', 'figure', 'note', 'paths'}."""
    validate_fig8({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "user_file": user_file,
                   "output_dir": output_dir})
    data = load_data(user_file, tidy)
    frame = fig8_frame(data, start_fy, end_fy)
    fig = plot_fig8(frame, lang)
    return {"data": frame, "figure": fig, "note": fig8_note(frame, lang),
            "paths": _save(fig, frame, 8, lang, output_dir)}


__all__ = ["fig2_frame", "fig5_frame", "fig8_frame", "make_fig2", "make_fig5", "make_fig8", "validate_fig2",
           "validate_fig5", "validate_fig8", "series", "per_project_computed", "read_user_file", "load_data",
           "relative"]
