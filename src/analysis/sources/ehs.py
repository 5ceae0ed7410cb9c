"""Eberhardt, Helmers & Strauss (2013) country-industry R&D panel ``RDSpillovers.csv`` -> tidy data and a panel.

10 OECD countries x 12 manufacturing sectors (ISIC Rev.3 sub-sections; Portugal has 11), 1980-2005,
unbalanced: log output ``lny``, log labour ``lnl``, log physical capital ``lnk`` and log R&D capital ``lnrd``
(all natural logs as distributed in the R package pder 1.0-2; see ``data/raw/ehs2013_rdspillovers/SOURCE.md``).
Germany is coded ``GER`` (not ISO ``DEU``) as in the source; the code is kept so that rows trace back.

Tidy output: entity = ``"COUNTRY:sector"`` (e.g. ``"JPN:dl"``), entity_type ``country_sector``, year_type
``calendar``, indicators ``lny``, ``lnl``, ``lnk``, ``lnrd``; ``note`` keeps the source's numeric id
(``"pder id 91"``). ``panels()`` gives ``ehs2013_panel``: one row per country-sector-year with id, country,
sector, labels (en, ja) and the four logs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric

SOURCE = "ehs2013_rdspillovers"
FILE = "RDSpillovers.csv"
SOURCE_ID = "pder::RDSpillovers"
COLUMNS = ["id", "year", "country", "sector", "lny", "lnl", "lnk", "lnrd"]
LOGS = ["lny", "lnl", "lnk", "lnrd"]

# Country codes as in the source (GER = Germany) -> (English, Japanese)
COUNTRIES: dict[str, tuple[str, str]] = {
    "DNK": ("Denmark", "デンマーク"),
    "FIN": ("Finland", "フィンランド"),
    "GBR": ("United Kingdom", "英国"),
    "GER": ("Germany", "ドイツ"),
    "ITA": ("Italy", "イタリア"),
    "JPN": ("Japan", "日本"),
    "NLD": ("Netherlands", "オランダ"),
    "PRT": ("Portugal", "ポルトガル"),
    "SWE": ("Sweden", "スウェーデン"),
    "USA": ("United States", "米国"),
}
# ISIC Rev.3 manufacturing sub-sections used by EHS (2013) -> (ISIC divisions, English, Japanese)
SECTORS: dict[str, tuple[str, str, str]] = {
    "da": ("15-16", "Food, beverages and tobacco", "食品・飲料・たばこ"),
    "dbc": ("17-19", "Textiles, apparel and leather", "繊維・衣服・皮革"),
    "dd": ("20", "Wood and wood products", "木材・木製品"),
    "de": ("21-22", "Pulp, paper, printing and publishing", "パルプ・紙・印刷"),
    "dg": ("24", "Chemicals and chemical products", "化学"),
    "dh": ("25", "Rubber and plastics", "ゴム・プラスチック"),
    "di": ("26", "Other non-metallic mineral products", "窯業・土石"),
    "dj": ("27-28", "Basic and fabricated metals", "金属・金属製品"),
    "dk": ("29", "Machinery and equipment n.e.c.", "一般機械"),
    "dl": ("30-33", "Electrical and optical equipment", "電気・光学機器"),
    "dm": ("34-35", "Transport equipment", "輸送機械"),
    "dn": ("36-37", "Manufacturing n.e.c.", "その他の製造業"),
}
INDICATORS: dict[str, str] = {
    "lny": "log of output",
    "lnl": "log of labour input",
    "lnk": "log of physical capital stock",
    "lnrd": "log of R&D capital stock",
}
PANEL_NAME = "ehs2013_panel"
_ID_NOTE = re.compile(r"^pder id (\d+)$")


def read_raw(path: Path) -> pd.DataFrame:
    """Read and validate ``RDSpillovers.csv``.

    Checks: the eight columns; integer ``id`` and ``year``; finite, non-missing logs; known country and sector
    codes; a unique (id, year) key; and that each id is one country-sector (and vice versa).
    """
    df = read_csv_strings(path, COLUMNS, hint=f"expected the EHS (2013) panel as {FILE}")
    out = pd.DataFrame(index=df.index)
    for col in ("id", "year"):
        vals = to_numeric(df[col], path, col, allow_missing=False)
        frac = vals.to_numpy() != np.round(vals.to_numpy())
        if frac.any():
            pos = int(np.flatnonzero(frac)[0])
            raise DataFileError(path, f"not an integer: {df[col].iloc[pos]!r}", column=col, row=pos + 2)
        out[col] = vals.astype("int64")
    for col, valid in (("country", COUNTRIES), ("sector", SECTORS)):
        codes = df[col].str.strip()
        bad = ~codes.isin(list(valid))
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(path, f"unknown {col} code {codes.iloc[pos]!r}", column=col, row=pos + 2,
                                hint=f"known: {', '.join(valid)}")
        out[col] = codes.astype("string")
    for col in LOGS:
        out[col] = to_numeric(df[col], path, col, allow_missing=False)  # rejects blanks, text and +-inf
    check_unique(out, ["id", "year"], path)
    per_id = out.groupby("id")[["country", "sector"]].nunique()
    if (per_id > 1).any(axis=None):
        bad_id = int(per_id[(per_id > 1).any(axis=1)].index[0])
        pos = int(np.flatnonzero((out["id"] == bad_id).to_numpy())[0])
        raise DataFileError(path, f"id {bad_id} has more than one country or sector", column="id", row=pos + 2)
    per_cs = out.groupby(["country", "sector"])["id"].nunique()
    if (per_cs > 1).any():
        c, s = per_cs[per_cs > 1].index[0]
        pos = int(np.flatnonzero(((out["country"] == c) & (out["sector"] == s)).to_numpy())[0])
        raise DataFileError(path, f"country-sector {c}:{s} has more than one id", column="id", row=pos + 2)
    check_unique(out, ["country", "sector", "year"], path)
    return out


def load(raw_dir: Path) -> pd.DataFrame:
    """Tidy frame of the EHS panel (4 indicators x 2,637 country-sector-years)."""
    path = vintages.folder(raw_dir, SOURCE) / FILE
    df = read_raw(path)
    df["entity"] = df["country"] + ":" + df["sector"]
    long = df.melt(id_vars=["entity", "id", "year"], value_vars=LOGS, var_name="indicator", value_name="value")
    out = pd.DataFrame({
        "entity": long["entity"],
        "entity_type": "country_sector",
        "year": long["year"],
        "year_type": "calendar",
        "indicator": long["indicator"],
        "unit": long["indicator"].map(INDICATORS),
        "value": long["value"].astype("float64"),
        "flags": "",
        "source": SOURCE,
        "source_id": SOURCE_ID,
        "reliability": "published replication data",
        "note": "pder id " + long["id"].astype(str),
    })
    return tidy(out)


def panels(tidy_df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Wide country-sector-year panel ``ehs2013_panel``."""
    return {PANEL_NAME: to_panel(tidy_df)}


