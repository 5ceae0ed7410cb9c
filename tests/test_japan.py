"""Japanese-series loader: real values from data/raw/japan checked after unit conversion, and malformed input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataFileError, ParameterError
from analysis.schema import validate_tidy
from analysis.sources import japan
from analysis import vintages

HEADER = "series,year,value,unit,source_id,reliability,note\n"


@pytest.fixture(scope="module")
def jp(raw_dir) -> pd.DataFrame:
    return japan.load(raw_dir)


def one(df: pd.DataFrame, indicator: str, year: int | None, entity: str = "JPN", source_id: str | None = None):
    sub = df[(df["indicator"] == indicator) & (df["entity"] == entity)]
    sub = sub[sub["year"].isna()] if year is None else sub[sub["year"] == year]
    if source_id is not None:
        sub = sub[sub["source_id"] == source_id]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def write(tmp_path: Path, body: str, name: str = "x.csv") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def test_schema_valid_and_every_file_read(jp, raw_dir):
    validate_tidy(jp, "japan")
    n_rows = sum(len(pd.read_csv(p, dtype=str)) for p in japan.files(raw_dir))
    assert len(jp) == n_rows == 9227
    assert set(jp["source"]) == {"japan"}
    assert set(jp["reliability"]) <= set(japan.RELIABILITY)


def test_nistep_545_fy2023_joint_research_in_yen(jp):
    # NISTEP 科学技術指標2025 表5-4-5, 共同研究 (民間企業等) FY2023: 105,292,546.92 千円
    r = one(jp, "nistep_5-4-5_joint_research_amount_total", 2023)
    assert r["value"] == 105_292_546_920.0
    assert (r["unit"], r["year_type"], r["entity_type"]) == ("JPY", "fiscal_jp", "country")
    assert r["note"].startswith("105292546.92 千円")
    # cross-check stated in SOURCE.md: FY2022 ≈ 1,000億円 in NISTEP's text
    fy22 = one(jp, "nistep_5-4-5_joint_research_amount_total", 2022)["value"]
    assert round(fy22 / 1e8) == 1000 == one(jp, "nistep_joint_research_amount", 2022)["value"] / 1e8


def test_mext_fy2023_joint_research_with_private_companies(jp):
    # MEXT 令和5年度 産学連携等実施状況: 民間企業との共同研究 31,185件, 約1,028億円
    amount = one(jp, "joint_research_private_amount", 2023)
    count = one(jp, "joint_research_private_count", 2023)
    assert amount["value"] == 1028e8 and amount["unit"] == "JPY"
    assert count["value"] == 31185 and count["unit"] == "count"
    assert amount["note"].startswith("1028 億円")
    # MEXT FY2020 (addendum file): 28,794件, 約847億円, 294万円/件
    assert one(jp, "joint_research_private_amount", 2020)["value"] == 847e8
    assert one(jp, "joint_research_private_avg_per_project", 2020, source_id="MEXT_FY2020_UNIVJOURNAL")["value"] \
        == 2_940_000


def test_niad_university_value(jp):
    # NIAD 法人別財務: 東京大学 FY2021 経常収益 264,102,758千円 (= 東洋経済 2641.0億円)
    r = one(jp, "niad_revenue_total", 2021, entity="東京大学")
    assert r["value"] == 264_102_758_000.0
    assert r["entity_type"] == "university" and r["year_type"] == "fiscal_jp"
    toyo = one(jp, "utokyo_recurring_revenue", 2021, entity="東京大学")
    assert abs(toyo["value"] - r["value"]) < 0.05e8  # 2641.0億円 rounded to 0.1億
    assert jp[jp["indicator"] == "niad_revenue_total"]["entity"].nunique() == 91


def test_entities_and_year_types(jp):
    h = one(jp, "harvard_operating_revenue", 2023, entity="Harvard University")
    assert (h["entity_type"], h["year_type"], h["value"]) == ("university", "fiscal_us", 6.1e9)
    autm = one(jp, "autm_us_startups_formed", 2020, entity="USA")
    assert (autm["year_type"], autm["value"]) == ("fiscal_us", 1117)
    # NISTEP international researcher counts are calendar years with ISO3 codes (万人 -> persons)
    cn = one(jp, "business_researchers_fte", 2021, entity="CHN")
    assert (cn["year_type"], cn["value"], cn["unit"]) == ("calendar", 1_392_000, "persons")
    # Japan head count / FTE from 2002 are separate indicators, not duplicates of one
    assert one(jp, "nistep_2-1-3_researchers_total_fte", 2023)["value"] == 705551
    assert one(jp, "nistep_2-1-3_researchers_total_hc", 2023)["value"] == 1003883
    # JPO table by type of institution: group entities; 合計 is the national total
    assert one(jp, "patent_licensing_count", 2016, entity="国立大学等")["entity_type"] == "university_group"
    assert one(jp, "patent_licensing_count", 2016, entity="JPN")["value"] == 13832
    # a value whose source states no year
    q = one(jp, "quantonation_fund_II_final_close", None, entity="Quantonation")
    assert q["year_type"] == "unknown" and q["value"] == 220e6
    assert (jp["year"].isna() == (jp["year_type"] == "unknown")).all()


def test_units_converted(jp):
    # 百万円: JPO FY2016 patent licensing income 2,576百万円; USD m (current): HERD 2022 97,842; 社; USD bn
    assert one(jp, "patent_licensing_income", 2016)["value"] == 2_576_000_000
    assert one(jp, "us_herd_total", 2022, entity="USA")["value"] == 97_842_000_000
    assert one(jp, "meti_university_startups_cumulative", 2024)["value"] == 5074
    assert one(jp, "fraunhofer_total_business_volume", 2023, entity="Fraunhofer-Gesellschaft")["value"] == 3.4e9
    assert one(jp, "utokyo_total_assets", 2018, entity="東京大学")["value"] == 1.4e12
    assert set(jp["unit"]) == {"JPY", "USD", "EUR", "count", "persons", "%", "ratio"}


def test_flags_from_sources(jp):
    assert one(jp, "meti_university_startups_cumulative", 2025)["flags"] == "P"
    assert one(jp, "meti_university_startups_cumulative", 2024)["flags"] == ""
    assert one(jp, "patent_licensing_count", 2012, source_id="JPO_NENJI2018_P98")["flags"] == "B"
    assert one(jp, "patent_licensing_count", 2013)["flags"] == ""


def test_best_prefers_primary_and_keeps_alternatives(jp):
    b = japan.best(jp, "joint_research_private_amount")
    fy16 = b[b["year"] == 2016].iloc[0]
    # MEXT's own page (約526億円, primary) beats the JPO table (52,557百万円, official-derivative)
    assert fy16["source_id"] == "MEXT_FY2016_PAGE" and fy16["value"] == 526e8
    assert fy16["n_sources"] == 2 and fy16["alternatives"] == "JPO_NENJI2018_P93=52,557,000,000 JPY (official-derivative)"
    assert fy16["max_rel_diff"] == pytest.approx(abs(52557e6 - 526e8) / 526e8)
    assert b["year"].is_unique and (b[b["year"] != 2016]["n_sources"] == 1).all()
    # patent licensing count FY2012: JPO (official-derivative) vs MEXT PDF copy (official-copy) both 8,808
    pl = japan.best(jp, "patent_licensing_count", entity="JPN")
    assert pl.loc[pl["year"] == 2012, "source_id"].item() == "MEXT_FY2012_PDFCOPY"


def test_best_parameter_errors(jp):
    with pytest.raises(ParameterError, match="indicator"):
        japan.best(jp, "no_such_series")
    with pytest.raises(ParameterError, match="entity.*国立大学等"):
        japan.best(jp, "patent_licensing_count", entity="Atlantis")


def test_read_file_row(tmp_path):
    p = write(tmp_path, HEADER + "joint_research_private_count,2017,26000,件,MY_PDF,primary,read from PDF p.3\n")
    df = japan.read_file(p, source="user")
    r = df.iloc[0]
    assert (r["entity"], r["year"], r["value"], r["source"], r["note"]) == \
        ("JPN", 2017, 26000.0, "user", "26000 件; read from PDF p.3")


@pytest.mark.parametrize("body, column, row, text", [
    ("series,year,unit,source_id,reliability,note\njoint_research_private_count,2017,件,X,primary,\n",
     "value", None, "required column missing"),
    (HEADER + "joint_research_private_count,2017,26000,件,X,primary,\njoint_research_private_count,2018,n/a,件,X,primary,\n",
     "value", 3, "non-numeric value 'n/a'"),
    (HEADER + "joint_research_private_count,2017,26000,dozens,X,primary,\n", "unit", 2, "unknown unit 'dozens'"),
    (HEADER + "joint_research_private_count,2017,1,件,X,primary,\njoint_research_private_count,2017,2,件,X,primary,\n",
     "series+year+source_id", 3, "duplicate key"),
    (HEADER + "joint_research_private_count,2017,1,件,X,very-good,\n", "reliability", 2, "unknown reliability"),
    (HEADER + "joint_research_private_count,FY17,1,件,X,primary,\n", "year", 2, "not a 4-digit year"),
    (HEADER + "space_elevators,2017,1,件,X,primary,\n", "series", 2, "unknown series 'space_elevators'"),
    (HEADER + "joint_research_private_count|Tokyo,2017,1,件,X,primary,\n", "series", 2, "takes no '|category'"),
    (HEADER + "business_researchers_fte|XX,2017,1,万人,X,primary,\n", "series", 2, "unknown country code"),
    (HEADER + "joint_research_private_count,2017,,件,X,primary,\n", "value", 2, "missing value"),
])
def test_malformed_rows(tmp_path, body, column, row, text):
    with pytest.raises(DataFileError, match=text) as exc:
        japan.read_file(write(tmp_path, body))
    assert exc.value.column == column and exc.value.row == row
    assert exc.value.path.endswith("x.csv")


def test_empty_and_wrong_delimiter(tmp_path):
    with pytest.raises(DataFileError, match="file is empty"):
        japan.read_file(write(tmp_path, ""))
    with pytest.raises(DataFileError, match="no data rows"):
        japan.read_file(write(tmp_path, HEADER))
    semi = HEADER.replace(",", ";") + "joint_research_private_count;2017;1;件;X;primary;\n"
    with pytest.raises(DataFileError, match="wrong delimiter"):
        japan.read_file(write(tmp_path, semi))


def test_duplicate_across_files_in_folder(scratch_raw):
    folder = vintages.folder(scratch_raw, "japan")
    (folder / "zz_extra.csv").write_text(
        HEADER + "joint_research_private_count,2023,31185,件,MEXT_FY2023_SENTANKYO,secondary-news,\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="also in mext_sangaku_headlines.csv"):
        japan.load(scratch_raw)


def test_unknown_unit_in_raw_folder_names_file_and_row(scratch_raw):
    path = vintages.folder(scratch_raw, "japan") / "meti_university_startups.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",社,", ",companies,")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        japan.load(scratch_raw)
    assert exc.value.column == "unit" and exc.value.row == 4
    assert exc.value.path.endswith("meti_university_startups.csv")


def test_entity_labels():
    assert japan.entity_label("国立大学等", "en") == "National universities etc."
    assert japan.entity_label("JPN", "ja") == "日本"
    with pytest.raises(ParameterError, match="lang"):
        japan.entity_label("JPN", "fr")
