"""NSF/NCSES Science & Engineering Indicators 2024, S&E articles by country (tables SPBS-2 and SPBS-17) -> tidy.

The files (``data/raw/ncses_sei/<table>/data.csv``, columns ``table_id,row_id,time_period,value``) lost their
column headers in conversion. ``time_period`` holds the country path (``World -> Asia -> Japan``) and every
entity has a fixed block of consecutive rows in the column order of the original table:

- 9970 (SPBS-2, fractional count): 21 rows: the World Bank income group, then 2003 ... 2022;
- 9985 (SPBS-17, whole count): 20 rows: 2003 ... 2022.

The block length is checked for every entity, so a file with a missing or extra row fails loudly instead of
shifting years. The last element of the path, with ``<sup>..</sup>`` footnote marks and HTML entities removed,
is the published name. Economies are keyed by ISO3 (``ISO3``); the three without an ISO3 code of their own
(Gaza Strip, West Bank, Unassigned) keep their name. World, regions and country groups are ``aggregate``.
The income group is carried in ``note`` of the fractional-count rows.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import read_csv_strings, tidy, to_numeric

SOURCE = "ncses_sei"
# table folder -> (indicator, unit, source_id, rows per entity, index of the first year row, first year)
TABLES: dict[str, tuple[str, str, str, int, int, int]] = {
    "9970": ("se_articles_fractional", "S&E articles, fractional count",
             "SEI 2024 table SPBS-2", 21, 1, 2003),
    "9985": ("se_articles_whole", "S&E articles, whole count",
             "SEI 2024 table SPBS-17", 20, 0, 2003),
}
COLUMNS = ["table_id", "row_id", "time_period", "value"]
INCOME_GROUPS = {"High", "Upper-middle", "Lower-middle", "Low", "Not classified", "na"}

# Groups in the SEI tables: the World, its regions and the European sub-groups.
AGGREGATES = {
    "World", "North America", "Central America and Caribbean", "South America", "Europe", "Middle East", "Africa",
    "Asia", "Australia and Oceania", "EU-27 and United Kingdom", "EU-27", "Other Europe", "Other Europe, 2020",
    "Unassigned",
}
# Published economy name -> ISO 3166-1 alpha-3 (XKX: the World Bank's code for Kosovo; SCG: the withdrawn
# code of Serbia and Montenegro, which SEI keeps as a separate row for early years).
ISO3: dict[str, str] = {
    "Canada": "CAN", "Greenland": "GRL", "Mexico": "MEX", "United States": "USA", "Puerto Rico": "PRI",
    "Antigua and Barbuda": "ATG", "Bahamas, The": "BHS", "Barbados": "BRB", "Belize": "BLZ", "Costa Rica": "CRI",
    "Cuba": "CUB", "Dominica": "DMA", "Dominican Republic": "DOM", "El Salvador": "SLV", "Grenada": "GRD",
    "Guatemala": "GTM", "Haiti": "HTI", "Honduras": "HND", "Jamaica": "JAM", "Nicaragua": "NIC", "Panama": "PAN",
    "Saint Kitts and Nevis": "KNA", "Saint Lucia": "LCA", "Saint Vincent and the Grenadines": "VCT",
    "Trinidad and Tobago": "TTO", "Argentina": "ARG", "Bolivia": "BOL", "Brazil": "BRA", "Chile": "CHL",
    "Colombia": "COL", "Ecuador": "ECU", "Guyana": "GUY", "Paraguay": "PRY", "Peru": "PER", "Suriname": "SUR",
    "Uruguay": "URY", "Venezuela": "VEN", "United Kingdom": "GBR", "Austria": "AUT", "Belgium": "BEL",
    "Bulgaria": "BGR", "Croatia": "HRV", "Cyprus": "CYP", "Czechia": "CZE", "Denmark": "DNK", "Estonia": "EST",
    "Finland": "FIN", "France": "FRA", "Germany": "DEU", "Greece": "GRC", "Hungary": "HUN", "Ireland": "IRL",
    "Italy": "ITA", "Latvia": "LVA", "Lithuania": "LTU", "Luxembourg": "LUX", "Malta": "MLT", "Netherlands": "NLD",
    "Poland": "POL", "Portugal": "PRT", "Romania": "ROU", "Slovakia": "SVK", "Slovenia": "SVN", "Spain": "ESP",
    "Sweden": "SWE", "Albania": "ALB", "Andorra": "AND", "Belarus": "BLR", "Bosnia and Herzegovina": "BIH",
    "Holy See (Vatican City)": "VAT", "Iceland": "ISL", "Kosovo": "XKX", "Liechtenstein": "LIE", "Moldova": "MDA",
    "Monaco": "MCO", "Montenegro": "MNE", "North Macedonia": "MKD", "Norway": "NOR", "Russia": "RUS",
    "San Marino": "SMR", "Serbia": "SRB", "Serbia and Montenegro": "SCG", "Switzerland": "CHE", "Turkey": "TUR",
    "Ukraine": "UKR", "Armenia": "ARM", "Azerbaijan": "AZE", "Bahrain": "BHR", "Georgia": "GEO", "Iran": "IRN",
    "Iraq": "IRQ", "Israel": "ISR", "Jordan": "JOR", "Kuwait": "KWT", "Lebanon": "LBN", "Oman": "OMN",
    "Qatar": "QAT", "Saudi Arabia": "SAU", "Syria": "SYR", "United Arab Emirates": "ARE", "Yemen": "YEM",
    "Algeria": "DZA", "Angola": "AGO", "Benin": "BEN", "Botswana": "BWA", "Burkina Faso": "BFA", "Burundi": "BDI",
    "Cabo Verde": "CPV", "Cameroon": "CMR", "Central African Republic": "CAF", "Chad": "TCD", "Comoros": "COM",
    "Congo, Democratic Republic of the": "COD", "Congo, Republic of the": "COG", "Côte d’Ivoire": "CIV",
    "Djibouti": "DJI", "Egypt": "EGY", "Equatorial Guinea": "GNQ", "Eritrea": "ERI", "Eswatini": "SWZ",
    "Ethiopia": "ETH", "Gabon": "GAB", "Gambia, The": "GMB", "Ghana": "GHA", "Guinea": "GIN",
    "Guinea-Bissau": "GNB", "Kenya": "KEN", "Lesotho": "LSO", "Liberia": "LBR", "Libya": "LBY",
    "Madagascar": "MDG", "Malawi": "MWI", "Mali": "MLI", "Mauritania": "MRT", "Mauritius": "MUS",
    "Morocco": "MAR", "Mozambique": "MOZ", "Namibia": "NAM", "Niger": "NER", "Nigeria": "NGA", "Rwanda": "RWA",
    "São Tomé and Príncipe": "STP", "Senegal": "SEN", "Seychelles": "SYC", "Sierra Leone": "SLE",
    "Somalia": "SOM", "South Africa": "ZAF", "South Sudan": "SSD", "Sudan": "SDN", "Tanzania": "TZA",
    "Togo": "TGO", "Tunisia": "TUN", "Uganda": "UGA", "Zambia": "ZMB", "Zimbabwe": "ZWE", "Afghanistan": "AFG",
    "Bangladesh": "BGD", "Bhutan": "BTN", "Brunei": "BRN", "Burma": "MMR", "Cambodia": "KHM", "China": "CHN",
    "India": "IND", "Indonesia": "IDN", "Japan": "JPN", "Kazakhstan": "KAZ", "Kyrgyzstan": "KGZ", "Laos": "LAO",
    "Malaysia": "MYS", "Maldives": "MDV", "Mongolia": "MNG", "Nepal": "NPL", "North Korea": "PRK",
    "Pakistan": "PAK", "Papua New Guinea": "PNG", "Philippines": "PHL", "Singapore": "SGP", "South Korea": "KOR",
    "Sri Lanka": "LKA", "Taiwan": "TWN", "Tajikistan": "TJK", "Thailand": "THA", "Timor-Leste": "TLS",
    "Turkmenistan": "TKM", "Uzbekistan": "UZB", "Vietnam": "VNM", "Australia": "AUS", "Cook Islands": "COK",
    "Fiji": "FJI", "Kiribati": "KIR", "Marshall Islands": "MHL", "Micronesia, Federated States of": "FSM",
    "Nauru": "NRU", "New Zealand": "NZL", "Niue": "NIU", "Palau": "PLW", "Samoa": "WSM",
    "Solomon Islands": "SLB", "Tonga": "TON", "Tuvalu": "TUV", "Vanuatu": "VUT",
}
NO_ISO3 = {"Gaza Strip", "West Bank"}  # published separately; ISO's PSE covers both


def clean_name(path_text: str) -> str:
    """'World -> Europe -> ... -> Montenegro<sup>c</sup>' -> 'Montenegro' (entities and footnotes removed)."""
    last = path_text.split(" -> ")[-1]
    return re.sub(r"<sup>.*?</sup>", "", html.unescape(last)).strip()


def read_table(path: Path) -> pd.DataFrame:
    """Read one transformer output file as strings with structure checks."""
    return read_csv_strings(path, COLUMNS)


def decode(df: pd.DataFrame, path: Path, table: str) -> pd.DataFrame:
    """Decode the row-block layout of one table into tidy rows (see the module docstring)."""
    indicator, unit, source_id, block, first, first_year = TABLES[table]
    wrong = df["table_id"] != table
    if wrong.any():
        pos = int(np.flatnonzero(wrong.to_numpy())[0])
        raise DataFileError(path, f"table_id {df['table_id'].iloc[pos]!r} in the folder of table {table}",
                            column="table_id", row=pos + 2)
    # Blocks must be contiguous: a path that reappears later would silently merge two blocks.
    starts = df["time_period"] != df["time_period"].shift()
    if starts.sum() != df["time_period"].nunique():
        seen: set[str] = set()
        for pos, (s, p) in enumerate(zip(starts, df["time_period"])):
            if s and p in seen:
                raise DataFileError(path, f"rows of {p!r} are not consecutive", column="time_period", row=pos + 2)
            seen.add(p)
    k = df.groupby("time_period", sort=False).cumcount()
    sizes = df.groupby("time_period", sort=False).size()
    bad = sizes[sizes != block]
    if len(bad):
        p = bad.index[0]
        pos = int(np.flatnonzero((df["time_period"] == p).to_numpy())[0])
        raise DataFileError(path, f"{p!r} has {bad.iloc[0]} rows, expected {block} "
                            f"({'income group + ' if first else ''}{block - first} years)",
                            column="time_period", row=pos + 2,
                            hint="the layout is positional; a missing row would shift every later year")
    names = df["time_period"].map(clean_name)
    unknown = ~(names.isin(AGGREGATES) | names.isin(ISO3) | names.isin(NO_ISO3))
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataFileError(path, f"unknown economy {names.iloc[pos]!r}", column="time_period", row=pos + 2,
                            hint="add it to analysis.sources.ncses_sei.ISO3 (or AGGREGATES)")
    income = pd.Series("", index=df.index, dtype="string")
    if first:
        inc_rows = k == 0
        bad = inc_rows & ~df["value"].isin(INCOME_GROUPS)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(path, f"expected a World Bank income group in the first row of the block, found "
                                f"{df['value'].iloc[pos]!r}", column="value", row=pos + 2,
                                hint=f"one of {sorted(INCOME_GROUPS)}")
        grp = df.loc[inc_rows, ["time_period", "value"]].set_index("time_period")["value"]
        income = df["time_period"].map(grp).astype("string")
    years = k >= first
    value = to_numeric(df["value"].where(years, ""), path, "value")
    neg = value < 0
    if neg.any():
        pos = int(np.flatnonzero(neg.to_numpy())[0])
        raise DataFileError(path, f"negative article count {df['value'].iloc[pos]!r}", column="value", row=pos + 2)
    keep = years & value.notna()
    entity = names.map(ISO3).fillna(names)
    note = np.where(income.isin(["", "na"]), "", "World Bank income group FY2023: " + income.fillna(""))
    return pd.DataFrame({
        "entity": entity[keep],
        "entity_type": np.where(names[keep].isin(AGGREGATES), "aggregate", "country"),
        "year": (first_year + k - first)[keep],
        "year_type": "calendar",
        "indicator": indicator,
        "unit": unit,
        "value": value[keep],
        "flags": "",
        "source": SOURCE,
        "source_id": source_id,
        "reliability": "official",
        "note": pd.Series(note, index=df.index)[keep],
    })


def load(raw_dir: Path) -> pd.DataFrame:
    """Read, decode and tidy both SEI tables in ``raw_dir/ncses_sei``."""
    frames = []
    for table in TABLES:
        path = vintages.folder(raw_dir, SOURCE) / table / "data.csv"
        frames.append(decode(read_table(path), path, table))
    return tidy(pd.concat(frames, ignore_index=True))
