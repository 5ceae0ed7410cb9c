"""Parameter checks and small helpers shared by the figure modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .. import paths
from ..errors import ParameterError


def year_ranges(years: Iterable[int]) -> str:
    """Compact list of years: [1981, 1983, 1991, 1992, 1993] -> '1981, 1983, 1991-1993'."""
    ys = sorted({int(y) for y in years})
    if not ys:
        return "none"
    parts: list[str] = []
    start = prev = ys[0]
    for y in ys[1:] + [None]:  # type: ignore[list-item]
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def check_keys(params: dict[str, Any], allowed: Iterable[str]) -> None:
    """Reject unknown parameter names (a typo would otherwise be silently ignored)."""
    allowed = list(allowed)
    for key in params:
        if key not in allowed:
            raise ParameterError(key, params[key], "unknown parameter", allowed)


def check_int(name: str, value: Any) -> int:
    """An integer parameter (a year); bools and non-integral numbers are rejected."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ParameterError(name, value, "must be an integer year")
    return int(value)


def check_output_dir(value: Any) -> None:
    """The ``output_dir`` parameter: a folder path as text ('' = the figure's default folder)."""
    if not isinstance(value, str):
        raise ParameterError("output_dir", value, "expected a folder path as text ('' = default)")


def resolve_output_dir(output_dir: str | Path, kind: str, stem: str) -> Path:
    """``output_dir`` if given, else ``<output>/<kind>/<stem>`` (kind = 'figures' or 'tables')."""
    if output_dir:
        return Path(output_dir)
    return paths.output_dir() / kind / stem


def relative(path: Path) -> str:
    """A path shown relative to the project root when it lies inside it (keeps notebook output portable)."""
    try:
        return Path(path).resolve().relative_to(paths.project_root()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def check_year_range(params: dict[str, Any], default_start: int, lo: int, hi: int,
                     countries: Iterable[str]) -> tuple[int, int]:
    """``start_year`` and ``end_year`` (None = latest) checked against the years ``lo``-``hi`` with data."""
    start = check_int("start_year", params.get("start_year", default_start))
    end_raw = params.get("end_year")
    end = hi if end_raw is None else check_int("end_year", end_raw)
    valid = list(range(lo, hi + 1))
    for name, y in (("start_year", start), ("end_year", end)):
        if not lo <= y <= hi:
            raise ParameterError(name, y, f"outside the years with data for {', '.join(countries)}", valid)
    if start > end:
        raise ParameterError("start_year", start, f"after end_year={end}")
    return start, end


# ---------------------------------------------------------------- empty lists: one rule for every notebook
# An empty list or dict never means "nothing". It is the automatic choice, and it is written [] / {} rather than
# None so that a runner override keeps the default's type:
#   - a selection (countries, institutions, institution_types, estimators, metrics, series): every item the data
#     allow for the other parameters (aggregates such as OECD or EU27_2020 are never added automatically);
#   - an exclusion (exclude, drop_countries): nothing left out;
#   - a year map (years in figure 6): each series' latest year.
# The executed notebook prints what the automatic choice resolved to.
EMPTY_RULE = ("[] means the automatic choice: every item with data for the other parameters "
              "(aggregates are not added automatically)")


def is_auto(value: Any) -> bool:
    """True for the automatic choice: an empty list, tuple or dict (see ``EMPTY_RULE``)."""
    return isinstance(value, (list, tuple, dict)) and len(value) == 0


def auto_areas(have: Iterable[str]) -> list[str]:
    """The automatic country selection among the area codes ``have``: every economy, aggregates left out."""
    from ..labels import AGGREGATES, AREAS

    return sorted(c for c in set(have) if c in AREAS and c not in AGGREGATES)
