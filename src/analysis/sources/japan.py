"""Japanese (and deck-comparison) series collected in ``data/raw/japan/*.csv`` -> tidy data.

Every CSV in the folder has the columns ``series, year, value, unit, source_id, reliability, note``
(see ``data/raw/japan/SOURCE.md``). A series name may carry a breakdown category after a bar,
``name|X``: the tidy ``indicator`` is ``name`` and ``entity`` is ``X`` (a university, a group of
universities, a country code, a funding flow); without a bar the entity is the series' natural one.

The rules are tables in this module, decided from SOURCE.md once per series family, not guessed per row:

- ``SERIES_RULES``: series-name pattern -> year type, natural entity and entity type, and how to read
  the ``|X`` category. Entities: ``JPN`` for Japanese national totals (MEXT, NISTEP, METI, UNITT,
  JPO), ``USA`` for AUTM / NCSES / HERD national totals, the university's own name for one university
  (``Harvard University``; Japanese universities by their Japanese name as in the NIAD file,
  e.g. ``東京大学``), ``国立大学法人`` for all national university corporations together, the
  organisation's name for Fraunhofer, Berkeley SkyDeck and Quantonation. Country codes in categories
  (``JP``, ``us``, ``gb``, ``eu27`` ...) become ISO3 / OECD codes (``JPN``, ``USA``, ``GBR``,
  ``EU27_2020``). Total categories (``合計``, ``総額``) map to the natural entity.
- Year types: ``fiscal_jp`` (年度, April-March) for MEXT, NIAD, UNITT, JPO, METI and NISTEP tables
  of Japanese fiscal-year surveys (5-4-5, 1-3-17, 1-1-5, 1-1-6, the 5-4 joint-research text);
  ``calendar`` for NISTEP international researcher counts (2-1-3, 2-2-4 text) and for Fraunhofer,
  SkyDeck and Quantonation; ``fiscal_us`` for AUTM, NCSES/HERD and Harvard (institutions' fiscal years,
  Harvard's ending June 30, named by the year they end); ``unknown`` with ``<NA>`` year where the
  source states no year.
- ``UNITS``: every unit string -> (multiplier, base unit). Values are converted exactly (decimal
  arithmetic) to base units ``JPY``, ``USD``, ``EUR``, ``count``, ``persons``, ``%``, ``ratio``;
  the value and unit as written in the file are kept at the start of ``note`` (e.g. ``847 億円``).
  An unknown unit is an error naming the file, column ``unit`` and row.
- ``FLAG_RULES``: status flags stated by the sources: ``P`` (provisional) for METI's 2025 速報 survey,
  ``B`` (break) for 特許権実施等件数 in FY2012, when MEXT changed how it counts.
- ``RELIABILITY``: the collector's grades, in the order ``best`` uses to choose between sources.
- ``japan_series.toml`` (package data, read with :func:`series_specs`): every series' kind (count, amount,
  share, persons, ...), the units of that kind, its value bounds (no negative count or amount) and its
  plausible years (from the publisher's survey start to the current year + 1). A row outside these is an
  error naming file, row, column and the allowed values; an unknown series is an error too.

``read_file`` loads one file in this format (also used for user-supplied files that fill gaps);
``load`` loads the folder; ``best`` picks one value per entity and year when several sources give one.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .. import inputs, vintages
from ..errors import DataFileError, ParameterError
from ..schema import latest_year, read_csv_strings, tidy, to_numeric

SOURCE = "japan"
COLUMNS = ["series", "year", "value", "unit", "source_id", "reliability", "note"]
REQUIRED = ["series", "year", "value", "unit", "source_id", "reliability"]
# The loader's own declarations (relative to src/analysis/), part of this module like UNITS: read directly, not
# through analysis.inputs, because the build and every user-file check need them whatever a notebook declares.
SERIES_FILE = "sources/japan_series.toml"

# Reliability grades (SOURCE.md "Conventions"), best first. ``best`` prefers earlier grades: the issuing
# body's own text, then verbatim copies of it, then other official bodies' tables built from the survey,
# NISTEP's text, values a third-party script extracted from official Excel files, news quoting releases,
# then unverified and low-reliability pages.
RELIABILITY: tuple[str, ...] = (
    "primary", "official-copy", "official-derivative", "official-text", "third-party-derived",
    "secondary-news", "unverified-secondary", "low-reliability",
)

# unit as written -> (multiplier to base unit, base unit)
UNITS: dict[str, tuple[str, str]] = {
    "円": ("1", "JPY"), "千円": ("1e3", "JPY"), "万円": ("1e4", "JPY"), "百万円": ("1e6", "JPY"),
    "億円": ("1e8", "JPY"), "JPY tn": ("1e12", "JPY"),
    "USD": ("1", "USD"), "USD k": ("1e3", "USD"), "USD m": ("1e6", "USD"), "USD m (current)": ("1e6", "USD"),
    "USD bn": ("1e9", "USD"),
    "EUR": ("1", "EUR"), "EUR m": ("1e6", "EUR"), "EUR bn": ("1e9", "EUR"),
    "件": ("1", "count"), "万件": ("1e4", "count"), "社": ("1", "count"), "count": ("1", "count"),
    "institutions": ("1", "count"),
    "人": ("1", "persons"), "万人": ("1e4", "persons"), "persons": ("1", "persons"),
    "%": ("1", "%"),
    "ratio": ("1", "ratio"), "ratio (FY2023/FY2004)": ("1", "ratio"),
}

# How to read the ``|X`` category of a series family.
#   None              -> no category allowed
#   "university"      -> X is a university name (entity_type university)
#   "university_group"-> X is a group (国立大学等 ...); totals (合計/総額) -> natural entity
#   "country_code"    -> X is a country code, mapped by COUNTRY_CODES
#   "sector_flow"     -> X is a funding flow "負担部門->使用部門" (entity_type sector)
# (series-name pattern, year_type, natural entity, natural entity_type, category kind); first match wins.
SERIES_RULES: list[tuple[str, str, str, str, str | None]] = [
    # MEXT 大学等における産学連携等実施状況 (年度) and derived tables (JST, JPO, 大学ファクトブック)
    (r"(joint_research|contract_research|research_funding|ip_income|large_research)_.*", "fiscal_jp", "JPN", "country", None),
    (r"patent_income|university_startups_founded_mext", "fiscal_jp", "JPN", "country", None),
    (r"patent_licensing_(count|income)", "fiscal_jp", "JPN", "country", "university_group"),
    # NISTEP 科学技術指標: fiscal-year Japanese surveys
    (r"nistep_5-4-5_.*", "fiscal_jp", "JPN", "country", None),
    (r"nistep_1-3-17_.*", "fiscal_jp", "JPN", "country", "university_group"),
    (r"nistep_1-1-5_.*", "fiscal_jp", "JPN", "country", "sector_flow"),
    (r"nistep2026_1-1-6_.*", "fiscal_jp", "JPN", "country", None),
    (r"nistep_(joint_research|indirect_cost_ratio)_.*", "fiscal_jp", "JPN", "country", None),
    # NISTEP international researcher counts (OECD-based, calendar years)
    (r"nistep_2-1-3_.*", "calendar", "", "country", "country_code"),
    (r"business_researchers_fte(_yoy)?|researchers_total_fte", "calendar", "", "country", "country_code"),
    # METI 大学発ベンチャー実態等調査 (survey fiscal year; counts at October of that year)
    (r"meti_university_startups_cumulative", "fiscal_jp", "JPN", "country", None),
    (r"meti_university_startups_by_univ", "fiscal_jp", "", "university", "university"),
    # UNITT 大学技術移転サーベイ (年度)
    (r"unitt_jp_.*", "fiscal_jp", "JPN", "country", None),
    # AUTM Licensing Activity Survey, NCSES tables from it, HERD: institutions' fiscal years
    (r"(autm_us|autm_univ|us_herd)_.*", "fiscal_us", "USA", "country", None),
    # University finance
    (r"niad_.*", "fiscal_jp", "", "university", "university"),
    (r"harvard_.*", "fiscal_us", "Harvard University", "university", None),
    (r"utokyo_.*", "fiscal_jp", "東京大学", "university", None),
    (r"kyoto_.*", "fiscal_jp", "京都大学", "university", None),
    (r"tohoku_.*", "fiscal_jp", "東北大学", "university", None),
    (r"jp_national_univ_.*", "fiscal_jp", "国立大学法人", "university_group", None),
    # Deck part E: organisations abroad (financial year = calendar year; fund sizes by announcement year)
    (r"fraunhofer_.*", "calendar", "Fraunhofer-Gesellschaft", "organisation", None),
    (r"skydeck_.*", "calendar", "Berkeley SkyDeck", "organisation", None),
    (r"quantonation_.*", "calendar", "Quantonation", "organisation", None),
]

TOTAL_CATEGORIES = {"合計", "総額"}
# category code -> (entity, entity_type, indicator suffix). jp_hc / jp_fte are measures of Japan (head count,
# full-time equivalent, from 2002), kept apart from "jp" (old definition, to 2001) by the indicator suffix.
COUNTRY_CODES: dict[str, tuple[str, str, str]] = {
    "JP": ("JPN", "country", ""), "jp": ("JPN", "country", ""),
    "jp_hc": ("JPN", "country", "_hc"), "jp_fte": ("JPN", "country", "_fte"),
    "US": ("USA", "country", ""), "us": ("USA", "country", ""),
    "CN": ("CHN", "country", ""), "cn": ("CHN", "country", ""),
    "KR": ("KOR", "country", ""), "kr": ("KOR", "country", ""),
    "DE": ("DEU", "country", ""), "de": ("DEU", "country", ""),
    "FR": ("FRA", "country", ""), "fr": ("FRA", "country", ""),
    "UK": ("GBR", "country", ""), "gb": ("GBR", "country", ""),
    "eu27": ("EU27_2020", "aggregate", ""),
}

# (series-name pattern, year, flag, reason): status information stated by the sources.
FLAG_RULES: list[tuple[str, int, str, str]] = [
    (r"meti_university_startups_(cumulative|by_univ)", 2025, "P", "METI 令和7年度調査は速報 (preliminary)"),
    (r"patent_licensing_count", 2012, "B", "MEXT changed how 特許権実施等件数 is aggregated in FY2012"),
]

# Display names of breakdown entities (Japanese as in the files -> English).
ENTITY_EN: dict[str, str] = {
    "国立大学等": "National universities etc.", "公立大学等": "Public (local) universities etc.",
    "私立大学等": "Private universities etc.", "国立大学": "National universities",
    "公立大学": "Public (local) universities", "私立大学": "Private universities",
    "国立大学法人": "National university corporations", "東京大学": "University of Tokyo",
    "京都大学": "Kyoto University", "東北大学": "Tohoku University",
}


@dataclass(frozen=True)
class SeriesSpec:
    """What one series may hold (from ``japan_series.toml``): kind, units, value bounds, plausible years."""

    name: str
    kind: str
    description: str
    base_units: tuple[str, ...]
    value_min: float | None
    value_max: float | None
    year_min: int
    year_max: int | None  # None: the current year + 1 (schema.latest_year)
    undated: bool  # an empty year is allowed (the source states none)
    publisher: str
    why: str

    @property
    def units(self) -> list[str]:
        """The units as written (keys of ``UNITS``) that this series accepts."""
        return [u for u, (_, base) in UNITS.items() if base in self.base_units]

    def years(self) -> tuple[int, int]:
        """The plausible years, inclusive."""
        return self.year_min, self.year_max if self.year_max is not None else latest_year()

    def value_range(self) -> str:
        """The allowed values in words, e.g. '>= 0' or '0..100'."""
        lo, hi = self.value_min, self.value_max
        if lo is not None and hi is not None:
            return f"{lo:g}..{hi:g}"
        if lo is not None:
            return f">= {lo:g}"
        return f"<= {hi:g}" if hi is not None else "any"


def series_specs() -> dict[str, SeriesSpec]:
    """Every declared series (name -> spec), from ``japan_series.toml`` (parsed once per process)."""
    return _parse_specs(inputs.PACKAGE_DIR / SERIES_FILE)


@functools.lru_cache(maxsize=4)
def _parse_specs(path: Path) -> dict[str, SeriesSpec]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the series declarations: {exc}") from exc
    kinds = doc.get("kinds", {})
    known_bases = {base for _, base in UNITS.values()}
    for kname, k in kinds.items():
        if not k.get("base_units") or set(k["base_units"]) - known_bases:
            raise DataFileError(path, f"kind {kname!r}: base_units must be some of {sorted(known_bases)}",
                                column="base_units")
    specs: dict[str, SeriesSpec] = {}
    for group in doc.get("groups", []):
        for name, decl in group.get("series", {}).items():
            decl = {"kind": decl} if isinstance(decl, str) else decl
            kname = decl.get("kind")
            if kname not in kinds:
                raise DataFileError(path, f"series {name!r}: unknown kind {kname!r}", column="kind",
                                    hint=f"kinds: {', '.join(kinds)}")
            if name in specs:
                raise DataFileError(path, f"series {name!r} is declared twice", column="series")
            kind = kinds[kname]
            bases = tuple(kind["base_units"])
            currency = decl.get("currency", group.get("currency"))
            if len(bases) > 1:  # money: the series' own currency only
                if currency not in bases:
                    raise DataFileError(path, f"series {name!r} ({kname}) needs a currency, one of {list(bases)}",
                                        column="currency")
                bases = (currency,)
            year_min = decl.get("year_min", group.get("year_min"))
            if not isinstance(year_min, int):
                raise DataFileError(path, f"series {name!r} has no integer year_min", column="year_min")
            specs[name] = SeriesSpec(
                name=name, kind=kname, description=kind.get("description", kname), base_units=bases,
                value_min=kind.get("min"), value_max=kind.get("max"), year_min=year_min,
                year_max=decl.get("year_max", group.get("year_max")), undated=bool(decl.get("undated", False)),
                publisher=group.get("publisher", ""), why=decl.get("why", group.get("why", "")))
    return specs


def _check_row(path: Path, pos: int, spec: SeriesSpec, unit: str, year: int | None, value: float,
               written: str) -> None:
    """The row fits its series: a unit of the series' kind, a plausible year, a value within the kind's bounds."""
    base_unit = UNITS[unit][1]
    if base_unit not in spec.base_units:
        raise _bad(path, "unit", pos, f"unit {unit!r} ({base_unit}) does not fit series {spec.name!r}, a {spec.kind} "
                   f"({spec.description})", hint=f"allowed units: {', '.join(spec.units)}")
    lo, hi = spec.years()
    if year is None and not spec.undated:
        raise _bad(path, "year", pos, f"missing year for series {spec.name!r}",
                   hint=f"allowed years: {lo}..{hi}; only series declared undated in {SERIES_FILE} may omit it")
    if year is not None and not lo <= year <= hi:
        last = f" ({hi} = the current year + 1)" if spec.year_max is None else ""
        raise _bad(path, "year", pos, f"year {year} is outside the plausible years of series {spec.name!r}",
                   hint=f"allowed years: {lo}..{hi}{last}; {spec.publisher}: {spec.why}")
    if (spec.value_min is not None and value < spec.value_min) or \
            (spec.value_max is not None and value > spec.value_max):
        what = "negative value" if spec.value_min == 0 and value < 0 else "value"
        raise _bad(path, "value", pos, f"{what} {written} {unit} is not possible for series {spec.name!r}, "
                   f"a {spec.kind}", hint=f"allowed values: {spec.value_range()} {base_unit}")


def _unknown_series(path: Path, pos: int, base: str, specs: dict[str, SeriesSpec]) -> DataFileError:
    close = difflib.get_close_matches(base, list(specs), n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(close)}? " if close else "") + \
        f"allowed values: the {len(specs)} series declared in src/analysis/{SERIES_FILE}"
    return _bad(path, "series", pos, f"unknown series {base!r}", hint=hint)


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


def _rule(base: str) -> tuple[str, str, str, str | None] | None:
    for pattern, year_type, entity, etype, kind in SERIES_RULES:
        if re.fullmatch(pattern, base):
            return year_type, entity, etype, kind
    return None


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a file as strings, with clear errors for empty, non-UTF-8 and wrongly delimited files."""
    df = read_csv_strings(path, REQUIRED, hint=f"expected a header line {','.join(COLUMNS)}")
    if "note" not in df:
        df["note"] = ""
    return df[COLUMNS].apply(lambda s: s.str.strip())


