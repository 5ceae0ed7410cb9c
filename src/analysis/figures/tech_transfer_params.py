"""Parameters of deck figure 6 (technology transfer, US vs Japan) and their checks, which run before any work (also
as the notebook's validate hook, which must import no drawing code): the metrics and series chosen, and the years
each series has a value in (chosen per year by reliability, as the figure's table does)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import data, labels
from ..errors import ParameterError
from ..sources import japan as japan_src
from .common import EMPTY_RULE, check_int, check_keys, check_output_dir, is_auto
from .tech_transfer_series import DEFAULT_METRICS, METRICS, all_series

PARAMS = ("metrics", "series", "years", "normalise", "lang", "output_dir")


def _check_list(name: str, value: Any, choices: list[str]) -> list[str]:
    """A selection from ``choices``: ``[]`` (or ``'all'``) is the automatic choice, every item
    (``common.EMPTY_RULE``); otherwise a list of known, distinct items, kept in the order given."""
    if value == "all" or is_auto(value):
        return list(choices)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ParameterError(name, value, f"expected a list ({EMPTY_RULE})", choices)
    out: list[str] = []
    for v in value:
        if v not in choices:
            raise ParameterError(name, v, "unknown choice", choices)
        if v in out:
            raise ParameterError(name, value, f"{v} is listed twice")
        out.append(v)
    return out


def check_years(years: Any, series: list[str]) -> dict[str, int | None]:
    """``'latest'`` or ``{series key: year}`` (series not named, and ``{}``, use their latest year)."""
    if years == "latest" or years == {}:
        return {s: None for s in series}
    if not isinstance(years, dict):
        raise ParameterError("years", years, "expected 'latest' or a dict {series: year}, e.g. {'JP_UNITT': 2017}",
                             list(all_series()))
    out: dict[str, int | None] = {s: None for s in series}
    for k, v in years.items():
        if k not in all_series():
            raise ParameterError("years", k, "unknown series", list(all_series()))
        if k not in series:
            raise ParameterError("years", k, "series not selected in 'series'", series)
        out[k] = None if v == "latest" else check_int(f"years[{k!r}]", v)
    return out


def validate_params(params: dict[str, Any], frames: dict[str, pd.DataFrame] | None = None) -> None:
    """Check the notebook parameters (names, metrics, series, years, normalise, lang) before any work.

    An explicit year is also checked against the data (``frames`` = {'japan': ..., 'ncses_autm': ...}, read from
    the processed data when not given, so the runner's pre-kernel check sees it too): a series with no value for
    any selected metric in that year is an error listing the years it has.
    """
    check_keys(params, PARAMS)
    p = {"metrics": DEFAULT_METRICS, "series": "all", "years": "latest", "normalise": False, "lang": "ja",
         "output_dir": "", **params}
    metrics = _check_list("metrics", p["metrics"], list(METRICS))
    series = _check_list("series", p["series"], list(all_series()))
    if not isinstance(p["normalise"], bool):
        raise ParameterError("normalise", p["normalise"], "must be True or False")
    if p["normalise"] and "research_expenditure" in metrics:
        raise ParameterError("metrics", "research_expenditure", "is the denominator when normalise=True; drop it",
                             [m for m in METRICS if m != "research_expenditure"])
    labels.check_lang(p["lang"])
    check_output_dir(p["output_dir"])
    years = check_years(p["years"], series)
    if any(y is not None for y in years.values()):
        if frames is None:
            frames = {name: data.load(name) for name in ("japan", "ncses_autm")}
        frames = _needed(frames)
        for key, year in years.items():
            if year is None:
                continue
            have = available_years(frames, key, metrics, p["normalise"])
            if year not in have:
                raise ParameterError(f"years[{key!r}]", year, f"no data for {', '.join(metrics)} in this year"
                                     + (" with a same-year denominator" if p["normalise"] else ""), have)


def _needed(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only the rows of the indicators the figure uses (``best`` then works on a few hundred rows)."""
    reg = all_series().values()
    inds = {i for s in reg for spec in s.metrics.values() for i, *_ in spec} | {s.denominator for s in reg}
    return {k: v[v["indicator"].isin(inds)] for k, v in frames.items()}


def _best(frame: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One value per year of ``indicator`` chosen by reliability (empty frame if the indicator is absent)."""
    if not (frame["indicator"] == indicator).any():
        return frame.iloc[0:0].assign(n_sources=pd.Series(dtype="int64"), alternatives=pd.Series(dtype="string"),
                                      max_rel_diff=pd.Series(dtype="float64"))
    return japan_src.best(frame, indicator)


def _candidates(frames: dict[str, pd.DataFrame], key: str, metric: str) -> pd.DataFrame:
    """All (year, value) candidates of a metric in a series, with the indicator used and its status flag."""
    s = all_series()[key]
    parts = []
    for rank, (ind, flag, reason_en, reason_ja) in enumerate(s.metrics.get(metric, ())):
        b = _best(frames[s.data], ind)
        b = b[b["entity"] == s.country]
        if b.empty:
            continue
        parts.append(b.assign(rank=rank, extra_flag=flag, flag_reason_en=reason_en, flag_reason_ja=reason_ja))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def _denominators(frames: dict[str, pd.DataFrame], key: str) -> pd.DataFrame:
    s = all_series()[key]
    b = _best(frames[s.data], s.denominator)
    return b[b["entity"] == s.country]


def available_years(frames: dict[str, pd.DataFrame], key: str, metrics: list[str], normalise: bool) -> list[int]:
    """Years in which series ``key`` has a value for at least one of ``metrics`` (and a denominator if normalised)."""
    years: set[int] = set()
    den = set(_denominators(frames, key)["year"].dropna().astype(int)) if normalise else None
    for m in metrics:
        c = _candidates(frames, key, m)
        if c.empty:
            continue
        ys = set(c["year"].dropna().astype(int))
        years |= ys & den if den is not None else ys
    return sorted(years)
