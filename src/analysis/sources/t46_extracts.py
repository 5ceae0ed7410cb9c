"""NISTEP 表3-4-4 and 表2-1-18 and the 私大連 university finance series, extracted by t46/gov-sci-tech-watcher.

``data/raw/t46_extracts_phd_shidairen/`` (see its SOURCE.md) holds ``t46_extracts.csv`` (tidy reshaping of the
repository's JSON: ``series, entity, year, value, unit, source_id, reliability, note``) and
``private_sector_series.json`` (the repository's 私大連 file, byte-for-byte). Families and codes are declared in
``t46_extracts_series.toml``. Checked on reading:

- columns, a declared family and unit, a declared country code (``phd_degrees_awarded|JP`` -> ``JPN``) and its
  Japanese name, whole years, values within the family's bounds, one value per key;
- 表2-1-18: the published share equals doctorate holders / new hires × 100 to its two decimals (±0.0051);
- 私大連: every CSV value equals the same year and key in ``private_sector_series.json``.

Tidy rows: doctorates (persons) by country — JPN in 年度 (``fiscal_jp``), the others as NISTEP labels them
(``calendar``; NISTEP's notes give each country's year definition); new-hire researchers by industry
(``sector``, ``fiscal_jp``); 私大連 amounts in yen (百万円 × 1e6, the original in ``note``), ``fiscal_jp``,
表7 rows of FY2015 flagged ``B`` (the change from 帰属収入 to 事業活動収入).
"""

from __future__ import annotations

import functools
import json
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric
from .folders import source_folder

SOURCE = "t46_extracts_phd_shidairen"
CSV_FILE = "t46_extracts.csv"
JSON_FILE = "private_sector_series.json"
COLUMNS = ["series", "entity", "year", "value", "unit", "source_id", "reliability", "note"]
SERIES_FILE = Path(__file__).with_name("t46_extracts_series.toml")
SHARE_TOLERANCE = 0.0051  # the share is printed to 0.01 %
SHIDAIREN_PREFIX = {"jp_private_univ_shidairen_univdiv_": "table7", "jp_private_univ_shidairen_members_": "table5"}


@functools.lru_cache(maxsize=2)
def declarations(path: Path = SERIES_FILE) -> dict:
    """Families, country codes and 私大連 settings (``t46_extracts_series.toml``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the series declarations: {exc}") from exc


def _json_values(path: Path) -> dict[tuple[str, str, int], float]:
    """(table, key, year) -> value in 百万円 from the 私大連 JSON."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(path, "file not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"not valid JSON: {exc}") from exc
    out: dict[tuple[str, str, int], float] = {}
    cols = declarations()["shidairen"]["table7_columns"]
    try:
        for table in ("table5", "table7"):
            if doc[table]["unit"] != "百万円":
                raise DataFileError(path, f"{table}: unit {doc[table]['unit']!r}, expected '百万円'", column=table)
            for year, vals in doc[table]["years"].items():
                items = vals.items() if table == "table5" else zip(cols, vals, strict=True)
                for key, v in items:
                    out[(table, key, int(year))] = float(v)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(path, f"unexpected layout: {exc!r}",
                            hint="expected table5/table7 with 'unit' and 'years'") from exc
    return out


def _family(path: Path, line: int, series: str) -> tuple[str, str, dict]:
    """(family, breakdown, declaration) of a raw series name; 私大連 series map to a synthetic declaration."""
    decl = declarations()
    fam, _, part = series.partition("|")
    if fam in decl["families"]:
        if not part:
            raise DataFileError(path, f"series {series!r} lacks its '|' breakdown", column="series", row=line)
        return fam, part, decl["families"][fam]
    for prefix, table in SHIDAIREN_PREFIX.items():
        if fam.startswith(prefix) and not part:
            return fam, table, {"unit": "百万円", "to_unit": "JPY", "factor": 1_000_000, "min": None,
                                "entity_type": "university_group", "year_type_jp": "fiscal_jp"}
    raise DataFileError(path, f"unknown series {series!r}", column="series", row=line,
                        hint=f"declared families: {', '.join(decl['families'])}, {', '.join(SHIDAIREN_PREFIX)}*")


