"""Deck figures 6 (US vs Japan technology transfer) and 7 (US vs Japan university finance growth).

Values are checked against the published figures in data/raw/japan/*.csv and data/raw/ncses_autm, loaded through
the project's loaders (analysis.sources.japan, analysis.sources.ncses_autm).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.figures import tech_transfer_us_jp as f6
from analysis.figures import university_finance as f7


@pytest.fixture(scope="module")
def japan_tidy(japan_copy) -> pd.DataFrame:
    return japan_copy  # japan.load(raw_dir), loaded once per test run (conftest)


@pytest.fixture(scope="module")
def frames(raw_dir, japan_tidy) -> dict[str, pd.DataFrame]:
    from analysis.sources import ncses_autm
    return {"japan": japan_tidy, "ncses_autm": ncses_autm.load(raw_dir)}


def _cell(tab: pd.DataFrame, metric: str, series: str) -> pd.Series:
    sub = tab[(tab["metric"] == metric) & (tab["series"] == series)]
    assert len(sub) == 1
    return sub.iloc[0]


# ================================================================ figure 6: technology transfer

def test_fig6_latest_values_per_series(frames):
    tab = f6.table(frames)
    # AUTM FY2020 press release: invention disclosures 27,112; NCSES SEI 2020 table 8-2: universities 24,998 (2017);
    # UNITT 2020 edition: 発明開示 8,606 (FY2019)
    r = _cell(tab, "invention_disclosures", "US_AUTM")
    assert (r["year"], r["value"], r["year_type"]) == (2020, 27112, "fiscal_us")
    r = _cell(tab, "invention_disclosures", "US_AUTM_UNIV")
    assert (r["year"], r["value"], r["source"]) == (2017, 24998, "ncses_autm")
    r = _cell(tab, "invention_disclosures", "JP_UNITT")
    assert (r["year"], r["value"], r["year_type"]) == (2019, 8606, "fiscal_jp")
    # licence income: AUTM FY2018 ~$2.94bn; UNITT FY2019 41億7850万円
    r = _cell(tab, "licence_income", "US_AUTM")
    assert (r["year"], r["value"], r["unit"]) == (2018, 2.94e9, "USD")
    r = _cell(tab, "licence_income", "JP_UNITT")
    assert (r["year"], r["unit"]) == (2019, "JPY") and r["value"] == pytest.approx(4178.5e6)
    # start-ups: AUTM FY2020 1,117; MEXT FY2023 大学等発ベンチャー設立数 396
    assert _cell(tab, "startups", "US_AUTM")["value"] == 1117
    assert (_cell(tab, "startups", "JP_MEXT")["year"], _cell(tab, "startups", "JP_MEXT")["value"]) == (2023, 396)


def test_fig6_definition_flags_and_gaps(frames):
    tab = f6.table(frames)
    lic = _cell(tab, "licences", "JP_UNITT")  # FY2019 新規ライセンス契約件数 7,589: licences only
    assert (lic["year"], lic["value"], lic["flags"]) == (2019, 7589, "D")
    assert "FY2016" in lic["flag_reason"]
    assert _cell(tab, "licence_income", "JP_MEXT")["flags"] == "D"  # 知的財産権等収入 is broader
    gap = _cell(tab, "licence_income", "US_AUTM_UNIV")  # NCSES tables carry no income
    assert math.isnan(gap["value"]) and gap["gap"]
    assert _cell(tab, "invention_disclosures", "US_AUTM")["flags"] == ""


def test_fig6_normalised_by_same_year_research_spending(frames):
    tab = f6.table(frames, normalise=True)
    # AUTM FY2020: 27,112 disclosures / $83.1bn research expenditure, per USD 100 m
    r = _cell(tab, "invention_disclosures", "US_AUTM")
    assert r["year"] == 2020 and r["denominator"] == 83.1e9
    assert r["normalised"] == pytest.approx(27112 / 83.1e9 * 1e8)
    # UNITT FY2017: 8,141 disclosures / 2兆3,900億円 (natural sciences), per ¥10 bn
    r = _cell(tab, "invention_disclosures", "JP_UNITT")
    assert r["year"] == 2017 and r["normalised"] == pytest.approx(8141 / 2.39e12 * 1e10)
    assert "¥10 bn" in r["normalised_unit"]
    # universities only: FY2017 disclosures 24,998 / HERD FY2017 $75,292m
    r = _cell(tab, "invention_disclosures", "US_AUTM_UNIV")
    assert r["normalised"] == pytest.approx(24998 / 75292e6 * 1e8)
    # money as % of spending: AUTM FY2012 $2.6bn / $63.7bn
    r = _cell(tab, "licence_income", "US_AUTM")
    assert r["year"] == 2012 and r["normalised"] == pytest.approx(2.6 / 63.7 * 100)
    # UNITT licences exist only for FY2016 and FY2019, research spending only for FY2017: a gap, not a match
    r = _cell(tab, "licences", "JP_UNITT")
    assert math.isnan(r["normalised"]) and r["gap"] == "no same-year research spending"


def test_fig6_explicit_year(frames):
    tab = f6.table(frames, years={"JP_UNITT": 2016})
    assert _cell(tab, "invention_disclosures", "JP_UNITT")["value"] == 8361
    lic = _cell(tab, "licences", "JP_UNITT")  # FY2016 licences + options 2,980: the preferred definition
    assert (lic["value"], lic["flags"]) == (2980, "")
    assert _cell(tab, "patents_issued", "JP_UNITT")["gap"] == "no value for 2016"
    assert _cell(tab, "invention_disclosures", "US_AUTM")["year"] == 2020  # other series stay at latest


def test_fig6_latest_follows_the_data(frames):
    fewer = dict(frames)
    j = frames["japan"]
    fewer["japan"] = j[~((j["indicator"] == "autm_us_invention_disclosures") & (j["year"] == 2020))]
    r = _cell(f6.table(fewer), "invention_disclosures", "US_AUTM")
    assert (r["year"], r["value"]) == (2016, 25825)  # AUTM FY2016: 25,825


def test_fig6_parameter_errors(frames):
    with pytest.raises(ParameterError, match=r"years\['JP_UNITT'\]=2010.*2016, 2017, 2018, 2019"):
        f6.validate_params({"years": {"JP_UNITT": 2010}}, frames)
    with pytest.raises(ParameterError, match="unknown choice"):
        f6.validate_params({"metrics": ["royalties"]})
    with pytest.raises(ParameterError, match="normalise"):
        f6.validate_params({"normalise": "yes"})
    with pytest.raises(ParameterError, match="denominator"):
        f6.validate_params({"normalise": True, "metrics": ["research_expenditure"]})
    with pytest.raises(ParameterError, match="unknown parameter"):
        f6.validate_params({"year": 2019})
    with pytest.raises(ParameterError, match="unknown series"):
        f6.validate_params({"years": {"JP": 2019}})
    with pytest.raises(ParameterError, match="lang"):
        f6.validate_params({"lang": "de"})


def test_fig6_outputs_are_deterministic(frames, tmp_path):
    a = f6.make(frames, lang="en", output_dir=str(tmp_path / "a"))
    b = f6.make(frames, lang="en", output_dir=str(tmp_path / "b"))
    for ext in ("png", "svg", "csv"):
        assert a["paths"][ext].read_bytes() == b["paths"][ext].read_bytes(), ext
    assert "FY2020" in a["note"] and "no data" in a["note"]


# ================================================================ figure 7: university finance

def test_fig7_default_is_the_deck_base_year(japan_tidy):
    g = f7.growth_frame(japan_tidy)  # revenue, base 2006, institutions 'auto'
    assert list(g["institution"].unique()) == ["Harvard University"]  # the only one with FY2006 revenue
    h = g.set_index("year")
    # Harvard operating revenue FY2006 $2.9996bn (Harvard Magazine 2007-01), FY2024 $6.5bn
    assert h.loc[2006, "value"] == pytest.approx(2.9996e9) and h.loc[2006, "growth_pct"] == 0
    assert h.loc[2024, "growth_pct"] == pytest.approx((6.5 / 2.9996 - 1) * 100)
    # FY2001, 2003, 2004, 2007 are not in the data: gap rows, not interpolated
    for y in (2001, 2003, 2004, 2007):
        assert h.loc[y, "gap"] and math.isnan(h.loc[y, "value"])


def test_fig7_assets_base_2006_and_kyoto_gaps(japan_tidy):
    g = f7.growth_frame(japan_tidy, base_year=2006, measure="assets").set_index("year")
    assert set(g["institution"]) == {"東北大学"}  # 会計検査院: 18事業年度末 資産 333,626,929千円
    assert g.loc[2024, "value"] == pytest.approx(419_142_206e3)  # NIAD FY2024 資産合計
    assert g.loc[2024, "growth_pct"] == pytest.approx((419_142_206 / 333_626_929 - 1) * 100)
    assert g.loc[2010, "gap"]
    k = f7.growth_frame(japan_tidy, base_year=2005, institutions=["京都大学"], measure="assets").set_index("year")
    # Kyoto: 約3,919億円 (FY2005), 約4,306億円 (FY2008); FY2006-07 missing
    assert k.loc[2008, "growth_pct"] == pytest.approx((4306 / 3919 - 1) * 100)
    assert k.loc[2006, "gap"] and k.loc[2007, "gap"]


def test_fig7_best_source_chosen_by_reliability(japan_tidy):
    g = f7.growth_frame(japan_tidy, base_year=2019, institutions=["京都大学"], measure="revenue").set_index("year")
    # FY2019 経常収益: Board of Audit (primary) 160,693百万円 preferred to NIAD extract 160,693,815千円
    assert g.loc[2019, "source_id"] == "JBAUDIT_R01_0696" and g.loc[2019, "value"] == 160_693e6
    assert "T46_NIAD_FINANCE" in g.loc[2019, "alternatives"]
    assert g.loc[2020, "source_id"] == "T46_NIAD_FINANCE"


def test_fig7_base_year_errors_list_the_years(japan_tidy):
    with pytest.raises(ParameterError, match=r"東京大学 has no assets value in this year; years with data: 2017-2024"):
        f7.validate_params({"base_year": 2006, "institutions": ["東京大学"], "measure": "assets"}, japan_tidy)
    with pytest.raises(ParameterError, match="Harvard University.*no assets data"):
        f7.validate_params({"institutions": ["Harvard University"], "measure": "assets"}, japan_tidy)
    with pytest.raises(ParameterError, match="no named institution has revenue data in this year.*Harvard University: "
                                             "2000, 2002, 2005-2006, 2008-2024"):
        f7.validate_params({"base_year": 1990}, japan_tidy)
    with pytest.raises(ParameterError, match="unknown institution"):
        f7.validate_params({"institutions": ["Stanford University"]}, japan_tidy)
    with pytest.raises(ParameterError, match="measure"):
        f7.validate_params({"measure": "endowment"})
    with pytest.raises(ParameterError, match="base_year"):
        f7.validate_params({"base_year": "2006"})


def test_fig7_any_niad_university_can_be_drawn(japan_tidy):
    g = f7.growth_frame(japan_tidy, base_year=2019, institutions=["大阪大学"], measure="revenue")
    assert g["year"].min() == 2019 and g["year"].max() == 2024 and not g["gap"].any()


def test_fig7_coverage_and_common_base_years(japan_tidy):
    cov = f7.coverage(japan_tidy, "en").set_index(["institution", "measure"])
    assert cov.loc[("Harvard University", "assets"), "years"] == "none"
    assert cov.loc[("Tohoku University", "assets"), "years"] == "2006-2007, 2019-2024"
    common = f7.common_base_years(japan_tidy, "revenue")
    assert 2019 in common and 2006 not in common
    assert f7.common_base_years(japan_tidy, "assets") == []  # no US total-assets series


def test_fig7_outputs_are_deterministic(japan_tidy, tmp_path):
    a = f7.make(japan_tidy, base_year=2019, lang="en", output_dir=str(tmp_path / "a"))
    b = f7.make(japan_tidy, base_year=2019, lang="en", output_dir=str(tmp_path / "b"))
    for ext in ("png", "svg", "csv"):
        assert a["paths"][ext].read_bytes() == b["paths"][ext].read_bytes(), ext
    assert "University of Tokyo: 2012, 2017, 2019-2024 (gaps: 2013-2016, 2018)" in a["note"]


def test_notebook_default_containers_mean_auto_and_latest(frames, japan_tidy):
    # notebooks use {} / [] as defaults so that runner overrides keep the default's type
    assert f6.table(frames, years={}).equals(f6.table(frames, years="latest"))
    auto = f7.growth_frame(japan_tidy, base_year=2019, institutions=[])
    assert list(auto["institution"].unique()) == ["Harvard University", "東京大学", "京都大学", "東北大学"]
    assert f7.best_common_base_year(japan_tidy, "revenue") == 2019  # 4 named institutions have FY2019 revenue
    with pytest.raises(ParameterError, match="institutions"):
        f7.validate_params({"institutions": "東京大学"})
