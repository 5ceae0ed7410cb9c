"""OECD Main Science and Technology Indicators (SDMX-CSV) -> tidy data.

A series is MEASURE x UNIT_MEASURE x PRICE_BASE x TRANSFORMATION; the tidy ``indicator`` is the dot-joined key
(e.g. ``B_RS.FTE._Z._Z``). ``UNIT_MULT`` is applied (values are in units, not millions); OBS_STATUS,
OBS_STATUS_2 and OBS_STATUS_3 are concatenated into ``flags``. Labels are read from codes only, so an export
with French, English or no labels loads the same; both "CODE" + "label" column pairs and "CODE: label"
headers/values (the two SDMX-CSV label styles) are accepted.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import labels, vintages
from ..errors import DataFileError, ParameterError
from ..schema import STATUS_FLAGS, check_unique, require_columns, tidy, to_numeric

SOURCE = "oecd_msti"
FILE_PATTERNS = ("*.csv", "*.csv.gz")
KEY = ["MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION"]
REQUIRED = ["REF_AREA", *KEY, "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "UNIT_MULT"]
OPTIONAL = ["OBS_STATUS_2", "OBS_STATUS_3", "BASE_PER", "STRUCTURE_ID", "FREQ"]

# MEASURE code -> (English, Japanese). English from the OECD's own MSTI labels.
MEASURES: dict[str, tuple[str, str]] = {
    "G": ("Gross domestic expenditure on R&D (GERD)", "研究開発費総額"),
    "B": ("Business enterprise expenditure on R&D (BERD)", "企業部門の研究開発費"),
    "H": ("Higher education expenditure on R&D (HERD)", "高等教育機関の研究開発費"),
    "GV": ("Government intramural expenditure on R&D (GOVERD)", "政府部門の研究開発費"),
    "PNP": ("Private non-profit expenditure on R&D", "非営利団体の研究開発費"),
    "G_FB": ("GERD financed by the business enterprise sector", "企業が負担する研究開発費総額"),
    "G_FG": ("GERD financed by government", "政府が負担する研究開発費総額"),
    "G_FA": ("GERD financed by the rest of the world", "海外が負担する研究開発費総額"),
    "G_FON": ("GERD financed by higher education and private non-profit", "大学・非営利団体が負担する研究開発費総額"),
    "G_BR": ("Basic research expenditure", "基礎研究費"),
    "G_CV": ("Civil GERD", "民生用研究開発費総額"),
    "B_FB": ("BERD financed by the business enterprise sector", "企業が負担する企業部門研究開発費"),
    "B_FG": ("BERD financed by government", "政府が負担する企業部門研究開発費"),
    "B_FA": ("BERD financed by the rest of the world", "海外が負担する企業部門研究開発費"),
    "B_FON": ("BERD financed by higher education and private non-profit", "大学・非営利団体が負担する企業部門研究開発費"),
    "H_FB": ("HERD financed by the business enterprise sector", "高等教育機関における企業負担研究開発費"),
    "GV_FB": ("GOVERD financed by the business enterprise sector", "政府部門における企業負担研究開発費"),
    "B_AERO": ("BERD performed in the aerospace industry", "航空宇宙産業の企業研究開発費"),
    "B_COMP": ("BERD performed in the computer, electronic and optical industry", "電子・光学機器産業の企業研究開発費"),
    "B_DRUG": ("BERD performed in the pharmaceutical industry", "医薬品産業の企業研究開発費"),
    "B_ICTS": ("BERD performed in information and communication services", "情報通信サービス業の企業研究開発費"),
    "B_MANUF": ("BERD performed in manufacturing", "製造業の企業研究開発費"),
    "B_SERV": ("BERD performed in services", "サービス業の企業研究開発費"),
    "T_RS": ("Total researchers", "研究者数（全体）"),
    "B_RS": ("Business enterprise researchers", "企業部門の研究者数"),
    "H_RS": ("Higher education researchers", "高等教育機関の研究者数"),
    "G_RS": ("Government researchers", "政府部門の研究者数"),
    "T_WRS": ("Women researchers", "女性研究者数"),
    "B_WRS": ("Women researchers in the business enterprise sector", "企業部門の女性研究者数"),
    "H_WRS": ("Women researchers in higher education", "高等教育機関の女性研究者数"),
    "G_WRS": ("Women researchers in government", "政府部門の女性研究者数"),
    "T_TT": ("Total R&D personnel", "研究開発要員（全体）"),
    "B_TT": ("Business enterprise R&D personnel", "企業部門の研究開発要員"),
    "H_TT": ("Higher education R&D personnel", "高等教育機関の研究開発要員"),
    "G_TT": ("Government R&D personnel", "政府部門の研究開発要員"),
    "C": ("Government budget allocations for R&D (GBARD)", "政府研究開発予算"),
    "C_CV": ("Civil GBARD", "民生用政府研究開発予算"),
    "C_DF": ("Defence GBARD", "国防用政府研究開発予算"),
    "C_ECO": ("Civil GBARD for economic development programmes", "経済開発向け政府研究開発予算"),
    "C_EDU": ("Civil GBARD for education and society programmes", "教育・社会向け政府研究開発予算"),
    "C_GUF": ("Civil GBARD for general university funds (GUF)", "大学向け一般資金"),
    "C_HEA": ("Civil GBARD for health and environment programmes", "健康・環境向け政府研究開発予算"),
    "C_NOR": ("Civil GBARD for non-oriented research programmes", "非指向型研究向け政府研究開発予算"),
    "C_SPA": ("Civil GBARD for space programmes", "宇宙開発向け政府研究開発予算"),
    "GDP": ("Gross domestic product", "国内総生産"),
    "PI": ("Implicit GDP price index", "GDPデフレーター"),
    "PPP": ("Purchasing power parity", "購買力平価"),
    "TOT_POP": ("Population", "人口"),
    "TOT_EMP": ("Total employment", "就業者数"),
    "P_TRIAD": ("Triadic patent families", "三極パテントファミリー数"),
    "P_PCT": ("Patent applications filed under the PCT", "PCT国際特許出願数"),
    "P_BIOPCT": ("PCT patent applications in biotechnology", "バイオテクノロジー分野のPCT出願数"),
    "P_ICTPCT": ("PCT patent applications in ICT", "ICT分野のPCT出願数"),
    "TD_BAERO": ("Trade balance, aerospace industry", "航空宇宙産業の貿易収支"),
    "TD_BCOMP": ("Trade balance, computer, electronic and optical industry", "電子・光学機器産業の貿易収支"),
    "TD_BDRUG": ("Trade balance, pharmaceutical industry", "医薬品産業の貿易収支"),
    "TD_EAERO": ("Exports, aerospace industry", "航空宇宙産業の輸出"),
    "TD_ECOMP": ("Exports, computer, electronic and optical industry", "電子・光学機器産業の輸出"),
    "TD_EDRUG": ("Exports, pharmaceutical industry", "医薬品産業の輸出"),
    "TD_IAERO": ("Imports, aerospace industry", "航空宇宙産業の輸入"),
    "TD_ICOMP": ("Imports, computer, electronic and optical industry", "電子・光学機器産業の輸入"),
    "TD_IDRUG": ("Imports, pharmaceutical industry", "医薬品産業の輸入"),
}

# UNIT_MEASURE code -> English unit (after UNIT_MULT is applied)
UNITS: dict[str, str] = {
    "FTE": "full-time equivalent",
    "PS": "persons",
    "PATN": "patents",
    "USD_PPP": "US dollars, PPP",
    "USD_PPP_PS": "US dollars per person, PPP",
    "USD": "US dollars",
    "XDC": "national currency",
    "XDC_USD": "national currency per US dollar",
    "IX": "index",
    "PT_B1GQ": "% of GDP",
    "PT_GERD": "% of GERD",
    "PT_BERD": "% of BERD",
    "PT_HERD": "% of HERD",
    "PT_GOVERD": "% of GOVERD",
    "PT_RSH": "% of researchers",
    "PT_PRSNL_RD": "% of R&D personnel",
    "PT_GBARD": "% of GBARD",
    "PT_GBARD_C": "% of civil GBARD",
    "PT_PATN_FM_T": "% of world triadic patent families",
    "PT_P6_W": "% of world exports",
    "10P3EMP": "per 1 000 employed",
}
PRICE_BASES = {"_Z": "", "V": "current prices", "Q": "constant prices"}
TRANSFORMATIONS = {"_Z": "", "GY": "growth rate y/y (%)", "IX": "index"}


def _split_code(value: str) -> str:
    """'JPN: Japan' -> 'JPN' (the 'code: label' SDMX-CSV style); plain codes pass through."""
    return value.split(": ", 1)[0] if ": " in value else value


def _codes(col: pd.Series) -> pd.Series:
    """``_split_code`` and strip, once per distinct value: a code column holds a few hundred values over
    200,000 rows, and per-row string work was most of the build's time."""
    positions, distinct = pd.factorize(col)
    mapped = pd.Index([_split_code(v).strip() for v in distinct], dtype=col.dtype)
    return pd.Series(mapped.take(positions), index=col.index, name=col.name)


