"""Deck figures 1, 3 and 4 (OECD MSTI): values against the published extract, gaps, flags, parameter errors.

Published checks quoted from data/raw/oecd_msti/SOURCE.md (OECD MSTI, extract of the March 2025 edition):
business researchers FTE, 2011 = 100, year 2021: JPN 107.8, USA 156.3, DEU 145.3, FRA 138.7, CHN 170.0,
KOR 174.7 (GBR ends 2017 = 127.9); HERD financed by business, 2021 (%): CHN 32.6, KOR 14.1, DEU 13.1,
TWN 12.3, GBR 9.3, SGP 7.3, USA 5.1, JPN 3.2, FRA 3.1, and OECD 6.249500539 in the file.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import plotting, vintages
from analysis.errors import ParameterError
from analysis.figures import business_researchers as br
from analysis.figures import herd_business_share as hb

RAW_COLS = ["REF_AREA", "MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION", "TIME_PERIOD", "OBS_VALUE",
            "OBS_STATUS", "UNIT_MULT"]


@pytest.fixture(scope="module")
def raw_msti(raw_dir) -> pd.DataFrame:
    """The raw SDMX-CSV read directly with pandas (independent of analysis.sources.msti)."""
    return pd.read_csv(vintages.folder(raw_dir, "oecd_msti") / "msti_raw.csv.gz", usecols=RAW_COLS, dtype=str,
                       keep_default_na=False)


def raw_series(raw: pd.DataFrame, measure: str, unit: str, price: str = "_Z", transf: str = "_Z") -> pd.DataFrame:
    """Wide year x area frame of one series, filtered on all four key columns, UNIT_MULT applied."""
    s = raw[(raw.MEASURE == measure) & (raw.UNIT_MEASURE == unit) & (raw.PRICE_BASE == price)
            & (raw.TRANSFORMATION == transf) & (raw.OBS_VALUE != "")]
    value = s.OBS_VALUE.astype(float) * 10.0 ** s.UNIT_MULT.astype(int)
    return pd.DataFrame({"area": s.REF_AREA, "year": s.TIME_PERIOD.astype(int), "v": value}).pivot(
        index="year", columns="area", values="v")


def at(frame: pd.DataFrame, entity: str, year: int, col: str):
    row = frame[(frame.entity == entity) & (frame.year == year)]
    assert len(row) == 1, (entity, year, len(row))
    return row.iloc[0][col]


# ------------------------------------------------------------------ figure 1
PUBLISHED_2021 = {"JPN": 107.8, "USA": 156.3, "DEU": 145.3, "FRA": 138.7, "CHN": 170.0, "KOR": 174.7}


def test_fig1_index_2021_matches_published_and_raw(msti_tidy, raw_msti):
    f = br.index_frame(msti_tidy)  # deck defaults: 2011 = 100, JPN USA DEU FRA GBR CHN KOR
    ours = {c: round(at(f, c, 2021, "index"), 1) for c in PUBLISHED_2021}
    assert ours == PUBLISHED_2021
    w = raw_series(raw_msti, "B_RS", "FTE")
    independent = (w.loc[2021] / w.loc[2011] * 100)[list(PUBLISHED_2021)]
    for c in PUBLISHED_2021:
        assert at(f, c, 2021, "index") == pytest.approx(independent[c], rel=1e-12)
    # the level carried alongside the index is the published one (JPN 2021: 529,053 FTE)
    assert at(f, "JPN", 2021, "value") == 529_053.0
    assert at(f, "JPN", 2011, "index") == 100.0


def test_fig1_series_ends_are_not_extended(msti_tidy):
    f = br.index_frame(msti_tidy)
    assert round(at(f, "GBR", 2017, "index"), 1) == 127.9  # last UK value in this edition
    for y in range(2018, 2024):
        assert math.isnan(at(f, "GBR", y, "index")) and at(f, "GBR", y, "status") == "after_last"
    assert math.isnan(at(f, "USA", 2023, "index"))  # USA ends 2022
    ends = br.series_ends(f).set_index("entity")
    assert ends.loc["GBR", "last"] == 2017 and ends.loc["USA", "last"] == 2022 and ends.loc["JPN", "last"] == 2023
    note = br.note(f, "en")
    assert "United Kingdom: series ends in 2017" in note and "United States: series ends in 2022" in note


def test_fig1_gap_is_nan_not_interpolated(msti_tidy, raw_msti):
    # Germany's B_RS has odd years only before 1991: 1981, 1983, ... 1989, then 1991-1993, 1995-2023.
    f = br.index_frame(msti_tidy, countries=["DEU"], base_year=1983, start_year=1981, end_year=1996)
    for gap in (1982, 1984, 1986, 1988, 1990, 1994):
        assert math.isnan(at(f, "DEU", gap, "index")), gap
        assert at(f, "DEU", gap, "status") == "gap"
    w = raw_series(raw_msti, "B_RS", "FTE")["DEU"]
    assert 1982 not in w.dropna().index  # really absent from the published file
    assert at(f, "DEU", 1981, "index") == pytest.approx(w[1981] / w[1983] * 100, rel=1e-12)
    assert br.series_ends(f).loc[0, "gaps"] == [1982, 1984, 1986, 1988, 1990, 1994]
    assert "1982, 1984, 1986, 1988, 1990, 1994" in br.note(f, "en")


def test_fig1_flags_reach_data_plot_and_note(msti_tidy, tmp_path):
    res = br.make(msti_tidy, start_year=2005, lang="en", output_dir=tmp_path)
    f = res["data"]
    assert at(f, "CHN", 2009, "flags") == "B" and at(f, "CHN", 2009, "break")  # China: Frascati break 2009
    assert at(f, "KOR", 2007, "break")
    assert at(f, "DEU", 2012, "estimate") and not at(f, "DEU", 2013, "estimate")  # DEU even years are E
    assert at(f, "FRA", 2023, "provisional")
    assert at(f, "JPN", 2015, "definition_differs")
    csv = pd.read_csv(res["paths"]["csv"], keep_default_na=False)
    assert csv[(csv.entity == "CHN") & (csv.year == 2009)]["flags"].item() == "B"
    # the break is drawn as a diamond at CHN 2009 with a "B" label
    ax = res["figure"].axes[0]
    chn09 = at(f, "CHN", 2009, "index")
    diamonds = [ln for ln in ax.lines if ln.get_marker() == "D" and len(ln.get_xdata())]
    assert any(2009 in list(ln.get_xdata()) and chn09 in list(ln.get_ydata()) for ln in diamonds)
    assert sum(t.get_text() == "B" for t in ax.texts) == int(f["break"].sum())
    # estimates/provisional drawn with open (white-faced) markers
    open_pts = [ln for ln in ax.lines if ln.get_marker() == "o" and ln.get_markerfacecolor() == "white"]
    assert sum(len(ln.get_xdata()) for ln in open_pts) == int(
        ((f.estimate | f.provisional) & ~f["break"] & f["index"].notna()).sum())
    assert "Japan: definition differs (D) 2005-2023" in res["note"]
    plt.close(res["figure"])


def test_fig1_total_researchers_measure(msti_tidy, raw_msti):
    f = br.index_frame(msti_tidy, countries=["JPN", "KOR"], measure="T_RS")
    w = raw_series(raw_msti, "T_RS", "FTE")
    assert at(f, "KOR", 2021, "index") == pytest.approx(w.loc[2021, "KOR"] / w.loc[2011, "KOR"] * 100, rel=1e-12)
    assert (f["indicator"] == "T_RS.FTE._Z._Z").all()


def test_fig1_base_year_missing_names_country_and_years(msti_tidy):
    with pytest.raises(ParameterError) as e:
        br.index_frame(msti_tidy, countries=["JPN", "USA"], base_year=2005, start_year=2000)
    msg = str(e.value)
    assert "USA" in msg and "2008-2022" in msg and "2005" in msg


@pytest.mark.parametrize("params, name", [
    ({"countries": ["XXX"]}, "countries"),
    ({"countries": "JPN"}, "countries"),
    ({"countries": ["JPN", "JPN"]}, "countries"),
    ({"lang": "fr"}, "lang"),
    ({"measure": "B_FB"}, "measure"),
    ({"start_year": 1970}, "start_year"),
    ({"end_year": 2030}, "end_year"),
    ({"start_year": 2015, "end_year": 2012}, "start_year"),
    ({"base_year": 2005}, "base_year"),  # before start_year 2011
    ({"base_year": "2011"}, "base_year"),
    ({"contries": ["JPN"]}, "contries"),
])
def test_fig1_bad_parameters(msti_tidy, params, name):
    with pytest.raises(ParameterError) as e:
        br.validate_params(params, msti_tidy)
    assert e.value.name == name


def test_fig1_unknown_country_lists_valid_choices(msti_tidy):
    with pytest.raises(ParameterError) as e:
        br.validate_params({"countries": ["JPN", "IND"]}, msti_tidy)
    assert e.value.value == "IND" and "JPN" in e.value.choices and "IND" not in e.value.choices


def test_fig1_outputs_deterministic(msti_tidy, tmp_path):
    a = br.make(msti_tidy, output_dir=tmp_path / "a")
    b = br.make(msti_tidy, output_dir=tmp_path / "b")
    for ext in ("png", "svg", "csv"):
        assert a["paths"][ext].read_bytes() == b["paths"][ext].read_bytes(), ext
    assert a["paths"]["png"].name == "fig01_business_researchers_index.png"
    plt.close("all")


# ------------------------------------------------------------------ figure 3
PUBLISHED_SHARE_2021 = {"CHN": 32.6, "KOR": 14.1, "DEU": 13.1, "TWN": 12.3, "GBR": 9.3, "SGP": 7.3,
                        "USA": 5.1, "JPN": 3.2, "FRA": 3.1}


def test_fig3_shares_2021_match_published_and_raw(msti_tidy, raw_msti):
    f = hb.snapshot_frame(msti_tidy)
    s = f.set_index("entity")
    assert {c: round(s.loc[c, "share"], 1) for c in PUBLISHED_SHARE_2021} == PUBLISHED_SHARE_2021
    # OECD total: 6.249500539 in the file (an estimate, E)
    assert s.loc["OECD", "share"] == pytest.approx(6.249500539, abs=1e-9)
    assert s.loc["OECD", "share_flags"] == "E"
    raw = raw_series(raw_msti, "H_FB", "PT_HERD").loc[2021]
    herd = raw_series(raw_msti, "H", "USD_PPP", "Q").loc[2021]
    for c in s.index:
        assert s.loc[c, "share"] == pytest.approx(raw[c], rel=1e-12)
        assert s.loc[c, "herd"] == pytest.approx(herd[c], rel=1e-12)
    # sorted by share, descending: CHN first, FRA last
    assert list(f.entity) == ["CHN", "KOR", "DEU", "TWN", "GBR", "SGP", "OECD", "USA", "JPN", "FRA"]
    assert (f.share_year == 2021).all() and (f.share_status == "observed").all()


def test_fig3_price_basis_and_sort(msti_tidy, raw_msti):
    f = hb.snapshot_frame(msti_tidy, countries=["JPN", "USA", "KOR"], price_basis="current", sort_by="herd")
    cur = raw_series(raw_msti, "H", "USD_PPP", "V").loc[2021]
    assert list(f.entity) == ["USA", "JPN", "KOR"]
    assert f.set_index("entity").loc["JPN", "herd"] == pytest.approx(cur["JPN"], rel=1e-12)
    assert (f.herd_indicator == "H.USD_PPP.V._Z").all()
    g = hb.snapshot_frame(msti_tidy, countries=["JPN", "USA", "KOR"], sort_by="none")
    assert list(g.entity) == ["JPN", "USA", "KOR"]


def test_fig3_missing_year_shown_missing_or_fallback(msti_tidy, tmp_path):
    # DEU and OECD have no business-financed share for 2022 in this edition (DEU ends 2021)
    f = hb.snapshot_frame(msti_tidy, year=2022).set_index("entity")
    assert math.isnan(f.loc["DEU", "share"]) and f.loc["DEU", "share_status"] == "missing"
    assert f.index[-1] in ("DEU", "OECD") and f.index[-2] in ("DEU", "OECD")  # missing sort last
    res = hb.make_snapshot(msti_tidy, year=2022, fallback_latest=True, lang="en", output_dir=tmp_path)
    g = res["data"].set_index("entity")
    assert g.loc["DEU", "share_status"] == "fallback" and g.loc["DEU", "share_year"] == 2021
    assert g.loc["DEU", "share"] == pytest.approx(13.086113, abs=1e-6)
    assert g.loc["JPN", "share_year"] == 2022 and g.loc["JPN", "share_status"] == "observed"
    texts = [t.get_text() for ax in res["figure"].axes for t in ax.texts]
    assert "13.1 D (2021)" in texts  # the bar carries its actual year and its flag
    assert "Germany 2021" in res["note"]
    res2 = hb.make_snapshot(msti_tidy, year=2022, lang="en", output_dir=tmp_path)
    assert [t.get_text() for ax in res2["figure"].axes for t in ax.texts].count("no data") == 2
    assert "No business-financed share value for 2022: Germany, OECD total" in res2["note"]
    plt.close("all")


def test_fig3_note_says_ttb_rate_missing(msti_tidy, tmp_path):
    res = hb.make_snapshot(msti_tidy, output_dir=tmp_path)
    assert "TTB" in res["note"] and "購買力平価" in res["note"]
    assert res["paths"]["png"].name == "fig03_herd_business_share_2021.png"
    csv = pd.read_csv(res["paths"]["csv"], keep_default_na=False)
    assert csv.loc[csv.entity == "USA", "share_flags"].item() == "D"
    plt.close("all")


@pytest.mark.parametrize("params, name", [
    ({"countries": ["XXX"]}, "countries"),
    ({"lang": "de"}, "lang"),
    ({"sort_by": "name"}, "sort_by"),
    ({"price_basis": "real"}, "price_basis"),
    ({"fallback_latest": "yes"}, "fallback_latest"),
    ({"year": 1970}, "year"),
    ({"year": 1970, "fallback_latest": True}, "year"),
    ({"year": 2021.5}, "year"),
    ({"sort": "share"}, "sort"),
])
def test_fig3_bad_parameters(msti_tidy, params, name):
    with pytest.raises(ParameterError) as e:
        hb.validate_params(params, msti_tidy)
    assert e.value.name == name


# ------------------------------------------------------------------ figure 4
def test_fig4_breaks_and_uk_jump(msti_tidy, raw_msti):
    f = hb.trend_frame(msti_tidy, countries=["JPN", "GBR", "USA"], start_year=1995)
    assert list(f.loc[(f.entity == "JPN") & f["break"], "year"]) == [1996, 2008, 2013, 2018]
    assert list(f.loc[(f.entity == "USA") & f["break"], "year"]) == [1998, 2003]
    # United Kingdom: 4.39 % in 2017, 9.25 % in 2018, flagged as a break
    assert at(f, "GBR", 2017, "share") == pytest.approx(4.394951307, abs=1e-9)
    assert at(f, "GBR", 2018, "share") == pytest.approx(9.24862342, abs=1e-9)
    assert at(f, "GBR", 2018, "break") and not at(f, "GBR", 2017, "break")
    raw = raw_series(raw_msti, "H_FB", "PT_HERD")
    obs = f[f.share.notna()]
    for r in obs.itertuples():
        assert r.share == pytest.approx(raw.loc[r.year, r.entity], rel=1e-12)


def test_fig4_gap_china_2001_2002(msti_tidy):
    # CHN's H_FB series: 2000, then 2003-2023
    f = hb.trend_frame(msti_tidy)  # defaults TWN KOR JPN USA CHN DEU, 1995-latest
    for y in (2001, 2002):
        assert math.isnan(at(f, "CHN", y, "share")) and at(f, "CHN", y, "status") == "gap"
    assert at(f, "CHN", 1999, "status") == "before_first"
    assert round(at(f, "CHN", 2021, "share"), 1) == 32.6
    assert at(f, "DEU", 2023, "status") == "after_last"
    note = hb.trend_note(f, "en")
    assert "China: from 2000, no value 2001-2002 (not interpolated)" in note and "Germany: to 2021" in note


def test_fig4_plot_marks_breaks(msti_tidy, tmp_path):
    res = hb.make_trend(msti_tidy, countries=["JPN", "GBR"], start_year=2010, lang="en", output_dir=tmp_path)
    ax = res["figure"].axes[0]
    assert sorted(t.get_text() for t in ax.texts if t.get_text() == "B") == ["B", "B", "B"]  # JPN 13,18; GBR 18
    assert "United Kingdom: break in series (B) 2018" in res["note"]
    plt.close("all")


@pytest.mark.parametrize("params, name", [
    ({"countries": ["JPN"], "start_year": 1970}, "start_year"),
    ({"countries": ["JPN"], "end_year": 2040}, "end_year"),
    ({"countries": ["JPN"], "start_year": 2020, "end_year": 2010}, "start_year"),
    ({"countries": ["JPN", "CHN"], "start_year": 1981, "end_year": 1999}, "countries"),  # CHN from 2000
    ({"start_year": 2000, "lang": "xx"}, "lang"),
    ({"start_year": 2000, "sort_by": "share"}, "sort_by"),  # a figure-3 key in a figure-4 set
])
def test_fig4_bad_parameters(msti_tidy, params, name):
    with pytest.raises(ParameterError) as e:
        hb.validate_params(params, msti_tidy)
    assert e.value.name == name


def test_wrap_note_keeps_width():
    text = "出典：" + "研究開発" * 40 + " and Latin words stay whole"
    out = plotting.wrap_note(text, 30)
    assert out.replace("\n", "").replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert all(sum(plotting._em(c) for c in line) <= 30 for line in out.split("\n"))
    assert "Latin" in out.split("\n")[-1] and "words" in out.split("\n")[-1]


def test_snapshot_files_are_named_by_their_year(msti_tidy, tmp_path):
    out = hb.make_snapshot(msti_tidy, year=2019, output_dir=tmp_path, lang="en")
    assert out["paths"]["png"].name == "fig03_herd_business_share_2019_en.png"
    assert out["data"].shape[0] > 0
    out["figure"].clf()
