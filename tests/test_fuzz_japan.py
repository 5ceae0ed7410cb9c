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
# Real series of four kinds (count, amount in JPY / USD, persons, share): valid rows take a unit of the series'
# kind, a value inside the kind's bounds and a year inside the series' plausible years (japan_series.toml).
SERIES = ["joint_research_private_amount", "joint_research_private_count", "meti_university_startups_cumulative",
          "harvard_operating_revenue", "unitt_jp_invention_disclosures", "fraunhofer_employees",
          "joint_research_private_ge10m_share_amount"]
SPECS = japan.series_specs()


@st.composite
def valid_row(draw) -> dict:
    spec = SPECS[draw(st.sampled_from(SERIES))]
    lo, hi = spec.years()
    vmax = spec.value_max if spec.value_max is not None else 1e9
    return {
        "series": spec.name,
        "year": str(draw(st.integers(lo, hi))),
        "value": str(draw(st.decimals(min_value=spec.value_min, max_value=vmax, allow_nan=False,
                                      allow_infinity=False, places=3))),
        "unit": draw(st.sampled_from(spec.units)),
        "source_id": draw(st.sampled_from(["S1", "S2"])),
        "reliability": draw(st.sampled_from(list(japan.RELIABILITY))),
        "note": draw(st.text(alphabet=string.ascii_letters + "、。 ", max_size=8)),
    }


rows = st.lists(valid_row(), min_size=1, max_size=10)


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
                                               "empty", "series", "wrong_kind_unit", "negative", "year_range"]),
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
    elif mutation == "wrong_kind_unit":  # e.g. 億円 on a count
        spec = SPECS[records[-1]["series"]]
        records[-1]["unit"] = next(u for u, (_, base) in japan.UNITS.items() if base not in spec.base_units)
    elif mutation == "negative":
        records[-1]["value"] = "-" + str(len(junk))
    elif mutation == "year_range":
        lo, hi = SPECS[records[-1]["series"]].years()
        records[-1]["year"] = str(lo - len(junk)) if len(junk) % 2 else str(hi + len(junk))
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
        if mutation in {"unit", "value", "reliability", "year", "series", "wrong_kind_unit", "negative",
                        "year_range"}:
            # the error points at the bad row (data row i is file line i + 2)
            assert f"row {len(records) + 1}" in str(exc) or "duplicate" in str(exc)
            if mutation in {"wrong_kind_unit", "negative", "year_range"} and "duplicate" not in str(exc):
                assert "allowed" in str(exc), str(exc)  # the allowed values are named
        return
    raise AssertionError(f"mutation {mutation!r} was accepted silently")
