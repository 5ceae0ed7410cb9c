"""Parameters of deck figures 3 and 4 (HERD and the business-financed share of it): the series keys, the
defaults, and the checks that run before any work (also as the notebooks' validate hooks).
"""

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
STEM_SNAPSHOT = "fig03_herd_business_share_2021"
STEM_TREND = "fig04_herd_business_share_trend"
SHARE_KEY = msti.series_key("H_FB", "PT_HERD")
PRICE_BASES = {"constant": "Q", "current": "V"}
SORTS = ("share", "herd", "none")
# The deck's text does not list the economies of figure 3; this set covers the economies the deck discusses
# (Japan, the US, Europe's largest, Korea, China, Taiwan, Singapore) plus the OECD total.
SNAPSHOT_COUNTRIES = ["JPN", "USA", "DEU", "GBR", "FRA", "KOR", "CHN", "TWN", "SGP", "OECD"]
TREND_COUNTRIES = ["TWN", "KOR", "JPN", "USA", "CHN", "DEU"]
SNAPSHOT_PARAMS = ("year", "countries", "sort_by", "price_basis", "fallback_latest", "compare_vintage", "lang",
                   "output_dir")
TREND_PARAMS = ("countries", "start_year", "end_year", "compare_vintage", "lang", "output_dir")
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
    msti_compare_params.check(params.get(msti_compare_params.PARAM, ""))
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
