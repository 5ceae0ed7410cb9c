"""Figure 6's metrics and survey series: the series file ``figures/tech_transfer_series.toml`` read and validated.

A *series* is one survey population (AUTM all respondents, AUTM universities via NCSES, UNITT, MEXT): the processed
data it comes from, the indicator(s) behind each metric, the research-spending denominator and its bar colour.
The figure itself is :mod:`analysis.figures.tech_transfer_us_jp`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .. import inputs
from ..datafiles import FieldSpec, check_choice, check_fields, read_toml
from ..errors import DataFileError

DATA_NAMES = ("japan", "ncses_autm")

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
# Currency of each country's money values
CURRENCY = {"USA": "USD", "JPN": "JPY"}


def fiscal_label(year: int, year_type: str) -> str:
    """``FY2019`` for a fiscal year (US institutions' or Japan's 年度), else the calendar year."""
    return f"FY{year}" if year_type in ("fiscal_us", "fiscal_jp") else str(year)


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

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja


SERIES_FILE = "figures/tech_transfer_series.toml"  # package data, relative to src/analysis/ (analysis.inputs.package)
FLAGS = ("D",)  # D = definition differs from the metric's usual meaning
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# TOML fields of a [[series]] table and of an indicator inline table
_SERIES_KEYS: FieldSpec = {k: (str, True) for k in (
    "key", "country", "data", "label_en", "label_ja", "population_en", "population_ja", "denominator",
    "denominator_en", "denominator_ja", "color")}
_SERIES_KEYS["metrics"] = (dict, True)
_INDICATOR_KEYS: FieldSpec = {k: (str, True) for k in ("indicator", "flag", "reason_en", "reason_ja")}


def _metric_spec(path: Path, metric: str, items: object, row: int, what: str) -> tuple[tuple[str, str, str, str], ...]:
    """The indicators of one metric: each a name, or {indicator, flag, reason_en, reason_ja} for a flagged one."""
    column = f"metrics.{metric}"
    check_choice(path, metric, METRICS, what, column, row, name="metric")
    if not isinstance(items, list) or not items:
        raise DataFileError(path, f"{what}: {metric} must list at least one indicator", column=column, row=row)
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append((item, "", "", ""))
            continue
        check_fields(path, item, _INDICATOR_KEYS, row, f"{what}, {metric}", column + ".", nonempty_text=True)
        check_choice(path, item["flag"], FLAGS, f"{what}, {metric}", column + ".flag", row)
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
    doc = read_toml(path, "series file")
    entries = doc.get("series")
    if set(doc) != {"series"} or not isinstance(entries, list) or not entries:
        raise DataFileError(path, "expected only [[series]] tables", column="series")
    out: dict[str, Series] = {}
    rows: dict[str, int] = {}
    for row, entry in enumerate(entries, 1):
        check_fields(path, entry, _SERIES_KEYS, row, f"series #{row}", nonempty_text=True)
        key = entry["key"]
        what = f"series {key!r}"
        if key in rows:
            raise DataFileError(path, f"duplicate series key {key!r} (first at series #{rows[key]})", column="key",
                                row=row)
        check_choice(path, entry["country"], tuple(CURRENCY), what, "country", row)
        check_choice(path, entry["data"], DATA_NAMES, what, "data", row)
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
