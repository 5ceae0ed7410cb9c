"""Property-based tests of the Japanese-series loader: exact unit conversion, or the documented error."""

from __future__ import annotations

import csv
import io as _io
import string
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import japan

COLS = ["series", "year", "value", "unit", "source_id", "reliability", "note"]
SERIES = ["joint_research_private_amount", "joint_research_private_count", "meti_university_startups_cumulative",
          "harvard_operating_revenue", "unitt_jp_licenses"]

rows = st.lists(st.fixed_dictionaries({
    "series": st.sampled_from(SERIES),
    "year": st.integers(1990, 2025).map(str),
    "value": st.decimals(min_value=-1e6, max_value=1e9, allow_nan=False, allow_infinity=False, places=3).map(str),
    "unit": st.sampled_from(["億円", "千円", "万円", "件", "社", "USD bn", "万人", "%"]),
    "source_id": st.sampled_from(["S1", "S2"]),
    "reliability": st.sampled_from(list(japan.RELIABILITY)),
    "note": st.text(alphabet=string.ascii_letters + "、。 ", max_size=8),
}), min_size=1, max_size=10)


def _write(tmp: Path, records: list[dict], sep: str = ",") -> Path:
    folder = tmp / "japan"
    folder.mkdir(parents=True, exist_ok=True)
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLS, delimiter=sep, lineterminator="\n")
    w.writeheader()
    w.writerows(records)
    path = folder / "fuzz.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows)
def test_valid_rows_convert_exactly(tmp_path_factory, records):
    tmp = tmp_path_factory.mktemp("jp")
    path = _write(tmp, records)
    keys = [(r["series"], r["year"], r["source_id"]) for r in records]
    try:
        out = japan.read_file(path)
    except DataFileError as exc:
        assert len(set(keys)) < len(keys) and "duplicate" in str(exc), str(exc)
        return
    assert len(set(keys)) == len(keys)
    validate_tidy(out, "fuzz")
    assert len(out) == len(records)
    for r in records:
        mult, base = japan.UNITS[r["unit"]]
        hit = out[(out["indicator"] == r["series"]) & (out["year"] == int(r["year"])) &
                  (out["source_id"] == r["source_id"])]
        assert len(hit) == 1
        assert hit["unit"].iloc[0] == base
        assert hit["value"].iloc[0] == float(Decimal(r["value"]) * Decimal(mult))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows, mutation=st.sampled_from(["unit", "value", "reliability", "year", "drop", "semicolon",
                                               "empty", "series"]),
       junk=st.text(alphabet=string.ascii_letters, min_size=1, max_size=4))
def test_malformed_rows_raise_documented_error(tmp_path_factory, records, mutation, junk):
    tmp = tmp_path_factory.mktemp("jp")
    records = [dict(r) for r in records]
    if mutation == "unit":
        records[-1]["unit"] = "zz" + junk
    elif mutation == "value":
        records[-1]["value"] = "x" + junk
    elif mutation == "reliability":
        records[-1]["reliability"] = "rumour-" + junk
    elif mutation == "year":
        records[-1]["year"] = "FY" + junk
    elif mutation == "series":
        records[-1]["series"] = "unheard_of_" + junk.lower()
    path = _write(tmp, records, sep=";" if mutation == "semicolon" else ",")
    if mutation == "drop":
        text = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(",".join(l.split(",")[:2] + l.split(",")[3:]) for l in text) + "\n",
                        encoding="utf-8")
    elif mutation == "empty":
        path.write_text("", encoding="utf-8")
    try:
        japan.read_file(path)
    except DataFileError as exc:
        assert "fuzz.csv" in str(exc)
        if mutation in {"unit", "value", "reliability", "year", "series"}:
            # the error points at the bad row (data row i is file line i + 2)
            assert f"row {len(records) + 1}" in str(exc) or "duplicate" in str(exc)
        return
    raise AssertionError(f"mutation {mutation!r} was accepted silently")
