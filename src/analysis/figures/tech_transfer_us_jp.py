"""Deck figure 6: university technology-transfer performance, United States vs Japan.

The deck (日米大学等の産学官技術移転に関するパフォーマンス（2022年）, from AUTM's U.S. Licensing Activity Survey 2022, licence
income converted at the 2018 average TTB rate) compares invention disclosures, patent applications, licences, licence
income and start-ups. We rebuild it from the series the project holds, one bar per *series* (a survey population):

- ``US_AUTM``: AUTM Licensing Activity Survey headline values, all respondents (universities, hospitals, research
  institutes), from ``data/raw/japan/autm_*.csv``;
- ``US_AUTM_UNIV``: AUTM member universities only, from the NCSES Science & Engineering Indicators tables
  (``data/raw/ncses_autm``);
- ``JP_UNITT``: UNITT 大学技術移転サーベイ (universities, TLOs, public research institutes);
- ``JP_MEXT``: MEXT 大学等における産学連携等実施状況 (知的財産権等収入, 大学等発ベンチャー設立数).

AUTM's FY2022 licensing figures are paywalled and UNITT's FY2022 edition was not found, so each series shows its
own latest year (stated on every bar); the years differ by country and by metric. Where a source gives several
values for a year, ``analysis.sources.japan.best`` picks one by reliability.

``normalise=True`` divides by the research spending of the same year: AUTM respondents' research expenditure
(US_AUTM), NCSES HERD (all US higher-education institutions; US_AUTM_UNIV) and 大学の研究費（自然科学） as
stated by UNITT (all Japanese universities; JP_UNITT and JP_MEXT). Counts are then per USD 100 m (US) or per
¥10 bn (Japan) and money as % of research spending. No exchange rate is in the raw data, so each country is
normalised in its own currency; nothing is converted. A metric without a same-year denominator is a gap.

The series (populations, indicators per metric, denominators, colours) are data, in
``src/analysis/figures/tech_transfer_series.toml``, read and validated by :func:`load_series`.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import data, inputs, labels, plotting
from ..errors import DataFileError, ParameterError
from ..sources import japan as japan_src
from .common import EMPTY_RULE, check_int, check_keys, is_auto, relative, resolve_output_dir

STEM = "fig06_tech_transfer_us_jp"
DATA_NAMES = ("japan", "ncses_autm")
PARAMS = ("metrics", "series", "years", "normalise", "lang", "output_dir")

METRICS: dict[str, tuple[str, str]] = {
    "invention_disclosures": ("Invention disclosures", "発明開示件数"),
    "patent_applications": ("Patent applications", "特許出願件数"),
    "patents_issued": ("Patents issued / granted", "特許取得件数"),
    "licences": ("Licences (and options) executed", "ライセンス（オプション）契約件数"),
    "licence_income": ("Licence income", "ライセンス収入"),
    "startups": ("Start-ups formed", "設立スタートアップ数"),
    "research_expenditure": ("Research expenditure", "研究費"),
}
DEFAULT_METRICS = ["invention_disclosures", "patent_applications", "patents_issued", "licences",
                   "licence_income", "startups"]
MONEY = {"licence_income", "research_expenditure"}


@dataclass(frozen=True)
class Series:
    """One survey population: which processed data it comes from and the indicator(s) behind each metric.

    A metric maps to indicators in order of preference; an indicator may carry a status flag (``D`` = definition
    differs from the metric's usual meaning) with a reason.
    """

    key: str
    country: str
    data: str
    label_en: str
    label_ja: str
    population_en: str
    population_ja: str
    metrics: dict[str, tuple[tuple[str, str, str, str], ...]]  # metric -> ((indicator, flag, reason en, ja), ...)
    denominator: str
    denominator_en: str
    denominator_ja: str
    color: str  # bar colour, #rrggbb


SERIES_FILE = "figures/tech_transfer_series.toml"  # package data, relative to src/analysis/ (analysis.inputs.package)
FLAGS = ("D",)  # D = definition differs from the metric's usual meaning
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# TOML keys of a [[series]] table and of an indicator inline table: key -> (type, required)
_SERIES_KEYS = {k: (str, True) for k in ("key", "country", "data", "label_en", "label_ja", "population_en",
                                         "population_ja", "denominator", "denominator_en", "denominator_ja", "color")}
_SERIES_KEYS["metrics"] = (dict, True)
_INDICATOR_KEYS = {k: (str, True) for k in ("indicator", "flag", "reason_en", "reason_ja")}
_TYPE_NAMES = {str: "text", dict: "a table"}


def _check_types(path: Path, entry: object, keys: dict, row: int, what: str, prefix: str = "") -> None:
    """Raise DataFileError for a non-table entry, an unknown key, a missing required key or a value of wrong type."""
    if not isinstance(entry, dict):
        raise DataFileError(path, f"{what} is not a table", column=prefix.rstrip(".") or None, row=row)
    for key in entry:
        if key not in keys:
            raise DataFileError(path, f"{what}: unknown field {key!r}", column=prefix + key, row=row,
                                hint=f"known fields: {', '.join(keys)}")
    for key, (typ, required) in keys.items():
        if key not in entry:
            if required:
                raise DataFileError(path, f"{what} lacks required field {key!r}", column=prefix + key, row=row)
        elif not isinstance(entry[key], typ) or (typ is str and not entry[key]):
            raise DataFileError(path, f"{what}: {key} = {entry[key]!r} is not {_TYPE_NAMES[typ]}"
                                + (" (non-empty)" if typ is str else ""), column=prefix + key, row=row)


def _metric_spec(path: Path, metric: str, items: object, row: int, what: str) -> tuple[tuple[str, str, str, str], ...]:
    """The indicators of one metric: each a name, or {indicator, flag, reason_en, reason_ja} for a flagged one."""
    column = f"metrics.{metric}"
    if metric not in METRICS:
        raise DataFileError(path, f"{what}: unknown metric {metric!r}", column=column, row=row,
                            hint=f"expected one of {', '.join(METRICS)}")
    if not isinstance(items, list) or not items:
        raise DataFileError(path, f"{what}: {metric} must list at least one indicator", column=column, row=row)
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append((item, "", "", ""))
            continue
        _check_types(path, item, _INDICATOR_KEYS, row, f"{what}, {metric}", column + ".")
        if item["flag"] not in FLAGS:
            raise DataFileError(path, f"{what}, {metric}: unknown flag {item['flag']!r}", column=column + ".flag",
                                row=row, hint=f"expected one of {', '.join(FLAGS)}")
        out.append((item["indicator"], item["flag"], item["reason_en"], item["reason_ja"]))
    names = [i for i, *_ in out]
    if len(set(names)) < len(names):
        raise DataFileError(path, f"{what}: {metric} lists an indicator twice", column=column, row=row)
    return tuple(out)


def load_series(path: str | Path | None = None) -> dict[str, Series]:
    """Read and validate the series file (default: the package's ``figures/tech_transfer_series.toml``).

    The default file is opened through :func:`analysis.inputs.package`, so a notebook must declare it. Returns
    {key: Series} in file order. A malformed entry raises :class:`DataFileError` naming the file, the field
    (column) and the series number (row, from 1): a missing or unknown field, a value of the wrong type, an
    unknown country / data / metric / flag, a colour that is not ``#rrggbb``, a duplicate key.
    """
    path = Path(path) if path is not None else inputs.package(SERIES_FILE)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(path, "series file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"not valid TOML: {exc}") from exc
    entries = doc.get("series")
    if set(doc) != {"series"} or not isinstance(entries, list) or not entries:
        raise DataFileError(path, "expected only [[series]] tables", column="series")
    out: dict[str, Series] = {}
    rows: dict[str, int] = {}
    for row, entry in enumerate(entries, 1):
        _check_types(path, entry, _SERIES_KEYS, row, f"series #{row}")
        key = entry["key"]
        what = f"series {key!r}"
        if key in rows:
            raise DataFileError(path, f"duplicate series key {key!r} (first at series #{rows[key]})", column="key",
                                row=row)
        for field, choices in (("country", tuple(CURRENCY)), ("data", DATA_NAMES)):
            if entry[field] not in choices:
                raise DataFileError(path, f"{what}: unknown {field} {entry[field]!r}", column=field, row=row,
                                    hint=f"expected one of {', '.join(choices)}")
        if not _COLOR_RE.match(entry["color"]):
            raise DataFileError(path, f"{what}: color {entry['color']!r} is not #rrggbb", column="color", row=row)
        if not entry["metrics"]:
            raise DataFileError(path, f"{what}: no metrics", column="metrics", row=row)
        metrics = {m: _metric_spec(path, m, items, row, what) for m, items in entry["metrics"].items()}
        rows[key] = row
        out[key] = Series(**{**entry, "metrics": metrics})
    return out


def all_series() -> dict[str, Series]:
    """The figure's series from the package data file (parsed once per process; do not modify the dict).

    The read is declared on every call, not only the first: one kernel may run several notebooks.
    """
    return _parsed_series(inputs.package(SERIES_FILE))


@functools.cache
def _parsed_series(path: Path) -> dict[str, Series]:
    return load_series(path)


def __getattr__(name: str) -> object:
    # SERIES, DEFAULT_SERIES and SERIES_COLORS are read on first use, not at import: importing opens no file
    if name == "SERIES":
        return all_series()
    if name == "DEFAULT_SERIES":
        return list(all_series())
    if name == "SERIES_COLORS":
        return {k: s.color for k, s in all_series().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Normalisation bases: a count per this much research spending, in each country's own currency.
PER = {"USD": (1e8, "per USD 100 m", "1億ドルあたり"), "JPY": (1e10, "per ¥10 bn", "100億円あたり")}


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
    if not isinstance(p["output_dir"], str):
        raise ParameterError("output_dir", p["output_dir"], "expected a folder path as text ('' = default)")
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


def table(frames: dict[str, pd.DataFrame], metrics: list[str] | str = "all", series: list[str] | str = "all",
          years: dict[str, int | None] | str = "latest", normalise: bool = False, lang: str = "ja") -> pd.DataFrame:
    """The figure's data: one row per (metric, series), a gap row (NaN value) where the data have nothing.

    With ``years='latest'`` each series takes its latest year for each metric (with a same-year denominator
    when ``normalise``); with an explicit year a metric missing in that year is a gap.
    """
    metrics = _check_list("metrics", metrics, list(METRICS))
    series = _check_list("series", series, list(all_series()))
    labels.check_lang(lang)
    yrs = check_years(years, series)
    frames = _needed(frames)
    rows = []
    for m in metrics:
        for key in series:
            s = all_series()[key]
            base = {"metric": m, "metric_label": METRICS[m][0 if lang == "en" else 1], "series": key,
                    "series_label": s.label_en if lang == "en" else s.label_ja, "country": s.country}
            c = _candidates(frames, key, m)
            den = _denominators(frames, key)
            why = ""
            if not c.empty and normalise:
                c = c[c["year"].isin(set(den["year"].dropna()))]
                if c.empty:
                    why = "no same-year research spending"
            if c.empty:
                why = why or ("not in the data" if s.metrics.get(m) else "no series for this metric in the collected data")
            else:
                want = yrs[key]
                if want is not None:
                    c = c[c["year"] == want]
                    if c.empty:
                        why = f"no value for {want}"
            if c.empty:
                rows.append({**base, "year": pd.NA, "year_type": "", "value": math.nan, "unit": "",
                             "indicator": "", "source": "", "source_id": "", "reliability": "", "flags": "",
                             "flag_reason": "", "alternatives": "", "denominator": math.nan,
                             "denominator_year": pd.NA, "normalised": math.nan, "normalised_unit": "",
                             "gap": why})
                continue
            c = c.sort_values(["year", "rank"], ascending=[False, True], kind="mergesort")
            r = c.iloc[0]
            flags = "".join(sorted(set(str(r["flags"]) + str(r["extra_flag"]))))
            row = {**base, "year": int(r["year"]), "year_type": r["year_type"], "value": float(r["value"]),
                   "unit": r["unit"], "indicator": r["indicator"], "source": r["source"],
                   "source_id": r["source_id"], "reliability": r["reliability"], "flags": flags,
                   "flag_reason": r["flag_reason_en" if lang == "en" else "flag_reason_ja"], "alternatives": r["alternatives"], "denominator": math.nan,
                   "denominator_year": pd.NA, "normalised": math.nan, "normalised_unit": "", "gap": ""}
            if normalise:
                d = den[den["year"] == r["year"]].iloc[0]
                cur = str(d["unit"])
                row["denominator"], row["denominator_year"] = float(d["value"]), int(d["year"])
                if m in MONEY:
                    row["normalised"] = row["value"] / row["denominator"] * 100.0
                    row["normalised_unit"] = "% of research spending"
                else:
                    row["normalised"] = row["value"] / row["denominator"] * PER[cur][0]
                    row["normalised_unit"] = f"count {PER[cur][1]} of research spending"
            rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("year", "denominator_year"):
        out[col] = out[col].astype("Int64")
    return out


def _fmt_value(v: float, unit: str, lang: str) -> str:
    if unit == "USD":
        return f"${v / 1e9:,.3g}bn" if lang == "en" else f"{v / 1e8:,.4g}億ドル"
    if unit == "JPY":
        return f"¥{v / 1e9:,.3g}bn" if lang == "en" else f"{v / 1e8:,.4g}億円"
    return f"{v:,.0f}"


def _fy(year: int, year_type: str) -> str:
    return f"FY{year}" if year_type in ("fiscal_us", "fiscal_jp") else str(year)


# Currency of each country's money values and the unit a money axis is drawn in (scale, en label, ja label).
CURRENCY = {"USA": "USD", "JPN": "JPY"}
MONEY_AXIS = {"USD": ((1e9, "USD bn"), (1e8, "億ドル")), "JPY": ((1e9, "JPY bn"), (1e8, "億円"))}
COUNTRY_NAME = {"USA": ("US", "米国"), "JPN": ("Japan", "日本")}


def _groups(sub: pd.DataFrame, series: list[str]) -> list[tuple[str, list[str]]]:
    """Series grouped by country, in the order the series are listed (one group per currency)."""
    out: dict[str, list[str]] = {}
    for key in series:
        out.setdefault(str(sub.loc[key, "country"]), []).append(key)
    return list(out.items())


def _bars(ax: plt.Axes, sub: pd.DataFrame, keys: list[str], m: str, ycol: str, scale: float, normalise: bool,
          lang: str) -> None:
    """One bar per series in ``keys`` with its value and year above it; a gap is labelled inside the axes."""
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    x = np.arange(len(keys))
    vals = [sub.loc[k, ycol] / scale for k in keys if pd.notna(sub.loc[k, ycol])]
    top = max(vals) if vals else 1.0
    ax.set_ylim(0, (top or 1.0) * 1.35)
    ax.set_xlim(-0.5, len(keys) - 0.5)  # every slot, also an empty last one, lies inside the frame
    ymax = ax.get_ylim()[1]
    for xi, key in zip(x, keys):
        r = sub.loc[key]
        if pd.isna(r[ycol]):
            ax.text(xi, ymax * 0.03, t("no\ndata", "データ\nなし"), ha="center", va="bottom", fontsize=9.5,
                    color="#777777")
            continue
        ax.bar(xi, r[ycol] / scale, color=all_series()[key].color, width=0.7,
               hatch="//" if "D" in r["flags"] else None, edgecolor="white")
        if normalise:
            lab = f"{r[ycol]:.2f}%" if m in MONEY else (f"{r[ycol]:,.1f}" if r[ycol] >= 10 else f"{r[ycol]:.2f}")
        else:
            lab = _fmt_value(r["value"], r["unit"], lang)
        lab += f"\n{_fy(int(r['year']), r['year_type'])}" + (" D" if "D" in r["flags"] else "")
        ax.text(xi, r[ycol] / scale + ymax * 0.02, lab, ha="center", va="bottom", fontsize=9.5)
    ax.set_xticks(x, [""] * len(keys))
    ax.tick_params(axis="y", labelsize=10)
    ax.grid(axis="x", visible=False)


def split_money(tab: pd.DataFrame, normalise: bool = False) -> bool:
    """True when a money metric in levels is drawn as one sub-panel per country (currency)."""
    return (not normalise and bool(tab["metric"].isin(MONEY).any())
            and tab.loc[tab["metric"].isin(MONEY), "country"].nunique() > 1)


def figure(tab: pd.DataFrame, normalise: bool = False, lang: str = "ja") -> plt.Figure:
    """Small multiples: one panel per metric, one bar per series; gaps are labelled, never drawn as zero.

    Money in levels is never put on one scale across currencies: each country gets its own sub-panel and axis
    (US in USD, Japan in JPY), so bar heights are only compared within a currency.
    """
    labels.check_lang(lang)
    t = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    plotting.set_style()
    metrics = list(dict.fromkeys(tab["metric"]))
    series = list(dict.fromkeys(tab["series"]))
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig = plt.figure(figsize=(5.6 * ncols + 1, 4.6 * nrows + 1.2))
    gs = fig.add_gridspec(nrows, ncols)
    li = 0 if lang == "en" else 1
    for i, m in enumerate(metrics):
        spec = gs[i // ncols, i % ncols]
        sub = tab[tab["metric"] == m].set_index("series").loc[series]
        ycol = "normalised" if normalise else "value"
        money_raw = (m in MONEY) and not normalise
        groups = _groups(sub, series) if money_raw else [("", series)]
        if len(groups) == 1:
            ax = fig.add_subplot(spec)
            country = groups[0][0]
            scale, unit = MONEY_AXIS[CURRENCY[country]][li] if money_raw else (1.0, "")
            _bars(ax, sub, groups[0][1], m, ycol, scale, normalise, lang)
            if money_raw:
                name = COUNTRY_NAME[country][li]
                ax.set_ylabel(f"{name}: {unit}", fontsize=10, color=plotting.color(country))
            elif normalise:
                ax.set_ylabel(t("% of research spending", "研究費に対する％") if m in MONEY else
                              t("per USD 100 m (US) / ¥10 bn (JP)", "米国1億ドル／日本100億円あたり"), fontsize=10)
            else:
                ax.set_ylabel(t("count", "件数"), fontsize=10)
            ax.set_title(METRICS[m][li], fontsize=13, loc="left", fontweight="normal")
            continue
        # money in levels with more than one currency: one sub-panel per country, separate axes and a gap
        inner = spec.subgridspec(1, len(groups), wspace=0.6, width_ratios=[len(k) for _, k in groups])
        for j, (country, keys) in enumerate(groups):
            ax = fig.add_subplot(inner[0, j])
            scale, unit = MONEY_AXIS[CURRENCY[country]][li]
            _bars(ax, sub, keys, m, ycol, scale, normalise, lang)
            name = COUNTRY_NAME[country][li]
            ax.set_ylabel(f"{name}: {unit}", fontsize=10, color=plotting.color(country))
            ax.text(0.5, 0.97, f"{name} ({unit})" if lang == "en" else f"{name}（{unit}）", transform=ax.transAxes,
                    ha="center", va="top", fontsize=10.5, color=plotting.color(country))
            if j == 0:
                ax.set_title(METRICS[m][li] + t(" (by currency)", "（通貨別）"), fontsize=13, loc="left",
                             fontweight="normal")
    reg = all_series()
    handles = [plt.Rectangle((0, 0), 1, 1, color=reg[k].color) for k in series]
    fig.legend(handles, [reg[k].label_en if lang == "en" else reg[k].label_ja for k in series],
               loc="upper center", ncol=len(series), fontsize=11, bbox_to_anchor=(0.5, 0.955))
    title = t("US vs Japan university technology transfer", "日米大学等の産学官技術移転に関するパフォーマンス")
    if normalise:
        title += t(" (per research spending)", "（研究費あたり）")
    fig.suptitle(title, fontsize=17, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def note(tab: pd.DataFrame, normalise: bool = False, lang: str = "ja") -> str:
    """Sources with years per series, gaps, flags and the normalisation basis, computed from ``tab``."""
    en = lang == "en"
    lines = []
    for key in dict.fromkeys(tab["series"]):
        s = all_series()[key]
        sub = tab[(tab["series"] == key) & tab["value"].notna()]
        yrs = ", ".join(f"{r.metric_label} {_fy(int(r.year), r.year_type)}" for r in sub.itertuples())
        gaps = ", ".join(r.metric_label for r in tab[(tab["series"] == key) & tab["value"].isna()].itertuples())
        pop = s.population_en if en else s.population_ja
        line = f"{s.label_en if en else s.label_ja} — {pop}: {yrs or ('none' if en else 'なし')}"
        if gaps:
            line += (f"; no data: {gaps}" if en else f"；データなし: {gaps}")
        lines.append(line)
    if split_money(tab, normalise):
        lines.append("Money in levels: the US (USD) and Japan (JPY) are drawn in separate sub-panels with their own "
                     "axes; the raw data hold no exchange rate, so nothing is converted and bar heights are not "
                     "comparable between the two countries." if en else
                     "金額（水準）は米国（ドル）と日本（円）を別々の小パネル・別々の軸に描く。為替レートは元データにない"
                     "ため換算せず、両国の棒の高さは比較できない。")
    flagged = tab[tab["flags"].str.contains("D", na=False)]
    for r in flagged.itertuples():
        lines.append(f"D (definition differs) = {r.flag_reason}" if en else f"D = 定義が異なる（{r.flag_reason}）")
    if normalise:
        reg = all_series()
        dens = "; ".join(f"{reg[k].label_en if en else reg[k].label_ja}: "
                         f"{reg[k].denominator_en if en else reg[k].denominator_ja}"
                         for k in dict.fromkeys(tab["series"]))
        lines.append(("Normalised by research spending of the same year — " + dens + ". Counts per USD 100 m (US) "
                      "or per ¥10 bn (Japan), each in its own currency: the raw data hold no exchange rate, so "
                      "nothing is converted and the two bases are not equal amounts. The surveys' respondents are a subset of the "
                      "institutions HERD and the Japanese total cover, so those ratios understate.") if en else
                     ("同一年度の研究費で基準化 — " + dens + "。件数は米国1億ドル・日本100億円あたりで、各国通貨のまま"
                      "（為替レートは元データにないため換算しない。両基準は同額ではない）。HERD と日本の研究費は調査回答機関より"
                      "広い範囲を含むため、その比率は過小になる。"))
    lines.append("FY: US institutions' fiscal years (named by the year they end); Japan 年度 (April–March, named by "
                 "the year it starts). Sources: AUTM (via press releases and NSF NCSES SEI), UNITT, MEXT; "
                 "see data/raw/japan/SOURCE.md and data/raw/ncses_autm/SOURCE.md." if en else
                 "年度: 米国は各機関の会計年度（終了年で表記）、日本は4月–3月の年度。出典: AUTM（プレスリリース、"
                 "NSF NCSES 科学工学指標経由）、UNITT、文部科学省。data/raw/japan/SOURCE.md 参照。")
    return "\n".join(lines)


def make(frames: dict[str, pd.DataFrame], metrics: list[str] | str = DEFAULT_METRICS,
         series: list[str] | str = "all", years: dict[str, int | None] | str = "latest",
         normalise: bool = False, lang: str = "ja", output_dir: str | Path = "") -> dict[str, Any]:
    """Validate, build the table, draw, save png/svg/csv; return {'data', 'figure', 'note', 'paths'}."""
    validate_params({"metrics": metrics, "series": series, "years": years, "normalise": normalise, "lang": lang,
                     "output_dir": str(output_dir)}, frames)
    tab = table(frames, metrics, series, years, normalise, lang)
    fig = figure(tab, normalise, lang)
    text = note(tab, normalise, lang)
    plotting.add_note(fig, text, width_em=95)
    stem = STEM + ("_normalised" if normalise else "")
    out = plotting.save(fig, tab, resolve_output_dir(output_dir, "figures", STEM), stem)
    return {"data": tab, "figure": fig, "note": text, "paths": out}


__all__ = ["make", "table", "figure", "note", "split_money", "validate_params", "available_years", "relative", "SERIES",
           "METRICS", "load_series", "all_series"]