def _bad(path: Path, column: str, pos: int, problem: str, hint: str | None = None) -> DataFileError:
    return DataFileError(path, problem, column=column, row=pos + 2, hint=hint)


def read_file(path: str | Path, *, source: str = SOURCE) -> pd.DataFrame:
    """Read and validate one CSV in the ``data/raw/japan`` format; return tidy rows in base units.

    Errors (``DataFileError`` naming file, column and row): missing file or required column, empty file,
    wrong delimiter, unknown series (not in ``japan_series.toml``), bad category, non-integer year, non-numeric
    or missing value, unknown unit or reliability grade, duplicate (series, year, source_id); and, from the
    series' declaration, a unit of another kind (a money unit on a count), a value out of the kind's bounds (a
    negative count or amount), a year outside the series' plausible years or a missing one. Every row is
    either returned or an error: none is dropped.
    """
    path = Path(path)
    specs = series_specs()
    df = _read_csv(path)
    to_numeric(df["value"], path, "value", allow_missing=False)  # row-numbered error for bad values
    for col in ("series", "source_id", "unit", "reliability"):
        blank = df[col] == ""
        if blank.any():
            raise _bad(path, col, int(np.flatnonzero(blank.to_numpy())[0]), "missing value")
    years: list[int | None] = []
    for pos, y in enumerate(df["year"]):
        if y != "" and not re.fullmatch(r"\d{4}", y):
            raise _bad(path, "year", pos, f"year {y!r} is not a 4-digit year",
                       hint="leave empty only if the source states no year")
        years.append(int(y) if y else None)
    dup = df[["series", "year", "source_id"]].duplicated(keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise _bad(path, "series+year+source_id", pos,
                   f"duplicate key (series={df['series'].iloc[pos]!r}, year={df['year'].iloc[pos]!r}, "
                   f"source_id={df['source_id'].iloc[pos]!r})")
    rows = []
    cols = {c: df[c].tolist() for c in COLUMNS}
    for pos in range(len(df)):
        series, unit, rel = cols["series"][pos], cols["unit"][pos], cols["reliability"][pos]
        if unit not in UNITS:
            raise _bad(path, "unit", pos, f"unknown unit {unit!r}", hint=f"known units: {', '.join(UNITS)}")
        if rel not in RELIABILITY:
            raise _bad(path, "reliability", pos, f"unknown reliability grade {rel!r}",
                       hint=f"valid grades: {', '.join(RELIABILITY)}")
        base, _, cat = series.partition("|")
        spec = specs.get(base)
        if spec is None:
            raise _unknown_series(path, pos, base, specs)
        rule = _rule(base)
        if rule is None:
            raise _bad(path, "series", pos, f"series {base!r} matches no rule of analysis.sources.japan.SERIES_RULES",
                       hint="add a rule giving its year type and entity")
        year_type, entity, etype, kind = rule
        indicator = base
        if cat:
            if kind is None:
                raise _bad(path, "series", pos, f"series {base!r} takes no '|category' (found {cat!r})")
            if cat in TOTAL_CATEGORIES and entity:
                pass  # national total: natural entity
            elif kind == "country_code":
                if cat not in COUNTRY_CODES:
                    raise _bad(path, "series", pos, f"unknown country code {cat!r}",
                               hint=f"known codes: {', '.join(COUNTRY_CODES)}")
                entity, etype, suffix = COUNTRY_CODES[cat]
                indicator = base + suffix
            else:
                entity, etype = cat, {"university": "university", "university_group": "university_group",
                                      "sector_flow": "sector"}[kind]
        elif not entity:
            raise _bad(path, "series", pos, f"series {base!r} needs a '|category' (e.g. a university or country)")
        try:
            mult, base_unit = UNITS[unit]
            converted = float(Decimal(cols["value"][pos]) * Decimal(mult))
        except InvalidOperation as exc:  # pragma: no cover - to_numeric already rejected non-numbers
            raise _bad(path, "value", pos, f"non-numeric value {cols['value'][pos]!r}") from exc
        year = years[pos]
        _check_row(path, pos, spec, unit, year, converted, cols["value"][pos])
        flags = ""
        if year is not None:
            flags = "".join(f for pat, y, f, _ in FLAG_RULES if y == year and re.fullmatch(pat, base))
        else:
            year_type = "unknown"
        original = f"{cols['value'][pos]} {unit}"
        note = cols["note"][pos]
        rows.append({
            "entity": entity, "entity_type": etype, "year": year, "year_type": year_type,
            "indicator": indicator, "unit": base_unit, "value": converted, "flags": flags,
            "source": source, "source_id": cols["source_id"][pos], "reliability": rel,
            "note": f"{original}; {note}" if note else original,
        })
    return tidy(pd.DataFrame(rows))


def files(raw_dir: Path) -> list[Path]:
    """The CSV files of ``raw_dir/japan`` (sorted; the third_party JSON is not read: the CSVs reshape it)."""
    folder = vintages.folder(raw_dir, SOURCE)
    found = sorted(folder.glob("*.csv"))
    if not found:
        raise DataFileError(folder, "no CSV files found")
    return found


def load(raw_dir: Path) -> pd.DataFrame:
    """Read every CSV in ``raw_dir/japan``; a (series, year, source_id) given in two files is an error."""
    frames = []
    seen: dict[tuple, str] = {}
    for path in files(raw_dir):
        df = read_file(path)
        for key in zip(df["indicator"], df["entity"], df["year"].astype("string").fillna(""), df["source_id"]):
            if key in seen:
                raise DataFileError(path, f"duplicate key {key} also in {seen[key]}", column="series+year+source_id")
            seen[key] = path.name
        frames.append(df)
    return tidy(pd.concat(frames, ignore_index=True))


def _rank(reliability: pd.Series) -> pd.Series:
    order = {r: i for i, r in enumerate(RELIABILITY)}
    return reliability.map(order).fillna(len(RELIABILITY)).astype(int)


# ``best`` results by (content of the frame, indicator, entity): a figure asks for the same selection many times
# (figure 6: 88 calls, 23 distinct), and the per-year choice is the slow part. Keyed by content, not identity,
# so an edited or rebuilt frame is never answered from the cache; callers get a copy they may modify.
_BEST_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_BEST_CACHE_SIZE = 256


def _content_key(df: pd.DataFrame) -> tuple:
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
    key = (_content_key(tidy_df), indicator, entity if entity is None or isinstance(entity, str) else tuple(entity))
    hit = _BEST_CACHE.get(key)
    if hit is None:
        hit = _best(tidy_df, indicator, entity)
        _BEST_CACHE[key] = hit
        if len(_BEST_CACHE) > _BEST_CACHE_SIZE:
            _BEST_CACHE.popitem(last=False)
    else:
        _BEST_CACHE.move_to_end(key)
    return hit.copy()


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


def _retidy(res: pd.DataFrame) -> pd.DataFrame:
    """Tidy-cast and sort ``best`` output while keeping its extra columns aligned."""
    extra = res[["n_sources", "alternatives", "max_rel_diff"]].copy()
    base = res.drop(columns=list(extra.columns))
    for col in ("entity", "entity_type", "year_type", "indicator", "unit", "flags", "source", "source_id",
                "reliability", "note"):
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
