"""Deck figure 7's data (the deck view, base year 2006 by default; described in :mod:`university_finance`): the
institutions and measures, one value per year chosen by reliability, the parameter checks that run before any work
(also in the notebook's validate hook, which must import no drawing code) and the growth frames."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import data, labels
from ..errors import ParameterError
from ..sources import japan as japan_src
from ..sources.japan_select import FrameCache, content_key
from .common import check_int, check_keys, check_output_dir, year_ranges

DATA_NAME = "japan"
PARAMS = ("base_year", "institutions", "measure", "lang", "output_dir")
DEFAULT_BASE_YEAR = 2006
MEASURES: dict[str, tuple[str, str]] = {
    "assets": ("total assets (balance-sheet size)", "資産合計（B/S規模）"),
    "revenue": ("revenue (operating revenue / 経常収益)", "収益（経常収益・operating revenue）"),
}
DEFAULT_MEASURE = "revenue"

# Named institutions: entity in the japan data, country, English name, and the indicators behind each measure.
# NIAD rows carry the university's Japanese name as entity, so any NIAD university can also be chosen by name.
INSTITUTIONS: dict[str, dict[str, Any]] = {
    "Harvard University": {"country": "USA", "en": "Harvard University", "ja": "ハーバード大学",
                           "assets": [], "revenue": ["harvard_operating_revenue"]},
    "東京大学": {"country": "JPN", "en": "University of Tokyo", "ja": "東京大学",
             "assets": ["niad_assets", "utokyo_total_assets"],
             "revenue": ["niad_revenue_total", "utokyo_recurring_revenue"]},
    "京都大学": {"country": "JPN", "en": "Kyoto University", "ja": "京都大学",
             "assets": ["niad_assets", "kyoto_total_assets"],
             "revenue": ["niad_revenue_total", "kyoto_recurring_revenue"]},
    "東北大学": {"country": "JPN", "en": "Tohoku University", "ja": "東北大学",
             "assets": ["niad_assets", "tohoku_total_assets"], "revenue": ["niad_revenue_total"]},
    "国立大学法人": {"country": "JPN", "en": "All national university corporations", "ja": "国立大学法人 合計",
               "assets": ["jp_national_univ_total_assets"], "revenue": ["jp_national_univ_recurring_revenue"]},
}
NIAD_INDICATORS = {"assets": "niad_assets", "revenue": "niad_revenue_total"}


def _niad_names(tidy: pd.DataFrame, measure: str) -> list[str]:
    ind = NIAD_INDICATORS[measure]
    return sorted(set(tidy.loc[tidy["indicator"] == ind, "entity"]) - {"-"})


def institution_names(tidy: pd.DataFrame, measure: str) -> list[str]:
    """Institutions that can be drawn for ``measure``: named ones with data, then other NIAD universities."""
    named = [k for k, v in INSTITUTIONS.items() if v[measure]]
    return named + [n for n in _niad_names(tidy, measure) if n not in named]


# ``series`` results by (content of the selected rows, measure): one notebook run asks for the same institution
# and measure ~100 times (coverage, validation, base-year search). The result depends only on those rows and the
# measure, so the key is their content (``japan_select.content_key``), never the frame's identity.
_SERIES_CACHE = FrameCache(256)


def series(tidy: pd.DataFrame, institution: str, measure: str) -> pd.DataFrame:
    """One value per year of ``measure`` for ``institution`` (best source by reliability), in base units."""
    inds = INSTITUTIONS[institution][measure] if institution in INSTITUTIONS else [NIAD_INDICATORS[measure]]
    entity = institution
    sub = tidy[tidy["indicator"].isin(inds) & (tidy["entity"] == entity) & tidy["year"].notna()]
    if sub.empty:
        return sub.assign(n_sources=pd.Series(dtype="int64"), alternatives=pd.Series(dtype="string"),
                          max_rel_diff=pd.Series(dtype="float64"), source_indicator=pd.Series(dtype="string"))
    return _SERIES_CACHE.copy_of((content_key(sub), measure), lambda: _series(sub, measure))


def _series(sub: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``series`` of the rows ``sub`` (one institution, the measure's indicators), without the cache."""
    merged = sub.assign(source_indicator=sub["indicator"], indicator=measure)
    best = japan_src.best(merged.drop(columns="source_indicator"), measure)
    # keep which raw indicator the chosen value came from
    which = merged[["year", "source_id", "source_indicator"]].drop_duplicates(["year", "source_id"])
    return best.merge(which, on=["year", "source_id"], how="left", validate="one_to_one")


def available_years(tidy: pd.DataFrame, institution: str, measure: str) -> list[int]:
    """Years in which ``institution`` has a value for ``measure``."""
    return sorted(int(y) for y in series(tidy, institution, measure)["year"])


