"""The registered country models (``hypotheses/country.toml``, family ``country``) and the notebook's parameters:
each model's outcome, regressors and carried terms, its fixed-effects formula, the valid parameter values and
their check (made before any data is read). Importable from :mod:`analysis.models.country`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import labels
from ..errors import ParameterError

FAMILY = "country"
# Valid parameter values known without reading data (the runner validates before starting a kernel).
MSTI_YEARS = (1981, 2024)
COUNTRIES = sorted(set(labels.AREAS) - labels.AGGREGATES)
LAGS = (0, 1, 2, 3)
DEFAULT_REPS = 999
DEFAULT_SEED = 20261129


@dataclass(frozen=True)
class Spec:
    """One registered model: outcome, regressors (interaction formed from the first two if asked)."""

    name: str
    outcome: str
    regressors: tuple[str, ...]
    carries: dict[str, str]  # hypothesis id -> term
    interaction: bool
    fixed_lag: int | None = None  # C3 is registered with one-year lags of its regressors
    count: str | None = None  # level outcome for the PPML variant
    label_en: str = ""
    label_ja: str = ""


SPECS: tuple[Spec, ...] = (
    Spec("C1 triadic", "log_triadic", ("log_berd", "log_herd"), {"C1a": "log_berd:log_herd", "C1c": "log_herd"},
         True, count="triadic", label_en="log triadic patent families", label_ja="三極パテントファミリー数（対数）"),
    Spec("C1 PCT", "log_pct", ("log_berd", "log_herd"), {"C1b": "log_berd:log_herd"}, True, count="pct",
         label_en="log PCT applications", label_ja="PCT出願数（対数）"),
    Spec("C2 HERD financed by business", "herd_fb", ("berd_gdp", "bres_per_1000emp"),
         {"C2a": "berd_gdp", "C2b": "bres_per_1000emp"}, False,
         label_en="HERD financed by business (% of HERD)", label_ja="大学研究費の企業負担割合（％）"),
    Spec("C3 TFP growth", "tfp_growth", ("berd_gdp", "herd_gdp"), {"C3a": "berd_gdp:herd_gdp"}, True, fixed_lag=1,
         label_en="TFP growth (% per year, PWT rtfpna)", label_ja="TFP成長率（％、PWT）"),
)


# ---- parameters ---------------------------------------------------------------------------------------------
# [] is the automatic choice (the project's rule for empty lists, figures.common.EMPTY_RULE): every year with
# data, every economy, nothing excluded; None is accepted as the older spelling of the same choice.
DEFAULTS: dict[str, Any] = {"years": [], "countries": [], "exclude": [], "drop_breaks": False, "lags": 0,
                            "lang": "ja", "bootstrap_reps": DEFAULT_REPS, "output_dir": ""}


def validate_params(params: dict) -> None:
    """Reject bad notebook parameters before any data is read; raises ``ParameterError`` naming the choices.

    ``years``: [] (every year with data) or [first, last] within 1981-2024 (MSTI); ``countries``: [] (every
    economy, aggregates OECD and EU27_2020 left out) or a list of ISO3 codes; ``exclude``: ISO3 codes to leave out
    ([] = none); ``drop_breaks``: bool; ``lags``: 0-3 (years by which C1/C2 regressors are lagged; C3 is registered
    with a one-year lag); ``lang``: ja/en; ``bootstrap_reps``: integer >= 99. Empty lists follow the project's
    rule (``figures.common.EMPTY_RULE``: [] is the automatic choice); None is the same as [] for years and
    countries.
    """
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ParameterError("params", unknown, "unknown parameter(s)", sorted(DEFAULTS))
    p = {**DEFAULTS, **params}
    years = p["years"]
    if years is not None and not (isinstance(years, (list, tuple)) and len(years) == 0):
        if (not isinstance(years, (list, tuple)) or len(years) != 2
                or not all(isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in years)):
            raise ParameterError("years", years, "give [first, last] as two integers, or [] for every year with data")
        lo, hi = int(years[0]), int(years[1])
        if lo > hi:
            raise ParameterError("years", years, "first year is after the last year")
        if hi < MSTI_YEARS[0] or lo > MSTI_YEARS[1]:
            raise ParameterError("years", years, f"no data: OECD MSTI covers {MSTI_YEARS[0]}-{MSTI_YEARS[1]}")
    for name in ("countries", "exclude"):
        val = p[name]
        if val is None and name == "countries":
            continue
        if isinstance(val, str) or not isinstance(val, (list, tuple)):
            raise ParameterError(name, val, "give a list of ISO3 codes ([] = every economy)" if name == "countries"
                                 else "give a list of ISO3 codes ([] = none)", COUNTRIES)
        bad = [c for c in val if c not in COUNTRIES]
        if bad:
            raise ParameterError(name, bad, "unknown economy (aggregates OECD and EU27_2020 are not allowed)",
                                 COUNTRIES)
    chosen = set(p["countries"] or COUNTRIES) - set(p["exclude"])
    if len(chosen) < 2:
        raise ParameterError("countries", p["countries"], "fewer than 2 economies left after exclude "
                             "(country fixed effects and clustering need several)", COUNTRIES)
    if not isinstance(p["drop_breaks"], bool):
        raise ParameterError("drop_breaks", p["drop_breaks"], "must be True or False", [True, False])
    if p["lags"] not in LAGS or isinstance(p["lags"], bool):
        raise ParameterError("lags", p["lags"], "lag of the C1/C2 regressors in years", LAGS)
    labels.check_lang(p["lang"])
    reps = p["bootstrap_reps"]
    if not isinstance(reps, (int, np.integer)) or isinstance(reps, bool) or reps < 99:
        raise ParameterError("bootstrap_reps", reps, "must be an integer >= 99")
    if not isinstance(p["output_dir"], str):
        raise ParameterError("output_dir", p["output_dir"], "must be a path string ('' for the default)")


def formula(spec: Spec) -> str:
    """Two-way fixed-effects formula of ``spec`` (patsy)."""
    rhs = " * ".join(spec.regressors[:2]) if spec.interaction else " + ".join(spec.regressors[:2])
    rhs += "".join(f" + {x}" for x in spec.regressors[2:])
    return f"{spec.outcome} ~ {rhs} + C(entity) + C(year)"


def terms(spec: Spec) -> list[str]:
    """Non-FE coefficients of ``spec`` in formula order."""
    out = list(spec.regressors)
    if spec.interaction:
        out.append(f"{spec.regressors[0]}:{spec.regressors[1]}")
    return out

