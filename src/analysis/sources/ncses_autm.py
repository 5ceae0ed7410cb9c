"""NSF NCSES tables built from the AUTM Licensing Survey, and HERD by source of funds -> tidy data.

Folders of ``data/raw/ncses_autm`` (see its SOURCE.md; copied from a GitHub conversion of NCSES tables):

- ``1895`` SEI 2020 table 8-2 (2007, 2012, 2017), ``5811`` SEI 2022 INV-2 (2009, 2014, 2019) and ``10510``
  SEI 2024 INV-3 (2011, 2016, 2021): AUTM member universities; one row per activity, wide ``field_<year>``
  columns; counts. Heading rows with no values are skipped.
- ``10078`` HERD table 1 (FYs 2010-22): long format, millions of current US dollars -> converted to USD.

Entity ``USA`` (country); ``year_type`` ``fiscal_us`` (AUTM institutions report for a 12-month period ending
in the named year; HERD years are institutions' fiscal years). Indicator names match the tidy extracts in
``data/raw/japan/autm_addendum.csv`` so the two sources can be cross-checked. 10510 row r001 is kept under
``autm_univ_row_r001_label_uncertain`` (its label "All licenses, total active" does not fit its values).
Reliability: ``official`` for the NCSES HERD survey, ``official-derivative`` for NCSES tables of AUTM data.
An activity label not in the mapping tables is an error (so a changed table cannot be misread silently).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import read_csv_strings, require_columns, tidy, to_numeric

SOURCE = "ncses_autm"

# folder -> (source_id, label column, {label (full path): indicator}, note)
WIDE_TABLES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "1895": ("NCSES_SEI_8-2_AUTM", "technology_transfer_activity_full_path", {
        "Invention disclosures and patenting -> Inventions disclosed": "autm_univ_invention_disclosures",
        "Invention disclosures and patenting -> Patent applications": "autm_univ_patent_applications",
        "Invention disclosures and patenting -> Patents issued": "autm_univ_us_patents_issued",
        "Licensing -> All licenses, total active in the year": "autm_univ_licenses_total_active",
        "Licensing -> All licenses, total active in the year -> Licenses issued": "autm_univ_licenses_issued",
        "Startup companies -> Startup companies formed": "autm_univ_startups_formed",
        "Startup companies -> Operational startups": "autm_univ_operational_startups",
    }, "SEI 2020 table 8-2, AUTM member universities"),
    "5811": ("NCSES_SEI_INV-2_AUTM", "company_characteristic_full_path", {
        "New licenses or options executed": "autm_univ_new_licenses_options_executed",
        "New licenses or options executed -> Startups": "autm_univ_new_licenses_options_to_startups",
        "New licenses or options executed -> Small companies": "autm_univ_new_licenses_options_to_small_cos",
        "New licenses or options executed -> Large companies": "autm_univ_new_licenses_options_to_large_cos",
        "All licenses, total active": "autm_univ_licenses_total_active",
    }, "SEI 2022 table INV-2, AUTM member universities"),
    "10510": ("NCSES_SEI_INV-3_AUTM", "company_characteristic_full_path", {
        "All licenses, total active": "autm_univ_row_r001_label_uncertain",
        "All licenses, total active -> New licenses or options executed": "autm_univ_new_licenses_options_executed",
        "All licenses, total active -> Startups": "autm_univ_new_licenses_options_to_startups",
        "All licenses, total active -> Small companies": "autm_univ_new_licenses_options_to_small_cos",
        "All licenses, total active -> Large companies": "autm_univ_new_licenses_options_to_large_cos",
    }, "SEI 2024 table INV-3, AUTM member universities; r002-r005 relabelled (see SOURCE.md caution)"),
}

HERD_FOLDER = "10078"
HERD_SOURCE_ID = "NCSES_HERD_T1"
# (column_level_1, column_level_2) -> indicator
HERD_ROWS: dict[tuple[str, str], str] = {
    ("All R&D expenditures", ""): "us_herd_total",
    ("Source of funds", "Federal government"): "us_herd_federal_funded",
    ("Source of funds", "State and local government"): "us_herd_state_local_funded",
    ("Source of funds", "Institution funds"): "us_herd_institution_funded",
    ("Source of funds", "Business"): "us_herd_business_funded",
    ("Source of funds", "Nonprofit organizations"): "us_herd_nonprofit_funded",
    ("Source of funds", "All other sources"): "us_herd_other_funded",
}


def _read(path: Path) -> pd.DataFrame:
    df = read_csv_strings(path, [])
    if len(df.columns) == 1:
        raise DataFileError(path, "wrong delimiter: one column only; the tables are comma-separated")
    return df


def _row(indicator: str, year: int, value_text: str, mult: str, unit: str, source_id: str, rel: str,
         note: str) -> dict:
    return {"entity": "USA", "entity_type": "country", "year": year, "year_type": "fiscal_us",
            "indicator": indicator, "unit": unit, "value": float(Decimal(value_text) * Decimal(mult)),
            "flags": "", "source": SOURCE, "source_id": source_id, "reliability": rel, "note": note}


def read_wide(path: Path, folder: str) -> pd.DataFrame:
    """One AUTM-based SEI table (``field_<year>`` columns) as tidy rows (counts)."""
    source_id, label_col, mapping, note = WIDE_TABLES[folder]
    df = _read(path)
    require_columns(df, ["row_id", label_col], path)
    year_cols = [c for c in df.columns if re.fullmatch(r"field_\d{4}", c)]
    if not year_cols:
        raise DataFileError(path, "no field_<year> columns", hint="expected e.g. field_2007, field_2012")
    rows = []
    for col in year_cols:
        values = to_numeric(df[col], path, col)  # row-numbered error for a non-numeric cell
        for pos in np.flatnonzero(values.notna().to_numpy()):
            label = df[label_col].iloc[pos].strip()
            if label not in mapping:
                raise DataFileError(path, f"unknown activity {label!r}", column=label_col, row=int(pos) + 2,
                                    hint="add it to analysis.sources.ncses_autm.WIDE_TABLES")
            text = df[col].iloc[pos].strip()
            rows.append(_row(mapping[label], int(col[6:]), text, "1", "count", source_id, "official-derivative",
                             f"{text}; {note}; row {df['row_id'].iloc[pos]}"))
    return pd.DataFrame(rows)


def read_herd(path: Path) -> pd.DataFrame:
    """HERD table 1 (long format, USD millions) as tidy rows in USD."""
    df = _read(path)
    require_columns(df, ["row_id", "time_period", "column_level_1", "column_level_2", "value"], path)
    to_numeric(df["value"], path, "value", allow_missing=False)
    years = to_numeric(df["time_period"], path, "time_period", allow_missing=False)
    rows = []
    for pos in range(len(df)):
        key = (df["column_level_1"].iloc[pos].strip(), df["column_level_2"].iloc[pos].strip())
        if key not in HERD_ROWS:
            raise DataFileError(path, f"unknown funding source {key!r}", column="column_level_2", row=pos + 2,
                                hint="add it to analysis.sources.ncses_autm.HERD_ROWS")
        text = df["value"].iloc[pos].strip()
        rows.append(_row(HERD_ROWS[key], int(years.iloc[pos]), text, "1e6", "USD", HERD_SOURCE_ID, "official",
                         f"{text} USD m (current); NCSES HERD table 1; row {df['row_id'].iloc[pos]}"))
    out = pd.DataFrame(rows)
    dup = out.duplicated(["indicator", "year"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataFileError(path, f"duplicate {out['indicator'].iloc[pos]} for {out['year'].iloc[pos]}",
                            column="time_period", row=pos + 2)
    return out


def load(raw_dir: Path) -> pd.DataFrame:
    """Read the four NCSES tables in ``raw_dir/ncses_autm``."""
    folder = vintages.folder(raw_dir, SOURCE)
    frames = [read_wide(folder / name / "data.csv", name) for name in WIDE_TABLES]
    frames.append(read_herd(folder / HERD_FOLDER / "data.csv"))
    return tidy(pd.concat(frames, ignore_index=True))
