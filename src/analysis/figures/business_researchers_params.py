"""Parameters of deck figure 1 (business-enterprise researchers, index): the series, the defaults and the checks
that run before any work (also as the notebook's validate hook, which must import no drawing code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .. import labels
from ..errors import ParameterError
from ..sources import msti
from . import msti_compare_params
from .common import check_int, check_keys, check_year_range, year_ranges
from .msti_series import check_countries

DATA_NAME = "oecd_msti"
DEFAULT_COUNTRIES = ["JPN", "USA", "DEU", "FRA", "GBR", "CHN", "KOR"]
DEFAULT_BASE_YEAR = 2011
DEFAULT_START_YEAR = 2011
# Researcher head-count series in FTE that the index can be drawn for (MEASURE codes, unit FTE).
MEASURES = ("B_RS", "T_RS", "H_RS", "G_RS")
DEFAULT_MEASURE = "B_RS"
PARAMS = ("countries", "base_year", "start_year", "end_year", "measure", "compare_vintage", "lang", "output_dir")


def series_key(measure: str) -> str:
    """Tidy indicator of a researcher series in FTE."""
    return msti.series_key(measure, "FTE")


def validate_params(params: dict[str, Any], tidy: pd.DataFrame | None = None) -> None:
    """Check figure-1 parameters before any work; raise ``ParameterError`` naming the first bad one.

    ``params`` may hold any of ``countries, base_year, start_year, end_year (None = latest), measure,
    compare_vintage, lang, output_dir``; missing ones take the defaults. ``countries=[]`` is the automatic choice (``common.EMPTY_RULE``):
    every economy with a value in ``base_year`` (aggregates left out). The data are read from ``data/processed``
    unless given. ``compare_vintage`` must be "", a committed vintage of oecd_msti or "previous".
    """
    resolve_countries(params, tidy)
    msti_compare_params.check(params.get(msti_compare_params.PARAM, ""))


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
