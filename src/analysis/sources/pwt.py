"""Penn World Table 10.01 (``data/raw/pwt/pwt10.01.csv.gz``) -> tidy data.

One tidy row per country, year and variable, for the variables the project uses (``VARIABLES``). PWT states
levels in millions (GDP, capital stock, population, persons engaged); the multiplier is applied here so that
values are in units (US dollars, persons), as for MSTI. Index variables (``rtfpna``, ``ctfp``, ``hc``) and
shares (``labsh``) are unitless and passed through.

PWT's ``i_*`` columns are categorical quality markers, not OECD status codes, so they are not forced into
``flags``: the ones that concern a variable are written into that row's ``note`` instead, e.g.
``i_cig=extrapolated; i_xr=market; i_outlier=no`` on the PPP-based rows (``rgdpo``, ``rgdpe``, ``ctfp``) and
``i_irr=lowcapital`` on the capital-based rows (``rnna``, ``rtfpna``, ``ctfp``). ``flags`` stays ''.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import vintages
from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric

SOURCE = "pwt"
SOURCE_ID = "PWT 10.01"
FILE = "pwt10.01.csv.gz"

# variable -> (multiplier to units, unit after the multiplier, English label)
VARIABLES: dict[str, tuple[float, str, str]] = {
    "rgdpna": (1e6, "US dollars, constant 2017 national prices", "Real GDP at constant 2017 national prices"),
    "rgdpo": (1e6, "US dollars, chained PPPs (2017)", "Output-side real GDP at chained PPPs"),
    "rgdpe": (1e6, "US dollars, chained PPPs (2017)", "Expenditure-side real GDP at chained PPPs"),
    "pop": (1e6, "persons", "Population"),
    "emp": (1e6, "persons", "Persons engaged"),
    "avh": (1.0, "hours per person engaged per year", "Average annual hours worked"),
    "hc": (1.0, "index", "Human capital index (years of schooling and returns to education)"),
    "rnna": (1e6, "US dollars, constant 2017 national prices", "Capital stock at constant 2017 national prices"),
    "rtfpna": (1.0, "index, 2017 = 1", "TFP at constant national prices"),
    "ctfp": (1.0, "index, USA = 1", "TFP level at current PPPs"),
    "labsh": (1.0, "share of GDP", "Share of labour compensation in GDP at current national prices"),
}
PPP_BASED = {"rgdpo", "rgdpe", "ctfp"}
CAPITAL_BASED = {"rnna", "rtfpna", "ctfp"}
PPP_MARKERS = ["i_cig", "i_xm", "i_xr", "i_outlier"]
REQUIRED = ["isocode", "year", *VARIABLES, *PPP_MARKERS, "i_irr"]


def read_raw(path: Path) -> pd.DataFrame:
    """Read the PWT CSV as strings with structure checks."""
    return read_csv_strings(path, REQUIRED, hint=f"expected {FILE} in data/raw/{SOURCE}")


def _markers(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """'i_cig=extrapolated; i_xr=market' from the marker columns that are filled."""
    parts = [np.where(df[c].str.strip() != "", c + "=" + df[c].str.strip(), "") for c in cols]
    joined = pd.Series(["; ".join(p for p in row if p) for row in zip(*parts)], index=df.index, dtype="string")
    return joined


def clean(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Validate a raw PWT frame (strings, as from ``read_raw``) and return tidy rows."""
    iso = df["isocode"].str.strip()
    bad = ~iso.str.fullmatch(r"[A-Z]{3}")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"not an ISO3 code {df['isocode'].iloc[pos]!r}", column="isocode", row=pos + 2)
    year = to_numeric(df["year"], path, "year", allow_missing=False)
    bad = (year % 1 != 0) | (year < 1900) | (year > 2100)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"not a calendar year {df['year'].iloc[pos]!r}", column="year", row=pos + 2)
    check_unique(df.assign(isocode=iso), ["isocode", "year"], path)  # on the text, so the message quotes it
    df = df.assign(isocode=iso, year=year.astype("int64"))
    ppp_note = _markers(df, PPP_MARKERS)
    irr_note = _markers(df, ["i_irr"])
    frames = []
    for var, (mult, unit, _label) in VARIABLES.items():
        value = to_numeric(df[var], path, var)
        if var in {"pop", "emp", "rgdpna", "rgdpo", "rgdpe", "rnna", "avh", "hc", "rtfpna", "ctfp"}:
            neg = value < 0
            if neg.any():
                pos = int(np.flatnonzero(neg.to_numpy())[0])
                raise DataFileError(path, f"negative value {df[var].iloc[pos]!r}", column=var, row=pos + 2)
        keep = value.notna()  # a blank is a gap in PWT: left out, not filled
        note = pd.Series("", index=df.index, dtype="string")
        if var in PPP_BASED:
            note = ppp_note
        if var in CAPITAL_BASED:
            note = (note + np.where((note != "") & (irr_note != ""), "; ", "") + irr_note).astype("string")
        frames.append(pd.DataFrame({
            "entity": df["isocode"][keep],
            "entity_type": "country",
            "year": df["year"][keep],
            "year_type": "calendar",
            "indicator": var,
            "unit": unit,
            "value": value[keep] * mult,
            "flags": "",
            "source": SOURCE,
            "source_id": SOURCE_ID,
            "reliability": "official",
            "note": note[keep],
        }))
    return tidy(pd.concat(frames, ignore_index=True))


def load(raw_dir: Path) -> pd.DataFrame:
    """Read, validate and tidy PWT 10.01 from ``raw_dir/pwt``."""
    path = vintages.folder(raw_dir, SOURCE) / FILE
    return clean(read_raw(path), path)


def panels(tidy_df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``pwt_panel``: one row per country-year, one column per variable (units as in the tidy rows)."""
    wide = tidy_df.pivot(index=["entity", "year"], columns="indicator", values="value")
    wide = wide[[v for v in VARIABLES if v in wide.columns]].reset_index()
    wide.columns.name = None
    return {"pwt_panel": wide.sort_values(["entity", "year"], kind="mergesort").reset_index(drop=True)}