def resolve_institutions(tidy: pd.DataFrame, institutions: Any, measure: str, base_year: int) -> list[str]:
    """``'auto'`` or ``[]`` = every named institution with a value in ``base_year``; else check the given list."""
    choices = institution_names(tidy, measure)
    if institutions == "auto" or (isinstance(institutions, (list, tuple)) and not institutions):
        out = [k for k in INSTITUTIONS if INSTITUTIONS[k][measure] and base_year in available_years(tidy, k, measure)]
        if not out:
            have = {k: year_ranges(available_years(tidy, k, measure)) for k in INSTITUTIONS if INSTITUTIONS[k][measure]}
            raise ParameterError("base_year", base_year, f"no named institution has {measure} data in this year; "
                                 "years per institution: " + "; ".join(f"{k}: {v}" for k, v in have.items()))
        return out
    if isinstance(institutions, str) or not isinstance(institutions, (list, tuple)):
        raise ParameterError("institutions", institutions, "expected 'auto', [] (= auto) or a list of institutions",
                             choices)
    out = []
    for inst in institutions:
        if inst not in choices:
            problem = (f"no {measure} data for this institution" if inst in INSTITUTIONS else "unknown institution")
            raise ParameterError("institutions", inst, problem, choices)
        if inst in out:
            raise ParameterError("institutions", institutions, f"{inst} is listed twice")
        have = available_years(tidy, inst, measure)
        if base_year not in have:
            raise ParameterError("base_year", base_year, f"{inst} has no {measure} value in this year; "
                                 f"years with data: {year_ranges(have)}", have)
        out.append(inst)
    return out


def validate_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check names and types of the parameters, then the institutions against the base year in the data.

    Without ``tidy`` the processed Japanese series are read, so that the runner's pre-kernel check also rejects
    a base year or institution without data.
    """
    check_keys(params, PARAMS)
    p = {"base_year": DEFAULT_BASE_YEAR, "institutions": "auto", "measure": DEFAULT_MEASURE, "lang": "ja",
         "output_dir": "", **params}
    base = check_int("base_year", p["base_year"])
    if p["measure"] not in MEASURES:
        raise ParameterError("measure", p["measure"], "unknown measure", list(MEASURES))
    labels.check_lang(p["lang"])
    check_output_dir(p["output_dir"])
    inst = p["institutions"]
    if inst != "auto" and (isinstance(inst, str) or not isinstance(inst, (list, tuple))):
        raise ParameterError("institutions", inst, "expected 'auto', [] (= auto) or a list of institutions",
                             list(INSTITUTIONS))
    resolve_institutions(tidy if tidy is not None else data.load("japan"), inst, p["measure"], base)


def growth_frame(tidy: pd.DataFrame, base_year: int = DEFAULT_BASE_YEAR, institutions: Any = "auto",
                 measure: str = DEFAULT_MEASURE, lang: str = "ja") -> pd.DataFrame:
    """Growth against ``base_year`` per institution: one row per year on a complete grid (gaps are NaN rows)."""
    validate_params({"base_year": base_year, "institutions": institutions, "measure": measure, "lang": lang}, tidy)
    insts = resolve_institutions(tidy, institutions, measure, base_year)
    frames = []
    for inst in insts:
        s = series(tidy, inst, measure).sort_values("year")
        base_val = float(s.loc[s["year"] == base_year, "value"].iloc[0])
        years = range(int(s["year"].min()), int(s["year"].max()) + 1)
        grid = pd.DataFrame({"year": pd.array(list(years), dtype="Int64")})
        g = grid.merge(s, on="year", how="left")
        meta = INSTITUTIONS.get(inst, {"country": "JPN", "en": japan_src.entity_label(inst, "en"), "ja": inst})
        g["institution"] = inst
        g["label"] = meta["en"] if lang == "en" else meta["ja"]
        g["country"] = meta["country"]
        g["measure"] = measure
        g["base_year"] = base_year
        g["base_value"] = base_val
        g["index"] = g["value"] / base_val * 100.0
        g["growth_pct"] = g["index"] - 100.0
        g["gap"] = g["value"].isna()
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    cols = ["institution", "label", "country", "measure", "year", "year_type", "value", "unit", "base_year",
            "base_value", "index", "growth_pct", "gap", "source_indicator", "source_id", "reliability", "flags",
            "n_sources", "alternatives", "note"]
    return out[cols]


def coverage(tidy: pd.DataFrame, lang: str = "ja") -> pd.DataFrame:
    """Years with data per named institution and measure (what base years are possible)."""
    rows = []
    for inst, meta in INSTITUTIONS.items():
        for m in MEASURES:
            ys = available_years(tidy, inst, m) if meta[m] else []
            rows.append({"institution": meta["en"] if lang == "en" else meta["ja"], "measure": m,
                         "years": year_ranges(ys) if ys else ("none" if lang == "en" else "なし"),
                         "n_years": len(ys)})
    return pd.DataFrame(rows)


def common_base_years(tidy: pd.DataFrame, measure: str) -> list[int]:
    """Years in which at least one US and one Japanese named institution both have ``measure`` (possible bases)."""
    us, jp = set(), set()
    for inst, meta in INSTITUTIONS.items():
        if meta[measure]:
            (us if meta["country"] == "USA" else jp).update(available_years(tidy, inst, measure))
    return sorted(us & jp)


def best_common_base_year(tidy: pd.DataFrame, measure: str) -> int | None:
    """Among ``common_base_years``, the one most named institutions have data for (ties: the earliest)."""
    have = [set(available_years(tidy, k, measure)) for k, v in INSTITUTIONS.items() if v[measure]]
    counts = {y: sum(y in years for years in have) for y in common_base_years(tidy, measure)}
    if not counts:
        return None
    return min(counts, key=lambda y: (-counts[y], y))
