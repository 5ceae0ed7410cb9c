"""Cincera (1997) firm panel ``PatentsRD.csv`` -> tidy data and a wide firm-year panel.

181 R&D-intensive firms, 1983-1991: EPO patent applications (``patent``), log R&D expenditure (``rdexp``) and
log technological spillovers (``spil``, the R&D of other firms weighted by technological proximity), plus the
firm's main technological sector (codes 1-15) and region (codes 1-4). Code orders follow the Ecdat / pglm help
pages (see ``data/raw/cincera1997/SOURCE.md``).

Tidy output: entity = firm id as a string ("1".."181"), entity_type ``firm``, year_type ``calendar``,
indicators ``patent``, ``rdexp``, ``spil``, ``sector`` and ``geo`` (the last two as codes, label in ``note``).
``panels()`` gives ``cincera1997_panel``: one row per firm-year with labelled sector and region.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric

SOURCE = "cincera1997"
FILE = "PatentsRD.csv"
SOURCE_ID = "PatentsRD"
COLUMNS = ["year", "fi", "sector", "geo", "patent", "rdexp", "spil"]
INT_COLUMNS = ["year", "fi", "sector", "geo", "patent"]

# code -> (short name as in Ecdat, English, Japanese)
SECTORS: dict[int, tuple[str, str, str]] = {
    1: ("aero", "Aerospace", "航空宇宙"),
    2: ("chem", "Chemistry", "化学"),
    3: ("comput", "Computers", "コンピュータ"),
    4: ("drugs", "Drugs", "医薬品"),
    5: ("elec", "Electrical", "電気機器"),
    6: ("food", "Food", "食品"),
    7: ("fuel", "Fuel and mining", "燃料・鉱業"),
    8: ("glass", "Glass", "ガラス"),
    9: ("instr", "Instruments", "精密機器"),
    10: ("machin", "Machinery", "機械"),
    11: ("metals", "Metals", "金属"),
    12: ("other", "Other", "その他"),
    13: ("paper", "Paper", "紙・パルプ"),
    14: ("soft", "Software", "ソフトウェア"),
    15: ("motor", "Motor vehicles", "自動車"),
}
REGIONS: dict[int, tuple[str, str, str]] = {
    1: ("eu", "European Union", "EU"),
    2: ("japan", "Japan", "日本"),
    3: ("usa", "United States", "米国"),
    4: ("rotw", "Rest of the world", "その他地域"),
}
INDICATORS: dict[str, str] = {
    "patent": "EPO patent applications (count)",
    "rdexp": "log of R&D expenditure",
    "spil": "log of technological spillovers (proximity-weighted R&D of other firms)",
    "sector": "code (1-15)",
    "geo": "code (1-4)",
}
PANEL_NAME = f"{SOURCE}_panel"


def read_raw(path: Path) -> pd.DataFrame:
    """Read and validate ``PatentsRD.csv``: columns, integer codes, ranges, unique firm-year key."""
    df = read_csv_strings(path, COLUMNS, hint=f"expected the Cincera (1997) panel as {FILE}")
    out = pd.DataFrame(index=df.index)
    for col in COLUMNS:
        vals = to_numeric(df[col], path, col, allow_missing=False)
        if col in INT_COLUMNS:
            frac = vals.to_numpy() != np.round(vals.to_numpy())
            if frac.any():
                pos = int(np.flatnonzero(frac)[0])
                raise DataFileError(path, f"not an integer: {df[col].iloc[pos]!r}", column=col, row=pos + 2)
            vals = vals.astype("int64")
        out[col] = vals
    _check_range(out, "sector", set(SECTORS), path)
    _check_range(out, "geo", set(REGIONS), path)
    neg = out["patent"].to_numpy() < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise DataFileError(path, f"negative patent count {out['patent'].iloc[pos]}", column="patent", row=pos + 2)
    check_unique(out, ["fi", "year"], path)
    # sector and region are firm attributes: a firm with two codes means a corrupted file
    for col in ("sector", "geo"):
        n = out.groupby("fi")[col].nunique()
        if (n > 1).any():
            firm = int(n[n > 1].index[0])
            pos = int(np.flatnonzero((out["fi"] == firm).to_numpy())[0])
            raise DataFileError(path, f"firm {firm} has more than one {col} code", column=col, row=pos + 2)
    return out


def _check_range(df: pd.DataFrame, col: str, valid: set[int], path: Path) -> None:
    bad = ~df[col].isin(valid)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"code {df[col].iloc[pos]} outside {min(valid)}-{max(valid)}", column=col,
                            row=pos + 2, hint="see SOURCE.md for the code lists")


def load(raw_dir: Path) -> pd.DataFrame:
    """Tidy frame of the Cincera panel (5 indicators x 1,629 firm-years)."""
    path = vintages.folder(raw_dir, SOURCE) / FILE
    df = read_raw(path)
    long = df.melt(id_vars=["fi", "year"], value_vars=list(INDICATORS), var_name="indicator", value_name="value")
    labels = {"sector": {k: v[1] for k, v in SECTORS.items()}, "geo": {k: v[1] for k, v in REGIONS.items()}}
    note = pd.Series("", index=long.index, dtype="string")
    for ind, mapping in labels.items():
        m = long["indicator"] == ind
        note[m] = long.loc[m, "value"].astype(int).map(mapping).astype("string")
    out = pd.DataFrame({
        "entity": long["fi"].astype(str),
        "entity_type": "firm",
        "year": long["year"],
        "year_type": "calendar",
        "indicator": long["indicator"],
        "unit": long["indicator"].map(INDICATORS),
        "value": long["value"].astype("float64"),
        "flags": "",
        "source": SOURCE,
        "source_id": SOURCE_ID,
        "reliability": "published replication data",
        "note": note,
    })
    return tidy(out)


def panels(tidy_df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Wide firm-year panel ``cincera1997_panel`` with labelled sector and region."""
    return {PANEL_NAME: to_panel(tidy_df)}


def to_panel(tidy_df: pd.DataFrame) -> pd.DataFrame:
    """One row per firm-year: firm, year, patent, rdexp, spil, sector/region codes and names (en, ja)."""
    sub = tidy_df[tidy_df["source"] == SOURCE]
    wide = sub.pivot(index=["entity", "year"], columns="indicator", values="value").reset_index()
    panel = pd.DataFrame({
        "firm": wide["entity"].astype("int64"),
        "year": wide["year"].astype("int64"),
        "patent": wide["patent"].astype("int64"),
        "rdexp": wide["rdexp"].astype("float64"),
        "spil": wide["spil"].astype("float64"),
        "sector_code": wide["sector"].astype("int64"),
        "geo_code": wide["geo"].astype("int64"),
    })
    panel["sector"] = panel["sector_code"].map({k: v[0] for k, v in SECTORS.items()}).astype("string")
    panel["sector_en"] = panel["sector_code"].map({k: v[1] for k, v in SECTORS.items()}).astype("string")
    panel["sector_ja"] = panel["sector_code"].map({k: v[2] for k, v in SECTORS.items()}).astype("string")
    panel["region"] = panel["geo_code"].map({k: v[0] for k, v in REGIONS.items()}).astype("string")
    panel["region_en"] = panel["geo_code"].map({k: v[1] for k, v in REGIONS.items()}).astype("string")
    panel["region_ja"] = panel["geo_code"].map({k: v[2] for k, v in REGIONS.items()}).astype("string")
    return panel.sort_values(["firm", "year"], kind="mergesort").reset_index(drop=True)
