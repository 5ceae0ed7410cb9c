"""IPEDS F2, the t46 NISTEP/私大連 extracts and the NISTEP edition text values: real values, identities,
published cross-checks named in the SOURCE.md files, and malformed input naming file, column and row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import folders, ipeds, nistep_text, t46_extracts


@pytest.fixture(scope="module")
def ip(raw_dir) -> pd.DataFrame:
    return ipeds.load(raw_dir)


@pytest.fixture(scope="module")
def t46(raw_dir) -> pd.DataFrame:
    return t46_extracts.load(raw_dir)


@pytest.fixture(scope="module")
def text(raw_dir) -> pd.DataFrame:
    return nistep_text.load(raw_dir)


def one(df, indicator, entity, year, source_id=None):
    sub = df[(df["indicator"] == indicator) & (df["entity"] == entity) & (df["year"] == year)]
    if source_id:
        sub = sub[sub["source_id"] == source_id]
    assert len(sub) == 1, sub
    return float(sub["value"].iloc[0])


def copy_source(raw_dir: Path, source: str, tmp_path: Path) -> Path:
    dst = tmp_path / source
    shutil.copytree(folders.source_folder(raw_dir, source), dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text_ = path.read_text(encoding="utf-8")
    assert old in text_
    path.write_text(text_.replace(old, new, 1), encoding="utf-8")


# ----------------------------------------------------------------------------------------------------- IPEDS

def test_ipeds_shape_and_schema(ip):
    validate_tidy(ip, "ipeds")
    assert len(ip) == 275  # 5 institutions x 5 years x 11 variables
    assert set(ip["year"]) == {2019, 2020, 2021, 2022, 2023} and set(ip["year_type"]) == {"fiscal_us"}
    assert set(ip["unit"]) == {"USD"}


def test_ipeds_values_against_the_raw_file(ip, raw_dir):
    # rows of ipeds_f2_top5_private_fy2019_2023.csv, read with the csv module, not the loader
    import csv
    path = folders.source_folder(raw_dir, ipeds.SOURCE) / ipeds.FILE
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(ip)
    for r in rows[::17]:
        assert one(ip, r["series"], r["entity"], int(r["year"])) == float(r["value"])
    assert one(ip, "ipeds_f2_total_assets", "Harvard University", 2019) == 59_327_153_000
    assert one(ip, "ipeds_f2_total_revenues_and_investment_return", "Harvard University", 2019) == 7_693_842_000


def test_ipeds_accounting_identities_hold(ip):
    assert ipeds.identity_failures(ip) == []
    wide = ip.pivot_table(index=["entity", "year"], columns="indicator", values="value")
    # assets = liabilities + net assets, every institution-year, to the dollar
    diff = wide["ipeds_f2_total_assets"] - wide["ipeds_f2_total_liabilities"] - wide["ipeds_f2_total_net_assets"]
    assert (diff == 0).all() and len(diff) == 25


def test_ipeds_endowment_against_published_figures(ip):
    # SOURCE.md cross-checks: Harvard Magazine 41.9 bn (FY2020) and 53.2 bn (FY2021); Harvard FY2019 $40.9 bn;
    # Stanford press release "$37.8 billion on Aug. 31, 2021"
    e = "ipeds_f2_endowment_value_end_of_year"
    assert round(one(ip, e, "Harvard University", 2020) / 1e9, 1) == 41.9
    assert round(one(ip, e, "Harvard University", 2021) / 1e9, 1) == 53.2
    assert round(one(ip, e, "Harvard University", 2019) / 1e9, 1) == 40.9
    assert round(one(ip, e, "Stanford University", 2021) / 1e9, 1) == 37.8


def test_ipeds_broken_identity_is_an_error(raw_dir, tmp_path):
    folder = copy_source(raw_dir, ipeds.SOURCE, tmp_path)
    edit(folder / ipeds.FILE, ",F2A02,59327153000,", ",F2A02,59327153001,")
    with pytest.raises(DataFileError, match=r"accounting identity fails: Harvard University 2019: assets"):
        ipeds.read_folder(folder)


@pytest.mark.parametrize("old,new,match", [
    (",F1819_F2,F2A02,", ",F1920_F2,F2A02,", r"column 'ipeds_collection', row 2: .*expected 'F1819_F2'"),
    (",F2A02,59327153000,USD,", ",F2A02,59327153000,USD thousands,", r"column 'unit', row 2"),
    (",F2A02,59327153000,", ",F2A99,59327153000,", r"column 'variable', row 2: unknown IPEDS variable 'F2A99'"),
    ("Harvard University,166027,2019,F1819_F2,F2A02,", "Harvard University,166028,2019,F1819_F2,F2A02,",
     r"column 'unitid', row 2"),
    (",F2A02,59327153000,", ",F2A02,abc,", r"column 'value', row 2: non-numeric value 'abc'"),
])
def test_ipeds_malformed_rows(raw_dir, tmp_path, old, new, match):
    folder = copy_source(raw_dir, ipeds.SOURCE, tmp_path)
    edit(folder / ipeds.FILE, old, new)
    with pytest.raises(DataFileError, match=match):
        ipeds.read_folder(folder)


def test_loader_reads_flat_and_vintage_layouts(raw_dir, tmp_path):
    src = folders.source_folder(raw_dir, ipeds.SOURCE)
    flat = tmp_path / "flat" / ipeds.SOURCE
    shutil.copytree(src, flat)
    dated = tmp_path / "dated" / ipeds.SOURCE / "2026-12-01"
    shutil.copytree(src, dated)
    a, b = ipeds.load(tmp_path / "flat"), ipeds.load(tmp_path / "dated")
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(DataFileError, match="source folder not found"):
        ipeds.load(tmp_path / "nothing")


def test_loader_follows_a_vintage_pin(raw_dir, tmp_path, monkeypatch):
    src = folders.source_folder(raw_dir, ipeds.SOURCE)
    root = tmp_path / "raw"
    shutil.copytree(src, root / ipeds.SOURCE / "2026-12-01")
    older = root / ipeds.SOURCE / "2026-11-01"
    shutil.copytree(src, older)
    (older / ipeds.FILE).unlink()
    assert folders.source_folder(root, ipeds.SOURCE).name == "2026-12-01"  # newest by default
    monkeypatch.setenv("SANGAKU_VINTAGES", f"{ipeds.SOURCE}=2026-11-01")
    with pytest.raises(DataFileError, match="2026-11-01: no IPEDS F2 extract"):
        ipeds.load(root)


# ------------------------------------------------------------------------------------------ t46 extracts

def test_t46_shape_codes_and_units(t46):
    validate_tidy(t46, "t46")
    phd = t46[t46["indicator"] == "phd_degrees_awarded"]
    assert set(phd["entity"]) == {"JPN", "USA", "DEU", "FRA", "GBR", "CHN", "KOR"}
    assert set(phd.loc[phd["entity"] == "JPN", "year_type"]) == {"fiscal_jp"}
    assert one(t46, "phd_degrees_awarded", "JPN", 2011) == 15_911  # SOURCE.md: JP FY2011 15,911
    assert one(t46, "phd_degrees_awarded", "JPN", 2000) == 16_076
    # 私大連 表7 in yen: FY2006 帰属収入 1,526,278 百万円; FY2015 (first 事業活動収入 year) flagged B
    rev = "jp_private_univ_shidairen_univdiv_revenue_total"
    assert one(t46, rev, "私大連 加盟大学部門", 2006) == 1_526_278 * 1e6
    assert set(t46.loc[(t46["indicator"] == rev) & (t46["flags"] == "B"), "year"]) == {2015}


def test_t46_shidairen_against_published_text(t46, text):
    # SOURCE.md: 全私学新聞 2009-04-23 FY2007 帰属収入 1兆5,267億円 "前年度比ほぼ同額" vs 表7 FY2006 1,526,278 百万円
    fy2007 = one(text, "jp_private_univ_shidairen_univdiv_revenue_total", "私大連 加盟大学部門 (124大学)", 2007)
    fy2006 = one(t46, "jp_private_univ_shidairen_univdiv_revenue_total", "私大連 加盟大学部門", 2006)
    assert abs(fy2007 / fy2006 - 1) < 0.005
    # FY2007 学生納付金 1兆894億円 "+1.5%" implies about 1兆733億 in FY2006; 表7 FY2006 1,073,520 百万円
    tuition06 = one(t46, "jp_private_univ_shidairen_univdiv_tuition", "私大連 加盟大学部門", 2006)
    assert abs(10894e8 / 1.015 / tuition06 - 1) < 0.001


def test_t46_new_hire_shares(t46):
    assert one(t46, "jp_new_hire_researchers_share", "全産業", 2023) == 4.43
    assert one(t46, "jp_new_hire_researchers_hires", "全産業", 2016) == 23_538
    shares = t46[(t46["indicator"] == "jp_new_hire_researchers_share") & (t46["entity"] == "全産業")]
    assert 3.4 <= shares["value"].min() and shares["value"].max() <= 4.5  # SOURCE.md: 3.8–4.4 % (FY2020 3.47)


def test_t46_csv_must_match_the_shidairen_json(raw_dir, tmp_path):
    folder = copy_source(raw_dir, t46_extracts.SOURCE, tmp_path)
    edit(folder / t46_extracts.CSV_FILE, "私大連 加盟大学部門,2006,1526278,", "私大連 加盟大学部門,2006,1526279,")
    with pytest.raises(DataFileError, match=r"column 'value', row \d+: .*2006 = 1.52628e\+06 but"):
        t46_extracts.read_folder(folder)


def test_t46_share_inconsistent_with_counts(raw_dir, tmp_path):
    folder = copy_source(raw_dir, t46_extracts.SOURCE, tmp_path)
    edit(folder / t46_extracts.CSV_FILE, "jp_new_hire_researchers_share|全産業,日本,2023,4.43,",
         "jp_new_hire_researchers_share|全産業,日本,2023,5.43,")
    with pytest.raises(DataFileError, match=r"表2-1-18 全産業 2023: share 5.43 %"):
        t46_extracts.read_folder(folder)


def test_t46_unknown_country_code(raw_dir, tmp_path):
    folder = copy_source(raw_dir, t46_extracts.SOURCE, tmp_path)
    edit(folder / t46_extracts.CSV_FILE, "phd_degrees_awarded|JP,日本,2000,", "phd_degrees_awarded|JA,日本,2000,")
    with pytest.raises(DataFileError, match=r"column 'series', row 2: unknown country code 'JA'"):
        t46_extracts.read_folder(folder)


# -------------------------------------------------------------------------------------------- NISTEP text

def test_text_units_editions_and_years(text):
    validate_tidy(text, "nistep_text")
    assert len(text) == 55
    assert one(text, "business_researchers_fte", "JPN", 2022) == 529_000  # 52.9万人
    assert one(text, "jp_national_univ_total_assets_incl_interuniv", "国立大学法人等 93法人", 2004) == 90_793e8
    undated = text[text["year"].isna()]
    assert set(undated["year_type"]) == {"unknown"} and len(undated) == 4
    assert nistep_text.edition("KYOBUN_20180824") == 2018 and nistep_text.edition("SHIDAIREN_GUIDE") is None
    assert text.loc[(text["indicator"] == "phd_per_million_pop") & (text["entity"] == "JPN")
                    & (text["year"] == 2014), "note"].iloc[0].startswith("edition 2018; 118 per million population")


def test_text_bad_unit_and_source(raw_dir, tmp_path):
    folder = copy_source(raw_dir, nistep_text.SOURCE, tmp_path)
    edit(folder / nistep_text.FILE, "2020,50.7,万人,", "2020,50.7,千人,")
    with pytest.raises(DataFileError, match=r"column 'unit', row \d+: unit '千人'"):
        nistep_text.read_folder(folder)
    folder2 = copy_source(raw_dir, nistep_text.SOURCE, tmp_path / "b")
    edit(folder2 / nistep_text.FILE, "NISTEP_STI2013_RM225_34", "NISTEP_STI2099")
    with pytest.raises(DataFileError, match=r"column 'source_id', row 2: unknown source_id 'NISTEP_STI2099'"):
        nistep_text.read_folder(folder2)
