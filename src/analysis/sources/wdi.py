"""World Bank World Development Indicators bulk CSVs (``data/raw/worldbank_wdi/API_*.csv``) -> tidy data.

Each file is one indicator, wide (``Country Name, Country Code, Indicator Name, Indicator Code, 1960 ... 2025``
and a trailing empty column) after four preamble lines (``Data Source``, ``Last Updated Date``), so it is read
with ``skiprows=4``. The ``Last Updated Date`` becomes part of ``source_id`` (the vintage). Blank cells are gaps
and are left out. The 48 World Bank aggregates (regions, income and lending groups, ``WLD``, ``OED``, ``EUU``, ...)
get ``entity_type`` ``aggregate``; the 217 economies get ``country``. WDI has no Taiwan (use OECD MSTI).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import check_unique, require_columns, tidy, to_numeric

SOURCE = "worldbank_wdi"
FILE_GLOB = "API_*_DS2_en_csv_v2_*.csv"
ID_COLUMNS = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
SKIPROWS = 4  # "Data Source", blank, "Last Updated Date", blank

# Indicator code -> unit. The R&D series are UNESCO UIS data republished by the World Bank.
INDICATORS: dict[str, tuple[str, str]] = {
    "GB.XPD.RSDV.GD.ZS": ("% of GDP", "UIS data republished in WDI"),
    "SP.POP.SCIE.RD.P6": ("researchers (FTE) per million population", "UIS data republished in WDI"),
    "NY.GDP.PCAP.CD": ("current US dollars per person", ""),
}

# World Bank aggregate codes present in the bulk files (regions, income groups, lending groups, demographic
# dividend groups, World). Everything else is an economy.
AGGREGATES = frozenset(
    "AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU HIC HPC IBD IBT IDA IDB IDX INX LAC LCN LDC LIC LMC LMY "
    "LTE MEA MIC MNA NAC OED OSS PRE PSS PST SAS SSA SSF SST TEA TEC TLA TMN TSA TSS UMC WLD".split()
)


def find_files(raw_dir: Path) -> list[Path]:
    """The WDI bulk files in ``raw_dir/worldbank_wdi``, sorted by name."""
    folder = vintages.folder(raw_dir, SOURCE)
    files = sorted(folder.glob(FILE_GLOB))
    if not files:
        raise DataFileError(folder, f"no WDI bulk CSV ({FILE_GLOB}) found")
    return files


def _vintage(path: Path) -> str:
    """The 'Last Updated Date' from the preamble, e.g. '2026-07-13'."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = [next(fh, "") for _ in range(SKIPROWS)]
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 encoded ({exc.reason})") from exc
    for line in head:
        m = re.match(r'"Last Updated Date","(\d{4}-\d{2}-\d{2})"', line.strip())
        if m:
            return m.group(1)
    raise DataFileError(path, "preamble has no 'Last Updated Date' line in its first 4 lines",
                        row=3, hint="expected a World Bank bulk download (API_<code>_DS2_en_csv_v2_<n>.csv)")


def read_file(path: Path) -> tuple[pd.DataFrame, str]:
    """Read one WDI bulk file as strings; return (wide frame, vintage)."""
    vintage = _vintage(path)
    try:
        df = pd.read_csv(path, skiprows=SKIPROWS, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "no table after the preamble") from exc
    except (pd.errors.ParserError, OSError) as exc:
        raise DataFileError(path, f"malformed CSV: {exc}") from exc
    require_columns(df, ID_COLUMNS, path)
    df = df.loc[:, [c for c in df.columns if not str(c).startswith("Unnamed:")]]
    if df.empty:
        raise DataFileError(path, "no data rows")
    return df, vintage


def clean(df: pd.DataFrame, path: Path, vintage: str) -> pd.DataFrame:
    """Validate one wide WDI frame and return tidy rows."""
    offset = SKIPROWS + 2  # file line of frame position 0: preamble + header, 1-based
    year_cols = [c for c in df.columns if c not in ID_COLUMNS]
    bad_cols = [c for c in year_cols if not re.fullmatch(r"\d{4}", str(c))]
    if bad_cols:
        raise DataFileError(path, f"unexpected column {bad_cols[0]!r}: expected the four ID columns and years",
                            column=str(bad_cols[0]))
    if not year_cols:
        raise DataFileError(path, "no year columns")
    codes = df["Indicator Code"].unique()
    if len(codes) != 1:
        raise DataFileError(path, f"one indicator per file expected, found {sorted(codes)}", column="Indicator Code")
    code = codes[0]
    if code not in INDICATORS:
        raise DataFileError(path, f"unknown indicator {code!r}", column="Indicator Code",
                            hint=f"known: {', '.join(sorted(INDICATORS))}; add it to analysis.sources.wdi.INDICATORS")
    if code not in path.name:
        raise DataFileError(path, f"file name does not match its indicator {code!r}", column="Indicator Code")
    area = df["Country Code"].str.strip()
    bad = ~area.str.fullmatch(r"[A-Z0-9]{3}")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"not a 3-character country code {df['Country Code'].iloc[pos]!r}",
                            column="Country Code", row=pos + offset)
    df = df.assign(**{"Country Code": area})
    check_unique(df, ["Country Code"], path, row_offset=offset)
    unit, note = INDICATORS[code]
    frames = []
    for col in year_cols:
        value = to_numeric(df[col], path, col, row_offset=offset)
        keep = value.notna()
        frames.append(pd.DataFrame({
            "entity": df["Country Code"][keep],
            "year": int(col),
            "value": value[keep],
        }))
    long = pd.concat(frames, ignore_index=True)
    out = long.assign(
        entity_type=np.where(long["entity"].isin(AGGREGATES), "aggregate", "country"),
        year_type="calendar", indicator=code, unit=unit, flags="", source=SOURCE,
        source_id=f"WDI {vintage}", reliability="official", note=note,
    )
    return out


def load(raw_dir: Path) -> pd.DataFrame:
    """Read, validate and tidy every WDI bulk file in ``raw_dir/worldbank_wdi``."""
    frames = []
    seen: dict[str, Path] = {}
    for path in find_files(raw_dir):
        df, vintage = read_file(path)
        t = clean(df, path, vintage)
        code = str(t["indicator"].iloc[0]) if len(t) else str(df["Indicator Code"].iloc[0])
        if code in seen:
            raise DataFileError(path, f"indicator {code!r} also in {seen[code].name}",
                                hint="keep one vintage per indicator")
        seen[code] = path
        frames.append(t)
    return tidy(pd.concat(frames, ignore_index=True))


def names(raw_dir: Path) -> dict[str, str]:
    """Country Code -> Country Name as the World Bank writes it (from the first file)."""
    df, _ = read_file(find_files(raw_dir)[0])
    return dict(zip(df["Country Code"].str.strip(), df["Country Name"]))