def _normalise_header(cols: list[str]) -> list[str]:
    return [re.split(r":\s", c, maxsplit=1)[0].strip() for c in cols]


def find_file(raw_dir: Path) -> Path:
    """The one MSTI extract in ``raw_dir`` (``msti_raw.csv.gz`` in this package)."""
    folder = vintages.folder(raw_dir, SOURCE)
    files = sorted({p for pat in FILE_PATTERNS for p in folder.glob(pat)})
    if not files:
        raise DataFileError(folder, "no MSTI SDMX-CSV file (*.csv or *.csv.gz) found")
    if len(files) > 1:
        raise DataFileError(folder, f"more than one MSTI extract: {', '.join(p.name for p in files)}",
                            hint="keep one vintage in the folder so that results are unambiguous")
    return files[0]


def _check_complete(path: Path) -> None:
    """A plain CSV must end with a line break; otherwise its last row was cut off (gzip checks its own CRC)."""
    if path.suffix == ".gz":
        return
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            raise DataFileError(path, "file is empty")
        fh.seek(-1, 2)
        if fh.read(1) != b"\n":
            raise DataFileError(path, "file does not end with a line break: truncated download?",
                                hint="download the export again")


def read_raw(path: Path) -> pd.DataFrame:
    """Read an SDMX-CSV MSTI export as strings, code columns only, with structure checks."""
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 encoded ({exc.reason})", hint="SDMX-CSV exports are UTF-8") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "file is empty") from exc
    except (pd.errors.ParserError, OSError, EOFError) as exc:
        raise DataFileError(path, f"cannot be parsed as CSV: {exc}") from exc
    _check_complete(path)
    raw_cols = list(head.columns)
    if len(raw_cols) == 1 and (";" in raw_cols[0] or "\t" in raw_cols[0]):
        raise DataFileError(path, "wrong delimiter: one column only; SDMX-CSV is comma-separated",
                            hint="re-export with comma as separator")
    norm = _normalise_header([str(c) for c in raw_cols])
    present = {n: raw for n, raw in zip(norm, raw_cols) if n in REQUIRED + OPTIONAL}
    require_columns(pd.DataFrame(columns=list(present)), REQUIRED, path)
    try:
        df = pd.read_csv(path, usecols=list(present.values()), dtype=str, keep_default_na=False,
                         encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 encoded ({exc.reason})") from exc
    except (pd.errors.ParserError, OSError, EOFError, ValueError) as exc:
        raise DataFileError(path, f"malformed or truncated CSV: {exc}") from exc
    df = df.rename(columns={raw: n for n, raw in present.items()})
    for col in OPTIONAL:
        if col not in df:
            df[col] = ""
    code_cols = ["REF_AREA", *KEY, "OBS_STATUS", "OBS_STATUS_2", "OBS_STATUS_3", "UNIT_MULT", "FREQ"]
    for col in code_cols:
        df[col] = _codes(df[col])
    return df


def _check_codes(df: pd.DataFrame, path: Path) -> None:
    checks = [("REF_AREA", set(labels.AREAS), "add the area to analysis.labels.AREAS"),
              ("MEASURE", set(MEASURES), "add the measure to analysis.sources.msti.MEASURES"),
              ("UNIT_MEASURE", set(UNITS), "add the unit to analysis.sources.msti.UNITS"),
              ("PRICE_BASE", set(PRICE_BASES), None),
              ("TRANSFORMATION", set(TRANSFORMATIONS), None)]
    for col, known, hint in checks:
        bad = ~df[col].isin(known)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(path, f"unknown code {df[col].iloc[pos]!r}", column=col, row=pos + 2, hint=hint)
    for col in ("OBS_STATUS", "OBS_STATUS_2", "OBS_STATUS_3"):
        bad = ~(df[col].isin(STATUS_FLAGS) | (df[col] == ""))
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(path, f"unknown observation status {df[col].iloc[pos]!r}", column=col, row=pos + 2)
    if "FREQ" in df and (df["FREQ"].isin(["A", ""]) == False).any():  # noqa: E712
        pos = int(np.flatnonzero((~df["FREQ"].isin(["A", ""])).to_numpy())[0])
        raise DataFileError(path, f"only annual data (FREQ=A) is supported, found {df['FREQ'].iloc[pos]!r}",
                            column="FREQ", row=pos + 2)


def _unit_label(unit: str, price: str, transf: str, base: str) -> str:
    parts = [UNITS[unit]]
    if PRICE_BASES[price]:
        parts.append(PRICE_BASES[price] + (f" (base {base})" if price == "Q" and base else ""))
    if TRANSFORMATIONS[transf]:
        parts.append(TRANSFORMATIONS[transf])
    return ", ".join(parts)


def clean(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Validate a raw MSTI frame (as from ``read_raw``) and return tidy rows."""
    if df.empty:
        raise DataFileError(path, "no data rows")
    _check_codes(df, path)
    year = to_numeric(df["TIME_PERIOD"], path, "TIME_PERIOD", allow_missing=False)
    if (year % 1 != 0).any() or ((year < 1900) | (year > 2100)).any():
        pos = int(np.flatnonzero(((year % 1 != 0) | (year < 1900) | (year > 2100)).to_numpy())[0])
        raise DataFileError(path, f"not an annual period {df['TIME_PERIOD'].iloc[pos]!r}", column="TIME_PERIOD",
                            row=pos + 2)
    value = to_numeric(df["OBS_VALUE"], path, "OBS_VALUE")
    mult = to_numeric(df["UNIT_MULT"], path, "UNIT_MULT", allow_missing=False)
    bad = ~mult.isin([0, 3, 6, 9])
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(path, f"unsupported unit multiplier {df['UNIT_MULT'].iloc[pos]!r}", column="UNIT_MULT",
                            row=pos + 2)
    df = df.assign(year=year.astype("int64"), value=value * np.power(10.0, mult))
    check_unique(df, ["REF_AREA", *KEY, "year"], path)
    df = df[df["value"].notna()]  # an empty OBS_VALUE is a gap, shown as a gap
    indicator = df["MEASURE"] + "." + df["UNIT_MEASURE"] + "." + df["PRICE_BASE"] + "." + df["TRANSFORMATION"]
    # one label per distinct (unit, price base, transformation, base period), not per row
    positions, combos = pd.factorize(pd.MultiIndex.from_arrays(
        [df["UNIT_MEASURE"], df["PRICE_BASE"], df["TRANSFORMATION"], df["BASE_PER"]]))
    unit = np.array([_unit_label(*c) for c in combos], dtype=object)[positions].tolist()
    flags = df["OBS_STATUS"] + df["OBS_STATUS_2"] + df["OBS_STATUS_3"]
    out = pd.DataFrame({
        "entity": df["REF_AREA"],
        "entity_type": np.where(df["REF_AREA"].isin(labels.AGGREGATES), "aggregate", "country"),
        "year": df["year"],
        "year_type": "calendar",
        "indicator": indicator,
        "unit": unit,
        "value": df["value"],
        "flags": flags,
        "source": SOURCE,
        "source_id": df["STRUCTURE_ID"].where(df["STRUCTURE_ID"] != "", "DSD_MSTI@DF_MSTI"),
        "reliability": "official",
        "note": "",
    })
    return tidy(out)


def load(raw_dir: Path) -> pd.DataFrame:
    """Read, validate and tidy the MSTI extract in ``raw_dir/oecd_msti``."""
    path = find_file(raw_dir)
    return clean(read_raw(path), path)


def series_key(measure: str, unit: str, price: str = "_Z", transformation: str = "_Z") -> str:
    """Tidy ``indicator`` for one MSTI series (all four key parts are required by design)."""
    return f"{measure}.{unit}.{price}.{transformation}"


def select(tidy_df: pd.DataFrame, measure: str, unit: str, price: str = "_Z", transformation: str = "_Z",
           countries: list[str] | None = None, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Rows of one series, optionally for some areas and an inclusive year range.

    Unknown area codes raise ``ParameterError`` listing the areas the series has.
    """
    key = series_key(measure, unit, price, transformation)
    sub = tidy_df[tidy_df["indicator"] == key]
    if sub.empty:
        raise ParameterError("series", key, "not in the MSTI data", sorted(tidy_df["indicator"].unique()))
    if countries is not None:
        have = set(sub["entity"])
        unknown = [c for c in countries if c not in have]
        if unknown:
            raise ParameterError("countries", unknown, f"no data for series {key}", sorted(have))
        sub = sub[sub["entity"].isin(countries)]
    if years is not None:
        lo, hi = years
        sub = sub[(sub["year"] >= lo) & (sub["year"] <= hi)]
    return sub.reset_index(drop=True)


def measure_label(measure: str, lang: str = "en") -> str:
    """English or Japanese name of an MSTI measure code."""
    labels.check_lang(lang)
    if measure not in MEASURES:
        raise ParameterError("measure", measure, "unknown MSTI measure", sorted(MEASURES))
    return MEASURES[measure][0 if lang == "en" else 1]
