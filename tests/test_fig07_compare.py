"""Figure 7's base-2019 (IPEDS, NIAD) and base-2006 views: values against the raw files, the computed national
total, gaps, the 私大連 break, parameters."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from analysis import data, paths
from analysis.errors import ParameterError
from analysis.figures import university_finance_compare as cmp
from analysis.figures import university_finance_views as views
from analysis.sources import folders, ipeds


@pytest.fixture(scope="module")
def frames():
    return {name: data.load(name) for name in cmp.DATASETS}


def raw_ipeds(series, entity, year):
    path = folders.source_folder(paths.raw_dir(), ipeds.SOURCE) / ipeds.FILE
    for r in csv.DictReader(path.open(encoding="utf-8")):
        if (r["series"], r["entity"], r["year"]) == (series, entity, str(year)):
            return float(r["value"])
    raise KeyError((series, entity, year))


def test_base2019_us_values_and_growth_from_raw(frames):
    f = cmp.base2019_frame(frames)
    h = f[(f["institution"] == "Princeton University") & (f["measure"] == "revenue")].set_index("year")
    v19 = raw_ipeds("ipeds_f2_total_revenues_and_investment_return", "Princeton University", 2019)
    v21 = raw_ipeds("ipeds_f2_total_revenues_and_investment_return", "Princeton University", 2021)
    assert h.loc[2019, "value"] == v19 and h.loc[2021, "value"] == v21
    assert h.loc[2021, "growth_pct"] == pytest.approx((v21 / v19 - 1) * 100)
    a = f[(f["institution"] == "Harvard University") & (f["measure"] == "assets")].set_index("year")
    assert a.loc[2019, "value"] == 59_327_153_000 == raw_ipeds("ipeds_f2_total_assets", "Harvard University", 2019)
    assert set(f.loc[f["country"] == "USA", "year"]) == {2019, 2020, 2021, 2022, 2023}


def test_base2019_japan_named_and_total(frames):
    f = cmp.base2019_frame(frames)
    jp = frames["japan"]
    assert cmp.largest_niad(jp) == ["東京大学", "京都大学", "大阪大学", "九州大学", "東北大学"]
    tot, keep, left = cmp.niad_balanced(jp, "assets")
    assert len(keep) == 85 and "東海国立大学機構" in left and "東京大学" in keep
    sub = jp[(jp["indicator"] == "niad_assets") & jp["entity"].isin(keep) & (jp["year"] == 2024)]
    row = f[(f["institution"] == "niad_total") & (f["measure"] == "assets") & (f["year"] == 2024)].iloc[0]
    assert row["value"] == pytest.approx(sub["value"].sum()) and bool(row["computed"])
    ut = f[(f["institution"] == "東京大学") & (f["measure"] == "assets")].set_index("year")
    assert ut.loc[2019, "value"] == 1_417_410_067_000  # NIAD 1,417,410,067 千円


def test_base2006_series_gaps_and_break(frames):
    f = cmp.base2006_frame(frames)
    assert set(f["institution"]) == {"Harvard University", "東北大学", cmp.SHIDAIREN_ENTITY}
    assert (f.loc[f["year"] == 2006, "growth_pct"] == 0).all()
    sd = f[f["institution"] == cmp.SHIDAIREN_ENTITY].set_index("year")
    # 私大連 表7: FY2006 1,526,278, FY2024 1,688,562 百万円
    assert sd.loc[2024, "growth_pct"] == pytest.approx((1_688_562 / 1_526_278 - 1) * 100)
    assert bool(sd.loc[2007, "gap"]) and np.isnan(sd.loc[2007, "value"])  # biennial before FY2014
    assert sd.loc[2015, "flags"] == "B" and sd.loc[2014, "flags"] == ""
    toh = f[f["institution"] == "東北大学"].set_index("year")
    assert bool(toh.loc[2010, "gap"]) and not bool(toh.loc[2019, "gap"])
    # a line never bridges a gap
    segs = cmp.segments(toh.index.to_numpy(float), toh["growth_pct"].to_numpy(float))
    assert [list(map(int, s[0])) for s in segs] == [[2006, 2007], list(range(2019, 2025))]


@pytest.mark.parametrize("params,match", [
    ({"compare_base_year": 2018}, "compare_base_year=2018: not a year with both"),
    ({"jp_universities": ["架空大学"]}, "jp_universities='架空大学': no data"),
    ({"us_institutions": ["Columbia University"]}, "us_institutions='Columbia University'"),
    ({"jp_universities": ["東海国立大学機構"], "compare_base_year": 2019}, "東海国立大学機構 has no NIAD value"),
])
def test_bad_compare_parameters(frames, params, match):
    with pytest.raises(ParameterError, match=match):
        views.validate_params(params, frames)


@pytest.fixture(scope="module")
def default_en(frames, tmp_path_factory):
    """``views.make`` with its defaults in English, drawn once for the tests that read it."""
    return views.make(frames, lang="en", output_dir=tmp_path_factory.mktemp("views"))


def test_views_write_files_and_notes(default_en):
    r = default_en
    for view in ("base2019", "base2006"):
        for ext in ("png", "svg", "csv"):
            assert r[view]["paths"][ext].exists()
    assert "includes investment gains" in r["base2019"]["note"]
    assert "left out (mergers" in r["base2019"]["note"]
    assert "Harvard University [revenue]: 2000, 2002, 2005-2006, 2008-2024 (gaps 2001, 2003-2004, 2007)" \
        in r["base2006"]["note"]


def test_note_names_the_choice_of_japanese_universities(frames, default_en, tmp_path):
    auto = default_en["base2019"]["note"]
    chosen = views.make(frames, jp_universities=["東京大学"], lang="en", output_dir=tmp_path / "b")["base2019"]["note"]
    assert "the five largest by FY2019 total assets" in auto and "as chosen (jp_universities)" in chosen
    assert "University of Tokyo [assets]: 2019-2024" in chosen and "Kyoto" not in chosen
