"""Deck figures 3 and 4: higher-education R&D (HERD) and the share of it financed by business.

* Figure 3 (高等教育機関のR&D支出および国内企業による拠出割合（2021年）): for one year, HERD by economy
  (OECD MSTI ``H.USD_PPP.Q._Z`` constant 2020 USD PPP, or ``H.USD_PPP.V._Z`` current USD PPP) beside the % of
  HERD financed by the business enterprise sector (``H_FB.PT_HERD._Z._Z``). The deck converted HERD to yen at
  the 2021 average TTB rate; that rate is not in the project's raw data, so HERD is shown in USD PPP.
* Figure 4 (高等教育機関における企業負担研究開発費, 割合): the same business-financed share over time, with
  OECD breaks in series marked (e.g. Japan 1996, 2008, 2013, 2018; United Kingdom 2018, 4.4 % -> 9.2 %).

Missing observations are shown as missing. With ``fallback_latest=True`` figure 3 uses, per economy and per
series, the most recent year before the requested one that has a value, and labels the bar with that year.
``compare_vintage`` draws the values of another committed vintage over both figures (:mod:`msti_compare`).

The module is split by concern: :mod:`herd_params` (keys, defaults, parameter checks), :mod:`herd_snapshot`
(figure 3) and :mod:`herd_trend` (figure 4); the notebooks and tests use the names below from here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .common import relative  # noqa: F401  (the notebooks print paths with it)
from .herd_params import (DATA_NAME, DEFAULT_TREND_START, DEFAULT_YEAR, PRICE_BASES, SHARE_KEY,  # noqa: F401
                          SNAPSHOT_COUNTRIES, SNAPSHOT_PARAMS, SORTS, STEM_SNAPSHOT, STEM_TREND, TREND_COUNTRIES,
                          TREND_PARAMS, herd_key, snapshot_countries, trend_countries, validate_snapshot_params,
                          validate_trend_params)
from .herd_snapshot import (make_snapshot, snapshot_compare_frame, snapshot_frame, snapshot_note,  # noqa: F401
                            snapshot_plot, snapshot_text, snapshot_title)
from .herd_trend import (make_trend, trend_compare_frame, trend_frame, trend_note, trend_plot,  # noqa: F401
                         trend_text, trend_title)


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

