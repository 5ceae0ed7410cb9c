"""Parameters of figure 10 (doctorates per million population, doctorate holders among new company researchers):
the data sets and indicators checked, the defaults and the check that runs before any work (also as the notebook's
validate hook, which must import no drawing code)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import labels
from ..errors import ParameterError
from .common import check_keys, check_output_dir, check_year_range

DATASETS = ("t46_extracts_phd_shidairen", "oecd_msti", "nistep_text_phd_bizres_2")
PARAMS = ("countries", "start_year", "end_year", "industries", "lang", "output_dir")
DEFAULT_START = 2000
PHD = "phd_degrees_awarded"
SHARE, HIRES, HOLDERS = ("jp_new_hire_researchers_share", "jp_new_hire_researchers_hires",
                         "jp_new_hire_researchers_phd")


def _check_members(name: str, values: Any, have: list[str], what: str, missing: str) -> None:
    """A list parameter ([] = all) whose every entry must be one of ``have``."""
    if not isinstance(values, (list, tuple)):
        raise ParameterError(name, values, f"expected a list of {what} ([] = all)", have)
    for v in values:
        if v not in have:
            raise ParameterError(name, v, missing, have)


def validate_params(params: dict[str, Any], frames: dict[str, pd.DataFrame] | None = None) -> None:
    """Check parameter names, countries, years, industries and language (against the data when given)."""
    from .. import data

    check_keys(params, PARAMS)
    p = {"countries": [], "start_year": DEFAULT_START, "end_year": None, "industries": [], "lang": "ja",
         "output_dir": "", **params}
    labels.check_lang(p["lang"])
    check_output_dir(p["output_dir"])
    frames = frames or {name: data.load(name) for name in DATASETS[:2]}
    phd = frames["t46_extracts_phd_shidairen"]
    have = sorted(set(phd.loc[phd["indicator"] == PHD, "entity"]))
    _check_members("countries", p["countries"], have, "country codes", "no doctorate counts for this country")
    years = phd.loc[phd["indicator"] == PHD, "year"].astype(int)
    check_year_range(p, DEFAULT_START, int(years.min()), int(years.max()), p["countries"] or have)
    inds = sorted(set(phd.loc[phd["indicator"] == SHARE, "entity"]))
    _check_members("industries", p["industries"], inds, "industries", "not an industry of 表2-1-18")
