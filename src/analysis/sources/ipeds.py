"""US IPEDS Finance, form F2 (FASB): balance-sheet and income totals of five private universities -> tidy data.

``data/raw/ipeds_f2_top5_private/ipeds_f2_top5_private_fy2019_2023.csv`` (see its SOURCE.md): one row per
institution, fiscal year and IPEDS variable, values in current US dollars. Checked on reading:

- columns; the IPEDS code, its series name, the UNITID and the institution name against ``ipeds_variables.toml``;
- the collection label names the fiscal year (``F1819_F2`` = the fiscal year ending in 2019); unit ``USD``;
  whole dollars; stocks (assets, liabilities, expenses, endowment) not negative; one value per key;
- the form's accounting identities, exact to the dollar, for every institution-year (``identity_failures``):
  assets − liabilities = net assets; revenues and investment return − expenses + other changes = change in net
  assets; beginning net assets + adjustments + change = end-of-year net assets = net assets; end-of-year net
  assets of one year = beginning net assets of the next.

Tidy rows: ``entity`` the institution, ``entity_type`` ``university``, ``year_type`` ``fiscal_us`` (named by
the calendar year in which the fiscal year ends: June 30, Stanford August 31), unit ``USD``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import DataFileError
from ..schema import check_unique, read_csv_strings, tidy, to_numeric
from .folders import source_folder

SOURCE = "ipeds_f2_top5_private"
FILE = "ipeds_f2_top5_private_fy2019_2023.csv"
COLUMNS = ["series", "entity", "unitid", "year", "ipeds_collection", "variable", "value", "unit", "source_id",
           "reliability", "note"]
CODES_FILE = Path(__file__).with_name("ipeds_variables.toml")
# (left-hand codes with signs, right-hand code): each identity holds exactly in dollars
IDENTITIES: list[tuple[str, dict[str, int], str]] = [
    ("assets - liabilities = net assets", {"F2A02": 1, "F2A03": -1}, "F2A06"),
    ("revenues - expenses + other changes = change in net assets", {"F2B01": 1, "F2B02": -1, "F2B03": 1}, "F2B04"),
    ("beginning + adjustments + change = end-of-year net assets", {"F2B05": 1, "F2B06": 1, "F2B04": 1}, "F2B07"),
    ("end-of-year net assets = net assets", {"F2B07": 1}, "F2A06"),
]


@functools.lru_cache(maxsize=2)
def codes(path: Path = CODES_FILE) -> dict:
    """The declared IPEDS variables and institutions (``ipeds_variables.toml``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the IPEDS code declarations: {exc}") from exc


def _collection(year: int) -> str:
    return f"F{(year - 1) % 100:02d}{year % 100:02d}_F2"


def read_file(path: str | Path) -> pd.DataFrame:
    """Read and check one IPEDS F2 extract; return tidy rows (the raw IPEDS code is kept in ``note``)."""
    path = Path(path)
    df = read_csv_strings(path, COLUMNS)
    decl = codes()
    variables, insts = decl["variables"], decl["institutions"]
    years = to_numeric(df["year"], path, "year", allow_missing=False)
    values = to_numeric(df["value"], path, "value", allow_missing=False)
    rows = []
    for pos in range(len(df)):
        r = df.iloc[pos]
        line = pos + 2
        code = r["variable"].strip()
        if code not in variables:
            raise DataFileError(path, f"unknown IPEDS variable {code!r}", column="variable", row=line,
                                hint=f"declared: {', '.join(variables)} (analysis/sources/ipeds_variables.toml)")
        var = variables[code]
        if r["series"].strip() != var["indicator"]:
            raise DataFileError(path, f"series {r['series']!r} does not match variable {code} "
                                f"(expected {var['indicator']!r})", column="series", row=line)
        unitid = r["unitid"].strip()
        if unitid not in insts:
            raise DataFileError(path, f"unknown UNITID {unitid!r}", column="unitid", row=line,
                                hint="declared: " + ", ".join(f"{k} {v['name']}" for k, v in insts.items()))
        if r["entity"].strip() != insts[unitid]["name"]:
            raise DataFileError(path, f"entity {r['entity']!r} is not UNITID {unitid} "
                                f"({insts[unitid]['name']!r})", column="entity", row=line)
        year, value = years.iloc[pos], values.iloc[pos]
        if year != int(year):
            raise DataFileError(path, f"year {year} is not a whole year", column="year", row=line)
        year = int(year)
        if r["ipeds_collection"].strip() != _collection(year):
            raise DataFileError(path, f"collection {r['ipeds_collection']!r} does not hold fiscal year {year} "
                                f"(expected {_collection(year)!r})", column="ipeds_collection", row=line)
        if r["unit"].strip() != "USD":
            raise DataFileError(path, f"unit {r['unit']!r}; IPEDS finance values are in US dollars",
                                column="unit", row=line, hint="expected 'USD' (dollars, not thousands)")
        if value != int(value):
            raise DataFileError(path, f"value {r['value']!r} is not whole dollars", column="value", row=line)
        if value < 0 and not var["signed"]:
            raise DataFileError(path, f"negative {var['label']} {r['value']}", column="value", row=line)
        fy_end = insts[unitid]["fiscal_year_end"]
        rows.append({"entity": insts[unitid]["name"], "entity_type": "university", "year": year,
                     "year_type": "fiscal_us", "indicator": var["indicator"], "unit": "USD", "value": float(value),
                     "flags": "", "source": SOURCE, "source_id": r["source_id"].strip(),
                     "reliability": r["reliability"].strip(),
                     "note": f"IPEDS {code} ({var['label']}), UNITID {unitid}, collection {_collection(year)}, "
                             f"fiscal year ending {year}-{fy_end}"})
    out = pd.DataFrame(rows)
    check_unique(out, ["entity", "year", "indicator"], path)
    failures = identity_failures(out)
    if failures:
        raise DataFileError(path, f"accounting identity fails: {failures[0]}"
                            + (f" ({len(failures)} failures in all)" if len(failures) > 1 else ""),
                            column="value", hint="a value was mistyped or a row is missing")
    return out


def identity_failures(frame: pd.DataFrame) -> list[str]:
    """Every failed F2 identity (exact to the dollar) as 'institution year: identity: lhs != rhs'."""
    by_code = {v["indicator"]: k for k, v in codes()["variables"].items()}
    wide = (frame.assign(code=frame["indicator"].map(by_code))
            .pivot_table(index=["entity", "year"], columns="code", values="value", aggfunc="first"))
    out = []
    for (entity, year), r in wide.iterrows():
        for name, lhs, rhs in IDENTITIES:
            need = [*lhs, rhs]
            if r[need].isna().any():
                out.append(f"{entity} {year}: {name}: missing {', '.join(c for c in need if pd.isna(r[c]))}")
                continue
            left = sum(sign * int(r[c]) for c, sign in lhs.items())
            if left != int(r[rhs]):
                out.append(f"{entity} {year}: {name}: {left} != {int(r[rhs])}")
        nxt = (entity, year + 1)
        if nxt in wide.index and int(wide.loc[nxt, "F2B05"]) != int(r["F2B07"]):
            out.append(f"{entity} {year}: end-of-year net assets {int(r['F2B07'])} != beginning of {year + 1} "
                       f"{int(wide.loc[nxt, 'F2B05'])}")
    return out


def read_folder(folder: str | Path) -> pd.DataFrame:
    """Read the IPEDS extract in ``folder`` (the source folder or one vintage folder)."""
    folder = Path(folder)
    found = sorted(p for p in folder.glob("*.csv") if re.fullmatch(r"ipeds_f2_.*\.csv", p.name))
    if not found:
        raise DataFileError(folder, f"no IPEDS F2 extract (expected e.g. {FILE})")
    return tidy(pd.concat([read_file(p) for p in found], ignore_index=True))


def load(raw_dir: Path) -> pd.DataFrame:
    """Read ``raw_dir/ipeds_f2_top5_private`` (flat or dated-vintage layout)."""
    return read_folder(source_folder(raw_dir, SOURCE))
