"""What the estimation modules understand: the allowed values of every dimension of a family's space.

``for_family(family, settings)`` returns {dimension: checker}; a checker returns '' for a valid value and the
problem otherwise. ``analysis.multiverse.space`` uses it to reject a space file with an unknown dimension or
value before anything is estimated.
"""

from __future__ import annotations

import re

from ..errors import ParameterError

WINDOW = re.compile(r"^(\d{4})-(\d{4})$")
FIRM_YEARS = (1983, 1991)
INDUSTRY_YEARS = (1980, 2005)
COUNTRY_YEARS = (1981, 2024)
FIRM_ESTIMATORS = ("pooled_poisson", "fe_poisson", "negbin")
FIRM_SAMPLES = ("all", "no_rotw", "patenting", "no_top5", "no_rotw_patenting", "no_rotw_top5")
FIRM_CONTROLS = ("sector_region_year", "region_year", "year")
INDUSTRY_ELASTICITIES = ("convention_70_30", "convention_60_40", "estimated")
COUNTRY_ESTIMATORS = ("ols_twfe", "ppml_twfe")
COUNTRY_FLAGS = ("keep", "drop_B", "drop_BE")
COUNTRY_EFFECTS = ("twoway", "twoway_trends")


def window_problem(value, first: int, last: int, allow_all: bool = False) -> str:
    """'' if ``value`` is a window "first-last" inside [first, last] (or "all" when allowed), else the problem."""
    if allow_all and value == "all":
        return ""
    m = WINDOW.match(value) if isinstance(value, str) else None
    if not m:
        return "a window is written 'first-last', e.g. '1985-1991'" + (" (or 'all')" if allow_all else "")
    a, b = int(m.group(1)), int(m.group(2))
    if not first <= a < b <= last:
        return f"outside the data's years {first}-{last} or first >= last"
    return ""


def window_years(value: str, default: tuple[int, int]) -> tuple[int, int]:
    """(first, last) of a window value; "all" is ``default``."""
    if value == "all":
        return default
    a, b = value.split("-")
    return int(a), int(b)


def one_of(*allowed):
    """A checker for a dimension with a fixed set of values."""
    def check(v):
        return "" if v in allowed and not isinstance(v, bool) else f"must be one of {list(allowed)}"
    return check


def _window(first, last, allow_all=False):
    return lambda v: window_problem(v, first, last, allow_all)


def settings_problem(family: str, settings: dict) -> str:
    """'' if a space file's top-level entries are valid for ``family``, else the problem."""
    if family == "country":
        codes = settings.get("non_oecd")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and len(c) == 3 for c in codes):
            return "non_oecd must be a non-empty list of ISO3 codes (the economies exclude = 'non_oecd' drops)"
    unknown = sorted(set(settings) - ({"non_oecd"} if family == "country" else set()))
    return f"unknown top-level entries {unknown}" if unknown else ""


def for_family(family: str, settings: dict | None = None) -> dict:
    """{dimension: checker} of ``family``; ``settings`` are the space file's top-level entries."""
    settings = settings or {}
    if family == "firm":
        return {"estimator": one_of(*FIRM_ESTIMATORS), "window": _window(*FIRM_YEARS), "lag": one_of(0, 1, 2),
                "firms": one_of(*FIRM_SAMPLES), "controls": one_of(*FIRM_CONTROLS),
                "inference": one_of("cluster_firm")}
    if family == "industry":
        return {"elasticities": one_of(*INDUSTRY_ELASTICITIES), "intensity": one_of("rdk_output", "drdk"),
                "rd_lag": one_of(1, 2), "countries": one_of("all", "no_late_entrants"),
                "window": _window(*INDUSTRY_YEARS), "cluster": one_of("id", "country"),
                "inference": one_of("cr1", "wcr")}
    if family == "country":
        return {"estimator": one_of(*COUNTRY_ESTIMATORS), "prices": one_of("constant_ppp", "current_ppp"),
                "lag": one_of(0, 1, 2, 3), "flags": one_of(*COUNTRY_FLAGS), "exclude": one_of("none", "CHN", "non_oecd"),
                "window": _window(*COUNTRY_YEARS, allow_all=True), "effects": one_of(*COUNTRY_EFFECTS),
                "inference": one_of("cr1", "wcr")}
    raise ParameterError("family", family, "no specification space", ["firm", "industry", "country"])