def read_files(csv_path: str | Path, json_path: str | Path) -> pd.DataFrame:
    """Read and check the extracts CSV against the 私大連 JSON; return tidy rows."""
    csv_path, json_path = Path(csv_path), Path(json_path)
    df = read_csv_strings(csv_path, COLUMNS)
    decl = declarations()
    countries, sd = decl["countries"], decl["shidairen"]
    json_vals = _json_values(json_path)
    years = to_numeric(df["year"], csv_path, "year", allow_missing=False)
    values = to_numeric(df["value"], csv_path, "value", allow_missing=False)
    rows = []
    for pos in range(len(df)):
        r, line = df.iloc[pos], pos + 2
        fam, part, d = _family(csv_path, line, r["series"].strip())
        year, value, unit = years.iloc[pos], values.iloc[pos], r["unit"].strip()
        if year != int(year):
            raise DataFileError(csv_path, f"year {year} is not a whole year", column="year", row=line)
        year = int(year)
        if unit != d["unit"]:
            raise DataFileError(csv_path, f"unit {unit!r} for {fam}; expected {d['unit']!r}", column="unit", row=line)
        lo, hi = d.get("min"), d.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise DataFileError(csv_path, f"value {value:g} outside {lo}..{hi} for {fam}", column="value", row=line)
        entity, flags, year_type, note = r["entity"].strip(), "", d["year_type_jp"], r["note"].strip()
        if d.get("breakdown") == "country":
            if part not in countries:
                raise DataFileError(csv_path, f"unknown country code {part!r}", column="series", row=line,
                                    hint=f"declared: {', '.join(countries)}")
            if entity != countries[part]["ja"]:
                raise DataFileError(csv_path, f"entity {entity!r} is not country {part} ({countries[part]['ja']})",
                                    column="entity", row=line)
            entity = countries[part]["iso3"]
            year_type = d["year_type_jp"] if part == "JP" else d["year_type_other"]
        elif d.get("breakdown") == "industry":
            if entity != countries["JP"]["ja"]:
                raise DataFileError(csv_path, f"entity {entity!r}: 表2-1-18 covers Japan only ('日本')",
                                    column="entity", row=line)
            entity = part  # the industry
        else:  # 私大連
            table = part
            key = fam[len(next(p for p, t in SHIDAIREN_PREFIX.items() if t == table)):]
            if (table, key, year) not in json_vals:
                raise DataFileError(csv_path, f"{fam} {year} is not in {json_path.name} ({table}.{key})",
                                    column="series", row=line)
            if json_vals[(table, key, year)] != value:
                raise DataFileError(csv_path, f"{fam} {year} = {value:g} but {json_path.name} {table}.{key} = "
                                    f"{json_vals[(table, key, year)]:g}", column="value", row=line)
            entity = sd["table7_entity"] if table == "table7" else sd["table5_entity"]
            if table == "table7" and year == sd["table7_break_year"]:
                flags = "B"
            note = f"{r['value'].strip()} 百万円; {note}"
        rows.append({"entity": entity, "entity_type": d["entity_type"], "year": year, "year_type": year_type,
                     "indicator": fam, "unit": d["to_unit"], "value": float(value) * d["factor"], "flags": flags,
                     "source": SOURCE, "source_id": r["source_id"].strip(), "reliability": r["reliability"].strip(),
                     "note": note})
    out = pd.DataFrame(rows)
    check_unique(out, ["indicator", "entity", "year"], csv_path)
    _check_shares(out, csv_path)
    return out


def _check_shares(out: pd.DataFrame, path: Path) -> None:
    """表2-1-18: share = doctorate holders / new hires × 100 to the printed two decimals."""
    sub = out[out["indicator"].str.startswith("jp_new_hire_researchers_")]
    wide = sub.pivot_table(index=["entity", "year"], columns="indicator", values="value", aggfunc="first")
    need = ["jp_new_hire_researchers_hires", "jp_new_hire_researchers_phd", "jp_new_hire_researchers_share"]
    if wide.empty:
        return
    for (entity, year), r in wide.reindex(columns=need).iterrows():
        if r.isna().any():
            raise DataFileError(path, f"表2-1-18 {entity} {year}: hires, doctorate holders and share must all be "
                                "given", column="series")
        share = r[need[1]] / r[need[0]] * 100 if r[need[0]] else 0.0
        if r[need[1]] > r[need[0]] or abs(share - r[need[2]]) > SHARE_TOLERANCE:
            raise DataFileError(path, f"表2-1-18 {entity} {year}: share {r[need[2]]:g} % but {r[need[1]]:g} of "
                                f"{r[need[0]]:g} new hires is {share:.3f} %", column="value")


def read_folder(folder: str | Path) -> pd.DataFrame:
    """Read the extracts in ``folder`` (the source folder or one vintage folder)."""
    folder = Path(folder)
    return tidy(read_files(folder / CSV_FILE, folder / JSON_FILE))


def load(raw_dir: Path) -> pd.DataFrame:
    """Read ``raw_dir/t46_extracts_phd_shidairen`` (flat or dated-vintage layout)."""
    return read_folder(source_folder(raw_dir, SOURCE))
