"""Figures 2, 5 and 8: plotted values equal the raw values, gaps stay gaps, parameters are checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataFileError, ParameterError
from analysis.figures import japan_collab as jc
from analysis.sources import japan


@pytest.fixture(scope="module")
def jp(japan_copy) -> pd.DataFrame:
    return japan_copy  # japan.load(raw_dir), loaded once per test run (conftest)


def pick(frame: pd.DataFrame, series: str, year: int, panel: str | None = None) -> pd.Series:
    sub = frame[(frame["series"] == series) & (frame["year"] == year)]
    if panel:
        sub = sub[sub["panel"] == panel]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def test_fig2_values_match_raw(jp):
    f = jc.fig2_frame(jp)
    # MEXT FY2023: 約1,028億円, 31,185件, 329万6,000円/件; NISTEP 5-4-5 FY2023 105,292,546.92千円
    assert pick(f, "jr_amount", 2023)["value"] == 1028 * 1e8
    assert pick(f, "jr_count", 2023)["value"] == 31185
    assert pick(f, "per_project", 2023)["value"] == 3296 * 1e3
    assert pick(f, "nistep_jr", 2023)["value"] == 105_292_546.92 * 1e3
    assert pick(f, "per_project", 2023)["kind"] == "published"


def test_fig2_gaps_stay_gaps(jp):
    f = jc.fig2_frame(jp)
    for year in (2006, 2007, 2009, 2011, 2017, 2022):
        r = pick(f, "jr_count", year)
        assert np.isnan(r["value"]) and r["status"] == "gap"
    for year in (2006, 2007, 2008, 2009, 2011):
        assert np.isnan(pick(f, "jr_amount", year)["value"])
    # NISTEP's broader series has those years; it is not copied into the MEXT series
    assert pick(f, "nistep_jr", 2007)["value"] == 31_543_230.53 * 1e3


def test_fig2_per_project_computed_only_from_one_release(jp):
    f = jc.fig2_frame(jp)
    comp = f[(f["series"] == "per_project_computed") & f["value"].notna()]
    assert sorted(comp["year"]) == [2004, 2005, 2010, 2012, 2013, 2014, 2015, 2016]
    # FY2010 MEXT page: 約314億円 / 15,544件
    r = pick(f, "per_project_computed", 2010)
    assert r["value"] == pytest.approx(314e8 / 15544) and r["kind"] == "computed"
    assert r["source_id"] == "MEXT_FY2010_PAGE"
    # FY2016: the JPO table gives both numbers (52,557百万円, 23,021件); MEXT's own page only the amount
    assert pick(f, "per_project_computed", 2016)["value"] == pytest.approx(52557e6 / 23021)
    # FY2021 count and amount come from different articles: no computed value, MEXT's published one instead
    assert np.isnan(pick(f, "per_project_computed", 2021)["value"])
    assert pick(f, "per_project", 2021)["value"] == 3013e3


def test_fig5_by_type_break_and_missing_counts(jp):
    f = jc.fig5_frame(jp)
    # JPO 1-4-11図 FY2016: 国立 10,925, 公立 351, 私立 2,556, 合計 13,832件; 1-4-12図 国立 2,232百万円
    assert [pick(f, t, 2016, "count")["value"] for t in ("national", "public", "private", "total")] == \
        [10925, 351, 2556, 13832]
    assert pick(f, "national", 2016, "income")["value"] == 2232e6
    assert pick(f, "total", 2012, "count")["flags"] == "B"
    cnt = f[(f["panel"] == "count") & (f["year"] >= 2017)]
    assert cnt["value"].isna().all() and set(cnt["status"]) == {"after_last"}
    assert pick(f, "patent_income_mext", 2023, "income")["value"] == 55.2e8
    assert np.isnan(pick(f, "public", 2003, "count")["value"])  # FY2003 has no 公立 count
    sub = jc.fig5_frame(jp, 2010, 2016, ["private"])
    assert set(sub["series"]) == {"private"}


def test_fig8_meti_preliminary_and_mext_gaps(jp):
    f = jc.fig8_frame(jp)
    r = pick(f, "meti_cumulative", 2025)
    assert r["value"] == 6220 and r["flags"] == "P"
    assert pick(f, "meti_cumulative", 2022)["value"] == 3782
    assert pick(f, "mext_founded", 2023)["value"] == 396
    assert np.isnan(pick(f, "mext_founded", 2022)["value"]) and pick(f, "mext_founded", 2022)["status"] == "gap"


def test_parameter_errors(tmp_path):
    with pytest.raises(ParameterError, match="lang"):
        jc.validate_fig2({"lang": "de"})
    with pytest.raises(ParameterError, match="start_fy=1990.*outside"):
        jc.validate_fig2({"start_fy": 1990})
    with pytest.raises(ParameterError, match="start_fy=2020: after end_fy=2010"):
        jc.validate_fig8({"start_fy": 2020, "end_fy": 2010})
    with pytest.raises(ParameterError, match="institution_types.*national"):
        jc.validate_fig5({"institution_types": ["national", "federal"]})
    with pytest.raises(ParameterError, match="institution_types"):
        jc.validate_fig5({"institution_types": "national"})
    with pytest.raises(ParameterError, match="colour"):
        jc.validate_fig2({"colour": "red"})
    with pytest.raises(ParameterError, match="user_file.*not found"):
        jc.validate_fig2({"user_file": str(tmp_path / "missing.csv")})
    bad = tmp_path / "bad.csv"
    bad.write_text(japan_header() + "joint_research_private_count,2022,lots,件,X,primary,\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="non-numeric") as exc:
        jc.validate_fig2({"user_file": str(bad)})
    assert exc.value.row == 2 and exc.value.column == "value"


def japan_header() -> str:
    return ",".join(japan.COLUMNS) + "\n"


def test_user_file_fills_a_gap_and_is_marked(jp, tmp_path):
    user = tmp_path / "fill.csv"
    user.write_text(japan_header() + "joint_research_private_count,2022,30000,件,TEST_FORMAT_ONLY,primary,test row\n",
                    encoding="utf-8")
    data = jc.load_data(user, jp)
    f = jc.fig2_frame(data)
    r = pick(f, "jr_count", 2022)
    assert r["value"] == 30000 and r["source"] == "user"
    assert "jr_count FY2022" in jc.fig2_note(f, "en")
    assert np.isnan(pick(f, "jr_count", 2017)["value"])  # other gaps untouched
    assert np.isnan(pick(jc.fig2_frame(jp), "jr_count", 2022)["value"])  # raw data unchanged


def test_make_writes_files(jp, tmp_path):
    res = jc.make_fig8(jp, lang="en", output_dir=tmp_path)
    assert {p.name for p in res["paths"].values()} == {"fig08_university_startups_en.png",
                                                       "fig08_university_startups_en.svg",
                                                       "fig08_university_startups_en.csv"}
    csv = pd.read_csv(res["paths"]["csv"])
    assert csv.loc[(csv["series"] == "meti_cumulative") & (csv["year"] == 2024), "value"].item() == 5074
    first = res["paths"]["svg"].read_bytes()
    jc.make_fig8(jp, lang="en", output_dir=tmp_path)
    assert res["paths"]["svg"].read_bytes() == first
