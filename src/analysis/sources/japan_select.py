"""Choosing and showing rows of the tidy Japanese data (``analysis.sources.japan``): ``best`` picks one value per
entity and year when several sources give one, ``unused_rows`` says which supplied rows a figure does not draw,
``entity_label`` names a breakdown entity in Japanese or English.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Iterable

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .japan_rules import ENTITY_EN, RELIABILITY


def unused_rows(rows: pd.DataFrame, shown: Iterable[tuple[str, str]], start: int, end: int) -> pd.DataFrame:
    """Which of ``rows`` (tidy, e.g. a user file's) a figure does not draw, and why (column ``reason``).

    ``shown`` are the (indicator, entity) pairs the figure draws for years ``start``..``end``. A figure lists
    these rows in its note, so that no supplied row disappears without a word.
    """
    shown = set(shown)
    reasons = []
    for r in rows.itertuples():
        if (r.indicator, r.entity) not in shown:
            reasons.append(f"{r.indicator} ({r.entity}) is not drawn in this figure")
        elif pd.isna(r.year):
            reasons.append(f"{r.indicator} ({r.entity}) has no year")
        elif not start <= int(r.year) <= end:
            reasons.append(f"{r.indicator} FY{int(r.year)} is outside the plotted years {start}-{end}")
        else:
            reasons.append("")
    out = rows.assign(reason=reasons)
    return out[out["reason"] != ""].reset_index(drop=True)


def _rank(reliability: pd.Series) -> pd.Series:
    order = {r: i for i, r in enumerate(RELIABILITY)}
    return reliability.map(order).fillna(len(RELIABILITY)).astype(int)


class FrameCache(OrderedDict):
    """Frames by key, keeping the ``size`` used most recently; every caller gets its own copy."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def copy_of(self, key: tuple, compute) -> pd.DataFrame:
        """A copy of the frame kept for ``key``, made by ``compute()`` when there is none."""
        hit = self.get(key)
        if hit is None:
            hit = self[key] = compute()
            if len(self) > self.size:
                self.popitem(last=False)
        else:
            self.move_to_end(key)
        return hit.copy()


# ``best`` results by (content of the frame, indicator, entity): a figure asks for the same selection many times
# (figure 6: 88 calls, 23 distinct), and the per-year choice is the slow part. Keyed by content, not identity,
# so an edited or rebuilt frame is never answered from the cache; callers get a copy they may modify.
_BEST_CACHE = FrameCache(256)


def content_key(df: pd.DataFrame) -> tuple:
    """A key that changes with any value, column, dtype or row order of ``df`` (64-bit row hashes, sha256)."""
    rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
    return (tuple(df.columns), tuple(str(t) for t in df.dtypes), len(df),
            hashlib.sha256(rows.tobytes()).hexdigest())


def best(tidy_df: pd.DataFrame, indicator: str, entity: str | list[str] | None = None) -> pd.DataFrame:
    """One value per (entity, year, year_type) of ``indicator``, chosen by reliability; alternatives kept.

    Order: ``RELIABILITY`` (primary first); ties go to the data in ``data/raw`` before user-supplied rows
    (``source`` sorts "japan" before "user"), then to the alphabetically first ``source_id``. The result
    has the tidy columns of the chosen row plus ``n_sources`` (how many sources gave a value),
    ``alternatives`` ("source_id=value unit (reliability)" of the others, '' if none) and ``max_rel_diff``
    (largest relative difference of an alternative from the chosen value, 0 if none).
    Unknown indicator or entity raises ``ParameterError`` listing the valid ones. Results are memoised by the
    frame's content (see ``_BEST_CACHE``).
    """
    key = (content_key(tidy_df), indicator, entity if entity is None or isinstance(entity, str) else tuple(entity))
    return _BEST_CACHE.copy_of(key, lambda: _best(tidy_df, indicator, entity))


def _best(tidy_df: pd.DataFrame, indicator: str, entity: str | list[str] | None) -> pd.DataFrame:
    """``best`` without the cache."""
    sub = tidy_df[tidy_df["indicator"] == indicator]
    if sub.empty:
        raise ParameterError("indicator", indicator, "not in the data", sorted(tidy_df["indicator"].unique()))
    if entity is not None:
        wanted = [entity] if isinstance(entity, str) else list(entity)
        unknown = [e for e in wanted if e not in set(sub["entity"])]
        if unknown:
            raise ParameterError("entity", unknown, f"no data for {indicator}", sorted(sub["entity"].unique()))
        sub = sub[sub["entity"].isin(wanted)]
    sub = sub.assign(_rank=_rank(sub["reliability"]), _year=sub["year"].fillna(-1))
    sub = sub.sort_values(["entity", "_year", "year_type", "_rank", "source", "source_id"], kind="mergesort")
    if (set(sub.columns) != _TIDY_WORK or sub["value"].dtype != "float64" or sub["entity"].isna().any()
            or sub["year_type"].isna().any()):
        return _best_rowwise(sub)
    return _retidy_chosen(_choose(sub))


# the columns ``_choose`` handles (the tidy ones ``_retidy`` casts, plus the sort helpers); any other frame goes
# through ``_best_rowwise``, whose dtype inference ``_choose`` does not imitate
_TIDY_WORK = {"entity", "entity_type", "year", "year_type", "indicator", "unit", "value", "flags", "source",
              "source_id", "reliability", "note", "_rank", "_year"}


def _choose(sub: pd.DataFrame) -> pd.DataFrame:
    """The first row of each (entity, year, year_type) group of the sorted ``sub``, with the group's other rows
    as ``n_sources``, ``alternatives`` and ``max_rel_diff``: ``_best_rowwise`` computed column-wise."""
    keys = ["entity", "_year", "year_type"]
    first = ~sub.duplicated(keys).to_numpy()
    group = first.cumsum() - 1  # rows of a group are adjacent after the sort
    value = sub["value"].to_numpy(dtype="float64")
    lead = value[first][group]  # the chosen value, on every row of its group
    others = ~first
    alt = [f"{sid}={v:,.12g} {u} ({rel})" for sid, v, u, rel, o in
           zip(sub["source_id"], value, sub["unit"], sub["reliability"], others) if o]
    alts = pd.Series(alt, dtype=object).groupby(group[others]).agg("; ".join)
    n_groups = int(first.sum())
    n_sources = np.bincount(group, minlength=n_groups)
    spread = pd.Series(abs(value - lead)[others]).groupby(group[others]).max()
    chosen = value[first]
    with np.errstate(divide="ignore", invalid="ignore"):  # the zero and single-source cases are set to 0 below
        diff = (spread.reindex(range(n_groups)).to_numpy() / abs(chosen)).astype("float64")
    diff[(n_sources == 1) | (chosen == 0)] = 0.0
    res = sub[first].drop(columns=["_rank", "_year"]).reset_index(drop=True)
    return res.assign(n_sources=n_sources, alternatives=alts.reindex(range(n_groups), fill_value="").to_numpy(),
                      max_rel_diff=diff)


def _best_rowwise(sub: pd.DataFrame) -> pd.DataFrame:
    """``_choose`` group by group (kept for frames with other columns or missing group keys)."""
    out = []
    for _, grp in sub.groupby(["entity", "_year", "year_type"], sort=True):
        first = grp.iloc[0]
        others = grp.iloc[1:]
        alts = "; ".join(f"{r.source_id}={r.value:,.12g} {r.unit} ({r.reliability})" for r in others.itertuples())
        diff = float((others["value"] - first["value"]).abs().max() / abs(first["value"])) \
            if len(others) and first["value"] != 0 else 0.0
        row = first.drop(["_rank", "_year"]).to_dict()
        row.update(n_sources=len(grp), alternatives=alts, max_rel_diff=diff)
        out.append(row)
    return _retidy(pd.DataFrame(out))


_TEXT_COLUMNS = ("entity", "entity_type", "year_type", "indicator", "unit", "flags", "source", "source_id",
                 "reliability", "note")
_CASTS = {**{c: "string" for c in _TEXT_COLUMNS}, "year": "Int64", "value": "float64", "n_sources": "int64",
          "alternatives": "string", "max_rel_diff": "float64"}


def _retidy_chosen(res: pd.DataFrame) -> pd.DataFrame:
    """``_retidy`` for ``_choose`` output (the tidy columns plus the three extra ones, in that order), cast
    column by column into one new frame instead of split, cast and joined again."""
    cols = {}
    for col in res.columns:
        s = res[col].astype(_CASTS[col])
        cols[col] = s.fillna("") if col in _TEXT_COLUMNS and s.hasnans else s
    out = pd.DataFrame(cols)
    return out.sort_values(["entity", "year"], kind="mergesort", na_position="first").reset_index(drop=True)


def _retidy(res: pd.DataFrame) -> pd.DataFrame:
    """Tidy-cast and sort ``best`` output while keeping its extra columns aligned."""
    extra = res[["n_sources", "alternatives", "max_rel_diff"]].copy()
    base = res.drop(columns=list(extra.columns))
    for col in _TEXT_COLUMNS:
        base[col] = base[col].astype("string").fillna("")
    base["year"] = base["year"].astype("Int64")
    base["value"] = base["value"].astype("float64")
    out = pd.concat([base, extra], axis=1)
    out["n_sources"] = out["n_sources"].astype("int64")
    out["alternatives"] = out["alternatives"].astype("string")
    out["max_rel_diff"] = out["max_rel_diff"].astype("float64")
    return out.sort_values(["entity", "year"], kind="mergesort", na_position="first").reset_index(drop=True)


def entity_label(entity: str, lang: str = "ja") -> str:
    """Display name of a breakdown entity (Japanese names as in the files; English from ``ENTITY_EN``)."""
    from .. import labels
    labels.check_lang(lang)
    if lang == "ja":
        return labels.AREAS[entity][1] if entity in labels.AREAS else entity
    if entity in labels.AREAS:
        return labels.AREAS[entity][0]
    return ENTITY_EN.get(entity, entity)
