"""Data and text helpers shared by the OECD MSTI figures 1, 3 and 4: validated area lists, the complete
country x year grid (gaps stay gaps), OECD flag columns and the sentences that list flags and series ends.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import labels
from ..errors import ParameterError
from .common import EMPTY_RULE, auto_areas, is_auto, year_ranges

FLAG_TEXT = {
    "B": ("break in series", "系列の断層"),
    "E": ("estimate", "推計値"),
    "P": ("provisional", "暫定値"),
    "D": ("definition differs", "定義が異なる"),
}



def check_countries(countries: Any, have: Iterable[str], series: str, auto: Iterable[str] | None = None,
                    why: str = "") -> list[str]:
    """Distinct area codes, each with data in ``series`` (codes listed on error).

    ``[]`` is the automatic choice (``common.EMPTY_RULE``): every economy in ``auto`` (default: every economy with
    data in ``series``), aggregates left out; ``why`` says what ``auto`` required, for the error when none is left.
    """
    have = sorted(set(have))
    if is_auto(countries) and not isinstance(countries, dict):
        out = auto_areas(have if auto is None else auto)
        if not out:
            raise ParameterError("countries", countries, f"{EMPTY_RULE}, but no economy has data in series {series}"
                                 f"{why}; name the areas", have)
        return out
    if isinstance(countries, str) or not isinstance(countries, (list, tuple)):
        raise ParameterError("countries", countries, "must be a list of area codes, e.g. ['JPN', 'USA'], or [] "
                             "for every economy with data", have)
    out: list[str] = []
    for c in countries:
        if not isinstance(c, str):
            raise ParameterError("countries", c, "area codes are strings", have)
        if c not in labels.AREAS:
            raise ParameterError("countries", c, "unknown area code", have)
        if c not in have:
            raise ParameterError("countries", c, f"no data for this area in series {series}", have)
        if c in out:
            raise ParameterError("countries", countries, f"{c} is listed twice")
        out.append(c)
    return out


def flag_columns(flags: pd.Series) -> pd.DataFrame:
    """Booleans ``break``/``estimate``/``provisional``/``definition_differs`` from an OECD flags string column."""
    f = flags.fillna("").astype(str)
    return pd.DataFrame({
        "break": f.str.contains("B", regex=False),
        "estimate": f.str.contains("E", regex=False),
        "provisional": f.str.contains("P", regex=False),
        "definition_differs": f.str.contains("D", regex=False),
    }, index=flags.index)


def complete_grid(sub: pd.DataFrame, countries: list[str], start: int, end: int) -> pd.DataFrame:
    """One row per country x year in [start, end]; years without an observation get NaN value and ''
    flags, and a ``status``: 'observed', 'gap' (inside the country's observed span), 'before_first' or
    'after_last' (outside it). Nothing is filled in."""
    grid = pd.MultiIndex.from_product([countries, range(start, end + 1)], names=["entity", "year"])
    s = sub[["entity", "year", "value", "flags"]].copy()
    s["year"] = s["year"].astype("int64")
    out = s.set_index(["entity", "year"]).reindex(grid).reset_index()
    out["flags"] = out["flags"].fillna("").astype(str)
    observed = out["value"].notna()
    first = out[observed].groupby("entity")["year"].min()
    last = out[observed].groupby("entity")["year"].max()
    f = out["entity"].map(first)
    la = out["entity"].map(last)
    status = np.where(observed, "observed",
                      np.where(f.isna() | (out["year"] < f), "before_first",
                               np.where(out["year"] > la, "after_last", "gap")))
    out["status"] = status
    return out


def flag_notes(frame: pd.DataFrame, lang: str, value_col: str = "value") -> list[str]:
    """Lines of the note listing flagged observations per country (only points that are drawn)."""
    lines: list[str] = []
    shown = frame[frame[value_col].notna()]
    for code in dict.fromkeys(shown["entity"]):
        rows = shown[shown["entity"] == code]
        parts = []
        for flag in ("B", "E", "P", "D"):
            ys = rows.loc[rows["flags"].str.contains(flag, regex=False), "year"]
            if len(ys):
                what = labels.text(FLAG_TEXT[flag][0], FLAG_TEXT[flag][1], lang)
                parts.append(f"{what} ({flag}) {year_ranges(ys)}")
        if parts:
            sep = "; " if lang == "en" else "；"
            lines.append(labels.area_name(code, lang) + labels.text(": ", "：", lang) + sep.join(parts))
    return lines


def series_ends(frame: pd.DataFrame) -> pd.DataFrame:
    """First and last year with a value per country, and the years missing in between."""
    rows = []
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code]
        obs = f.loc[f["status"] == "observed", "year"]
        rows.append({"entity": code, "first": int(obs.min()), "last": int(obs.max()),
                     "gaps": list(f.loc[f["status"] == "gap", "year"].astype(int))})
    return pd.DataFrame(rows)



def names(codes: Iterable[str], lang: str) -> str:
    return ("、" if lang == "ja" else ", ").join(labels.area_name(c, lang) for c in codes)


def flags_text(frame: pd.DataFrame, lang: str, value_col: str = "value") -> list[str]:
    """Sentences on the OECD flags of the drawn points: definition differs (D), estimates (E), breaks (B)."""
    out = []
    shown = frame[frame[value_col].notna()]
    for flag, col, (en, ja) in (("D", "definition_differs", FLAG_TEXT["D"]), ("E", "estimate", FLAG_TEXT["E"]),
                                ("P", "provisional", FLAG_TEXT["P"]), ("B", "break", FLAG_TEXT["B"])):
        parts = []
        for code in dict.fromkeys(shown["entity"]):
            rows = shown[shown["entity"] == code]
            ys = rows.loc[rows[col], "year"]
            if ys.empty:
                continue
            when = (labels.text("throughout", "全期間", lang) if len(ys) == len(rows)
                    else year_ranges(ys))
            parts.append(f"{labels.area_name(code, lang)} ({when})")
        if parts:
            out.append(labels.text(f"Flagged '{en}' ({flag}): " + ", ".join(parts) + ".",
                                   f"「{ja}」（{flag}）：" + "、".join(parts) + "。", lang))
    return out