def to_panel(tidy_df: pd.DataFrame) -> pd.DataFrame:
    """One row per country-sector-year: id, entity, country, sector, labels (en, ja), year and the four logs."""
    sub = tidy_df[tidy_df["source"] == SOURCE]
    ids = sub["note"].str.extract(_ID_NOTE, expand=False)
    if ids.isna().any():
        raise DataFileError(f"<tidy {SOURCE}>", "note does not carry the pder id", column="note")
    sub = sub.assign(id=ids.astype("int64"))
    wide = sub.pivot(index=["entity", "id", "year"], columns="indicator", values="value").reset_index()
    parts = wide["entity"].str.split(":", n=1, expand=True)
    panel = pd.DataFrame({
        "id": wide["id"].astype("int64"),
        "entity": wide["entity"].astype("string"),
        "country": parts[0].astype("string"),
        "sector": parts[1].astype("string"),
        "year": wide["year"].astype("int64"),
    })
    panel["country_en"] = panel["country"].map({k: v[0] for k, v in COUNTRIES.items()}).astype("string")
    panel["country_ja"] = panel["country"].map({k: v[1] for k, v in COUNTRIES.items()}).astype("string")
    panel["sector_isic"] = panel["sector"].map({k: v[0] for k, v in SECTORS.items()}).astype("string")
    panel["sector_en"] = panel["sector"].map({k: v[1] for k, v in SECTORS.items()}).astype("string")
    panel["sector_ja"] = panel["sector"].map({k: v[2] for k, v in SECTORS.items()}).astype("string")
    for col in LOGS:
        panel[col] = wide[col].astype("float64")
    return panel.sort_values(["country", "sector", "year"], kind="mergesort").reset_index(drop=True)
