"""Data and parameters of deck figures 2, 5 and 8 (university-industry collaboration in Japan by fiscal year):
the series drawn, the user file, one value per fiscal year, the parameter checks and the figures' data frames.

One value per fiscal year is taken with :func:`analysis.sources.japan.best` (reliability order); the other
sources stay visible in the data columns ``n_sources``/``alternatives``. A year without a value stays NaN
(status ``gap``). Nothing is interpolated and year-on-year changes quoted by the sources are never turned into
levels. The figures themselves: :mod:`analysis.figures.japan_collab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import inputs, labels
from ..errors import ParameterError
from ..schema import validate_tidy
from ..sources import japan
from .common import check_int, check_keys


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
    return with_user_rows(tidy, read_user_file(user_file))


def with_user_rows(tidy: pd.DataFrame | None, user: pd.DataFrame) -> pd.DataFrame:
    """``tidy`` (the processed japan data when None) with the rows of a user file (``read_user_file``) added."""
    if tidy is None:
        from .. import data
        tidy = data.load(DATA_NAME)
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


def unused_user_rows(user: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The user-file rows that ``frame`` (a figure's data) does not draw, with the reason in column ``reason``.

    :func:`analysis.sources.japan.unused_rows` gives the rows of series the figure does not draw and the years
    outside the plotted ones; a row of a drawn series and year whose value is not the one drawn lost to a more
    reliable source (its value stays in the CSV's ``alternatives`` column).
    """
    if user.empty:
        return user.assign(reason=pd.Series(dtype="string"))
    start, end = int(frame["year"].min()), int(frame["year"].max())
    rows = user.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    out = japan.unused_rows(rows, zip(frame["indicator"], frame["entity"]), start, end)
    drawn = frame[frame["value"].notna()].set_index(["indicator", "entity", "year"])
    lost = []
    for r in rows[~rows["_row"].isin(out["_row"])].itertuples():
        key = (r.indicator, r.entity, int(r.year))
        d = drawn.loc[[key]].iloc[0] if key in drawn.index else None
        if d is None or (d["source"] == "user" and np.isclose(d["value"], r.value)):
            continue
        lost.append({**r._asdict(), "reason": f"{r.indicator} FY{int(r.year)}: the value of {d['source_id']} "
                                              f"({d['reliability']}) is drawn instead, the more reliable source; "
                                              "this row is listed under alternatives in the CSV"})
    lost_df = pd.DataFrame(lost, columns=[*rows.columns, "reason"])
    both = pd.concat([out, lost_df], ignore_index=True) if len(lost_df) else out
    return both.sort_values("_row", kind="mergesort").drop(columns="_row").reset_index(drop=True)
