"""NCSES AUTM / HERD tables: published values, agreement with the japan extract, malformed input."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import ncses_autm
from analysis import vintages


@pytest.fixture(scope="module")
def nc(raw_dir) -> pd.DataFrame:
    return ncses_autm.load(raw_dir)


def val(df, indicator, year, source_id=None):
    sub = df[(df["indicator"] == indicator) & (df["year"] == year)]
    if source_id:
        sub = sub[sub["source_id"] == source_id]
    assert len(sub) == 1, sub
    return sub.iloc[0]["value"]


def test_schema_and_shape(nc):
    validate_tidy(nc, "ncses_autm")
    assert len(nc) == 142  # 21 + 15 + 15 counts, 13 years x 7 HERD rows
    assert set(nc["entity"]) == {"USA"} and set(nc["year_type"]) == {"fiscal_us"}


def test_published_values(nc):
    # SEI 8-2: startups formed by AUTM universities 555 (2007), 705 (2012), 1,080 (2017)
    assert [val(nc, "autm_univ_startups_formed", y) for y in (2007, 2012, 2017)] == [555, 705, 1080]
    # SEI INV-2: new licenses/options 7,974 in 2019; INV-3: 8,769 in 2021
    assert val(nc, "autm_univ_new_licenses_options_executed", 2019) == 7974
    assert val(nc, "autm_univ_new_licenses_options_executed", 2021) == 8769
    # HERD table 1: FY2022 total 97,842 and business-funded 5,707 USD millions -> USD
    assert val(nc, "us_herd_total", 2022) == 97_842_000_000
    assert val(nc, "us_herd_business_funded", 2022) == 5_707_000_000
    assert nc[nc["indicator"] == "us_herd_total"]["unit"].unique().tolist() == ["USD"]


def test_herd_components_add_up(nc):
    # "detail may not add to total" because of rounding: within a few USD millions
    h = nc[nc["indicator"].str.startswith("us_herd_")].pivot_table(index="year", columns="indicator", values="value")
    parts = h.drop(columns="us_herd_total").sum(axis=1)
    assert ((parts - h["us_herd_total"]).abs() <= 3e6).all()


def test_agrees_with_japan_extract(nc, japan_copy):
    jp = japan_copy  # japan.load(raw_dir), loaded once per test run (conftest)
    jp = jp[jp["source_id"].str.startswith("NCSES")]
    m = nc.merge(jp, on=["indicator", "year"], suffixes=("", "_jp"))
    assert len(m) == len(jp) == 77
    assert (m["value"] == m["value_jp"]).all()


def test_unknown_activity_and_bad_value(scratch_raw):
    path = vintages.folder(scratch_raw, "ncses_autm") / "1895" / "data.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Startup companies -> Startup companies formed,", "Startup companies -> Founded,"),
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown activity") as exc:
        ncses_autm.load(scratch_raw)
    assert exc.value.row == 10
    path.write_text(text.replace(",3622,", ",36x22,"), encoding="utf-8")
    with pytest.raises(DataFileError, match="non-numeric value '36x22'") as exc:
        ncses_autm.load(scratch_raw)
    assert exc.value.column == "field_2007" and exc.value.row == 5  # r004 is on line 5
    herd = vintages.folder(scratch_raw, "ncses_autm") / "10078" / "data.csv"
    path.write_text(text, encoding="utf-8")
    herd.write_text(herd.read_text(encoding="utf-8").replace(",61287\n", ",61,287x\n"), encoding="utf-8")
    with pytest.raises(DataFileError, match="non-numeric") as exc:
        ncses_autm.load(scratch_raw)
    assert exc.value.column == "value" and exc.value.row == 2
