"""Values stated in the text of NISTEP 科学技術指標 editions and related pages -> tidy data.

``data/raw/nistep_text_phd_bizres_2/text_values.csv`` (see its SOURCE.md): ``series, entity, year, value, unit,
source_id, reliability, note``; an empty ``year`` means the text does not state it (``year_type`` ``unknown``).
Families, units, country codes and each page's edition are declared in ``nistep_text_series.toml``. Checked on
reading: columns, a declared family and source_id, a unit declared for the family, a declared country code,
whole years, no negative value unless the family is a printed change, one value per key.

Units are converted explicitly (万人 × 1e4 -> persons, 億円 × 1e8 -> JPY; per-million values stay as printed);
the value as printed and the edition begin each row's ``note`` (``edition 2018; 118 per million population; ...``).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric
from . import t46_extracts
from .folders import source_folder

SOURCE = "nistep_text_phd_bizres_2"
FILE = "text_values.csv"
COLUMNS = ["series", "entity", "year", "value", "unit", "source_id", "reliability", "note"]
SERIES_FILE = Path(__file__).with_name("nistep_text_series.toml")


@functools.lru_cache(maxsize=2)
def declarations(path: Path = SERIES_FILE) -> dict:
    """Families and editions (``nistep_text_series.toml``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the series declarations: {exc}") from exc


def edition(source_id: str) -> int | None:
    """The 科学技術指標 edition a page reports (None: not an edition, or an unknown source_id)."""
    ed = declarations()["editions"].get(source_id)
    return ed or None


def read_file(path: str | Path) -> pd.DataFrame:
    """Read and check ``text_values.csv``; return tidy rows."""
    path = Path(path)
    df = read_csv_strings(path, COLUMNS)
    decl = declarations()
    families, editions = decl["families"], decl["editions"]
    countries = t46_extracts.declarations()["countries"]
    years = to_numeric(df["year"], path, "year")
    values = to_numeric(df["value"], path, "value", allow_missing=False)
    rows = []
    for pos in range(len(df)):
        r, line = df.iloc[pos], pos + 2
        series = r["series"].strip()
        fam, _, code = series.partition("|")
        if fam not in families:
            raise DataFileError(path, f"unknown series {series!r}", column="series", row=line,
                                hint=f"declared: {', '.join(families)} (nistep_text_series.toml)")
        d = families[fam]
        sid = r["source_id"].strip()
        if sid not in editions:
            raise DataFileError(path, f"unknown source_id {sid!r}", column="source_id", row=line,
                                hint="declare its edition in nistep_text_series.toml [editions]")
        unit = r["unit"].strip()
        if unit not in d["units"]:
            raise DataFileError(path, f"unit {unit!r} for {fam}", column="unit", row=line,
                                hint=f"allowed: {', '.join(d['units'])}")
        base_unit, factor = d["units"][unit]
        value = values.iloc[pos]
        if value < 0 and not d["signed"]:
            raise DataFileError(path, f"negative value {value:g} for {fam}", column="value", row=line)
        entity, is_jp = r["entity"].strip(), True
        if d.get("country_suffix"):
            if code not in countries:
                raise DataFileError(path, f"unknown country code {code!r}", column="series", row=line,
                                    hint=f"declared: {', '.join(countries)}")
            entity, is_jp = countries[code]["iso3"], code == "JP"
        elif code:
            raise DataFileError(path, f"series {series!r}: {fam} takes no '|' breakdown", column="series", row=line)
        year = years.iloc[pos]
        if pd.isna(year):
            year_type, year = "unknown", pd.NA
        elif year != int(year):
            raise DataFileError(path, f"year {year} is not a whole year", column="year", row=line)
        else:
            year, year_type = int(year), d["year_type_jp"] if is_jp else d.get("year_type_other", d["year_type_jp"])
        ed = editions[sid]
        printed = f"{r['value'].strip()} {unit}"
        rows.append({"entity": entity, "entity_type": d["entity_type"], "year": year, "year_type": year_type,
                     "indicator": fam, "unit": base_unit, "value": float(value) * factor, "flags": "",
                     "source": SOURCE, "source_id": sid, "reliability": r["reliability"].strip(),
                     "note": (f"edition {ed}; " if ed else "") + f"{printed}; {r['note'].strip()}"})
    out = pd.DataFrame(rows)
    check_unique(out.assign(year=out["year"].astype("string").fillna("")),
                 ["indicator", "entity", "year", "source_id"], path)
    return out


def read_folder(folder: str | Path) -> pd.DataFrame:
    """Read ``text_values.csv`` in ``folder`` (the source folder or one vintage folder)."""
    return tidy(read_file(Path(folder) / FILE))


def load(raw_dir: Path) -> pd.DataFrame:
    """Read ``raw_dir/nistep_text_phd_bizres_2`` (flat or dated-vintage layout)."""
    return read_folder(source_folder(raw_dir, SOURCE))
