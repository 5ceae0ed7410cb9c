"""Property-based tests: generated MSTI files either load to exactly the right tidy values or raise DataFileError."""

from __future__ import annotations

import csv
import io as _io
import string
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import msti

COLS = ["STRUCTURE_ID", "REF_AREA", "FREQ", "MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION",
        "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_2", "OBS_STATUS_3", "UNIT_MULT", "BASE_PER"]

rows = st.lists(
    st.fixed_dictionaries({
        "REF_AREA": st.sampled_from(["JPN", "USA", "TWN", "OECD"]),
        "MEASURE": st.sampled_from(["B_RS", "H_FB", "B"]),
        "UNIT_MEASURE": st.sampled_from(["FTE", "PT_HERD", "USD_PPP"]),
        "PRICE_BASE": st.sampled_from(["_Z", "Q", "V"]),
        "TIME_PERIOD": st.integers(1981, 2024),
        "OBS_VALUE": st.one_of(st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: f"{x:.6g}"), st.just("")),
        "OBS_STATUS": st.sampled_from(["", "B", "E", "P", "D"]),
        "UNIT_MULT": st.sampled_from(["0", "3", "6"]),
    }),
    min_size=1, max_size=12,
)


def _write(tmp: Path, records: list[dict], sep: str = ",") -> Path:
    folder = tmp / "oecd_msti"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLS, delimiter=sep, lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({"STRUCTURE_ID": "X", "FREQ": "A", "TRANSFORMATION": "_Z", "OBS_STATUS_2": "",
                    "OBS_STATUS_3": "", "BASE_PER": "", **r})
    path = folder / "msti.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows)
def test_valid_files_give_exact_values(tmp_path_factory, records):
    tmp = tmp_path_factory.mktemp("fz")
    _write(tmp, records)
    keys = [(r["REF_AREA"], r["MEASURE"], r["UNIT_MEASURE"], r["PRICE_BASE"], r["TIME_PERIOD"]) for r in records]
    try:
        out = msti.load(tmp)
    except DataFileError as exc:
        # The only legitimate failure for these generated rows is a duplicated series-year key.
        assert len(set(keys)) < len(keys) and "duplicate key" in str(exc)
        return
    assert len(set(keys)) == len(keys)
    validate_tidy(out, "fuzz")
    expected = {
        (r["REF_AREA"], f"{r['MEASURE']}.{r['UNIT_MEASURE']}.{r['PRICE_BASE']}._Z", r["TIME_PERIOD"]):
            float(r["OBS_VALUE"]) * 10 ** int(r["UNIT_MULT"])
        for r in records if r["OBS_VALUE"] != ""
    }
    got = {(e, i, int(y)): v for e, i, y, v in zip(out.entity, out.indicator, out.year, out.value)}
    assert got == expected


mutations = st.sampled_from(["drop_column", "text_value", "unknown_area", "bad_status", "semicolon",
                             "truncate", "empty", "binary", "bad_year"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows, mutation=mutations, col=st.sampled_from(["REF_AREA", "MEASURE", "OBS_VALUE", "TIME_PERIOD",
                                                               "UNIT_MULT"]),
       junk=st.text(alphabet=string.ascii_letters, min_size=1, max_size=5), cut=st.floats(0.05, 0.95))
def test_malformed_files_raise_documented_error(tmp_path_factory, records, mutation, col, junk, cut):
    tmp = tmp_path_factory.mktemp("fz")
    records = [dict(r) for r in records]
    if mutation == "text_value":
        records[0]["OBS_VALUE"] = junk
    elif mutation == "unknown_area":
        records[0]["REF_AREA"] = "Q" + junk
    elif mutation == "bad_status":
        records[0]["OBS_STATUS"] = "Z" + junk
    elif mutation == "bad_year":
        records[0]["TIME_PERIOD"] = junk
    path = _write(tmp, records, sep=";" if mutation == "semicolon" else ",")
    text = path.read_text(encoding="utf-8")
    if mutation == "drop_column":
        df = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=[col])
        df.to_csv(path, index=False)
    elif mutation == "truncate":
        path.write_text(text[: max(1, int(len(text) * cut))], encoding="utf-8")
    elif mutation == "empty":
        path.write_text("", encoding="utf-8")
    elif mutation == "binary":
        path.write_bytes(bytes(range(256)) * 3)
    try:
        out = msti.load(tmp)
    except DataFileError as exc:
        assert "msti.csv" in str(exc)
        return
    # Only a cut exactly at a line break leaves a well-formed (shorter) file; it must then load exactly.
    assert mutation == "truncate" and path.read_text(encoding="utf-8").endswith("\n"), \
        f"{mutation} was accepted silently"
    validate_tidy(out, "fuzz")
    kept = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(out) == (kept["OBS_VALUE"] != "").sum()
