"""Country-level models: panel built from the raw files, estimators recover known coefficients, real-data pins,
parameter errors. pwt_tidy and raw_msti (the raw MSTI extract read as strings, independently of the loader) are
the session fixtures of tests/conftest.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.models import country


@pytest.fixture(scope="module")
def panel(msti_tidy, pwt_tidy):
    return country.build_panel(msti_tidy, pwt_tidy)


@pytest.fixture(scope="module")
def res(msti_tidy, pwt_tidy):
    return country.estimate(msti_tidy, pwt_tidy, {"bootstrap_reps": 199})


def _raw(raw_msti, area, measure, unit, year):
    r = raw_msti[(raw_msti.REF_AREA == area) & (raw_msti.MEASURE == measure) & (raw_msti.UNIT_MEASURE == unit)
                 & (raw_msti.PRICE_BASE == "_Z") & (raw_msti.TRANSFORMATION == "_Z")
                 & (raw_msti.TIME_PERIOD == str(year))]
    assert len(r) == 1
    return float(r.OBS_VALUE.iloc[0]) * 10 ** int(r.UNIT_MULT.iloc[0]), r.OBS_STATUS.iloc[0]


# ---- panel ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("iso,year", [("JPN", 2021), ("JPN", 2011), ("KOR", 2015), ("DEU", 2019)])
def test_business_researchers_per_1000_employed_from_raw(panel, raw_msti, iso, year):
    bres, _ = _raw(raw_msti, iso, "B_RS", "FTE", year)
    emp, _ = _raw(raw_msti, iso, "TOT_EMP", "PS", year)  # UNIT_MULT 3: thousands
    row = panel[(panel.entity == iso) & (panel.year == year)].iloc[0]
    assert row.bres_per_1000emp == pytest.approx(bres / emp * 1000, rel=1e-12)
    if (iso, year) == ("JPN", 2021):
        # 529,053 FTE business researchers (MSTI) over 68.207 million employed: 7.757 per 1000
        assert row.bres_per_1000emp == pytest.approx(7.7566, abs=1e-4)


def test_panel_flags_and_has_break(panel):
    p = panel.set_index(["entity", "year"])
    assert "B" in p.loc[("CHN", 2009), "bres_flags"]  # China: break in business researchers in 2009
    assert "B" in p.loc[("CHN", 2009), "bres_per_1000emp_flags"]
    assert "D" in p.loc[("JPN", 2021), "bres_flags"]
    c2 = next(s for s in country.SPECS if s.outcome == "herd_fb")
    mf = country.model_frame(panel, c2).data.set_index(["entity", "year"])
    assert bool(mf.loc[("CHN", 2009), "has_break"]) and bool(mf.loc[("KOR", 2007), "has_break"])  # B_RS breaks
    assert not bool(mf.loc[("FRA", 2015), "has_break"])
    nb = country.model_frame(panel, c2, drop_breaks=True).data
    assert not nb.has_break.any() and len(nb) == len(mf) - int(mf.has_break.sum())
    assert "OECD" not in set(panel.entity) and "EU27_2020" not in set(panel.entity)


def test_lags_use_the_exact_previous_year(panel):
    c2 = next(s for s in country.SPECS if s.outcome == "herd_fb")
    mf = country.model_frame(panel, c2, lag=1, centre=False).data.set_index(["entity", "year"])
    p = panel.set_index(["entity", "year"])
    assert mf.loc[("JPN", 2021), "berd_gdp"] == p.loc[("JPN", 2020), "berd_gdp"]
    # DEU business researchers are published for odd years only before 1991 (SOURCE.md): with lag 1 the
    # odd years drop out (no value at t-1) and the even years enter with the previous odd year's value
    deu0 = country.model_frame(panel, c2, lag=0).data
    assert sorted(deu0[(deu0.entity == "DEU") & (deu0.year < 1995)].year) == [1981, 1983, 1985, 1987, 1989,
                                                                              1991, 1992, 1993]
    deu1 = mf.loc["DEU"]
    assert [y for y in deu1.index if y < 1995] == [1982, 1984, 1986, 1988, 1990, 1992, 1993, 1994]
    assert deu1.loc[1990, "bres_per_1000emp"] == pytest.approx(p.loc[("DEU", 1989), "bres_per_1000emp"])


def test_tfp_growth_from_pwt(panel, pwt_tidy):
    t = pwt_tidy[(pwt_tidy.indicator == "rtfpna") & (pwt_tidy.entity == "JPN")].set_index("year").value
    row = panel[(panel.entity == "JPN") & (panel.year == 2019)].iloc[0]
    assert row.tfp_growth == pytest.approx(100 * np.log(t[2019] / t[2018]), rel=1e-12)
    assert panel[panel.year >= 2020].tfp_growth.isna().all()  # PWT ends in 2019: a gap, not a guess


# ---- estimators on simulated data -------------------------------------------------------------------------------
def _simulated_panel(seed=7, n=30, t=25):
    rng = np.random.default_rng(seed)
    ent = np.repeat([f"C{i:02d}" for i in range(n)], t)
    yr = np.tile(np.arange(2000, 2000 + t), n)
    a = np.repeat(rng.normal(0, 1, n), t)
    g = np.tile(rng.normal(0, 0.3, t), n)
    x1 = a * 0.5 + rng.normal(0, 1, n * t)
    x2 = rng.normal(0, 1, n * t) + 0.3 * x1
    return pd.DataFrame({"entity": ent, "year": yr, "a": a, "g": g, "x1": x1, "x2": x2}), rng


def test_ols_twfe_recovers_coefficients():
    df, rng = _simulated_panel()
    df["y"] = 1.0 + 0.8 * df.x1 - 0.5 * df.x2 + 0.3 * df.x1 * df.x2 + df.a + df.g + rng.normal(0, 0.2, len(df))
    spec = country.Spec("sim", "y", ("x1", "x2"), {"S": "x1:x2"}, True)
    mf = country.ModelFrame(spec, df.assign(has_break=False), 0, "sim")
    fit = country.fit_ols(mf)
    est = fit.result.params
    assert est["x1"] == pytest.approx(0.8, abs=0.03)
    assert est["x2"] == pytest.approx(-0.5, abs=0.03)
    assert est["x1:x2"] == pytest.approx(0.3, abs=0.02)
    assert fit.n_clusters == 30 and fit.n_obs == 750
    row = fit.row("x1:x2")
    assert row["ci_low"] < 0.3 < row["ci_high"]


def test_ppml_recovers_coefficients():
    df, rng = _simulated_panel(seed=11)
    mu = np.exp(1.5 + 0.6 * df.x1 + 0.2 * df.x2 + 0.1 * df.x1 * df.x2 + 0.5 * df.a + df.g)
    df["count"] = rng.poisson(mu)
    df["logc"] = np.log(df["count"].where(df["count"] > 0))
    spec = country.Spec("sim", "logc", ("x1", "x2"), {"S": "x1:x2"}, True, count="count")
    mf = country.ModelFrame(spec, df.assign(has_break=False), 0, "sim")
    out = country.fit_ppml(mf)
    assert out["x1"]["estimate"] == pytest.approx(0.6, abs=0.05)
    assert out["x2"]["estimate"] == pytest.approx(0.2, abs=0.05)
    assert out["x1:x2"]["estimate"] == pytest.approx(0.1, abs=0.04)
    assert out["x1"]["n_clusters"] == 30


# ---- real-data pins -------------------------------------------------------------------------------------------
def _row(table, model, term):
    r = table[(table.model == model) & (table.term == term)]
    assert len(r) == 1, (model, term)
    return r.iloc[0]


def test_real_estimates_sign_and_size(res):
    t = res.table
    c1a = _row(t, "C1 triadic: OLS", "log_berd:log_herd")
    assert 0.0 < c1a.estimate < 0.1 and c1a.n_obs == 1395 and c1a.n_clusters == 47
    assert c1a.verdict == "not supported"  # positive but p ~ 0.11 with CR1
    c1b = _row(t, "C1 PCT: OLS", "log_berd:log_herd")
    assert 0.03 < c1b.estimate < 0.10 and c1b.p_value < 0.05 and c1b.verdict == "supported"
    c1c = _row(t, "C1 triadic: OLS", "log_herd")
    assert 0.3 < c1c.estimate < 0.7 and c1c.verdict == "supported"
    c2a = _row(t, "C2 HERD financed by business: OLS", "berd_gdp")
    c2b = _row(t, "C2 HERD financed by business: OLS", "bres_per_1000emp")
    assert c2a.verdict == "not supported" and c2b.verdict == "not supported" and c2a.n_clusters == 44
    c3 = _row(t, "C3 TFP growth: OLS", "berd_gdp:herd_gdp")
    assert c3.verdict == "not supported" and c3.p_value > 0.5
    # the C1b result rests on few clusters: the wild bootstrap p-value is much larger than the CR1 one
    wcr = _row(t, "C1 PCT: WCR bootstrap", "log_berd:log_herd")
    assert wcr.estimate == pytest.approx(c1b.estimate, rel=1e-9) and wcr.p_value > c1b.p_value
    # ... and without China the interaction is not distinguishable from zero
    assert _row(t, "C1 PCT: no CHN", "log_berd:log_herd").p_value > 0.1


def test_verdicts_only_on_hypothesis_rows(res):
    t = res.table
    assert set(t[t.role == "hypothesis"].hypothesis) == {"C1a", "C1b", "C1c", "C2a", "C2b", "C3a"}
    assert (t[t.role != "hypothesis"].verdict == "").all()
    rv = country.robustness_verdicts(t)
    assert set(rv.rule) <= {"supported", "not supported", "contrary"} and len(rv) > 20


def test_japan_path(res):
    j = res.japan
    assert set(j.model) == {s.name for s in country.SPECS}
    c2 = j[j.model == "C2 HERD financed by business"].set_index("year")
    assert c2.loc[2021, "actual"] == pytest.approx(3.2, abs=0.05)  # MSTI: JPN HERD financed by business 2021, 3.2%
    assert (c2.actual - c2.fitted - c2.residual).abs().max() < 1e-12
    assert bool(c2.loc[2008, "has_break"])  # SOURCE.md: JPN H_FB breaks in 1996, 2008, 2013, 2018


def test_deterministic(msti_tidy, pwt_tidy):
    params = {"years": [2000, 2019], "bootstrap_reps": 99}
    first = country.estimate(msti_tidy, pwt_tidy, params)
    again = country.estimate(msti_tidy, pwt_tidy, params)
    pd.testing.assert_frame_equal(again.table, first.table)
    assert first.table["sample"].str.contains("2000-2019").all()


# ---- parameters ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params,match", [
    ({"countries": ["JPN", "XXX"]}, r"countries=\['XXX'\].*valid choices: ARG, AUS"),
    ({"countries": ["OECD", "JPN"]}, "aggregates OECD and EU27_2020 are not allowed"),
    ({"exclude": ["ZZZ"]}, r"exclude=\['ZZZ'\]"),
    ({"countries": "JPN"}, "give a list of ISO3 codes"),
    ({"years": [1950, 1970]}, "no data: OECD MSTI covers 1981-2024"),
    ({"years": [2010, 2000]}, "first year is after the last year"),
    ({"years": 2010}, r"give \[first, last\]"),
    ({"lags": 5}, r"lags=5.*valid choices: 0, 1, 2, 3"),
    ({"lang": "fr"}, "valid choices: ja, en"),
    ({"drop_breaks": "yes"}, "must be True or False"),
    ({"bootstrap_reps": 10}, "integer >= 99"),
    ({"countries": ["JPN", "KOR"], "exclude": ["KOR"]}, "fewer than 2 economies"),
    ({"estimator": "iv"}, r"unknown parameter\(s\).*valid choices"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ParameterError, match=match):
        country.validate_params(params)


def test_valid_parameters_pass():
    country.validate_params({"years": [1995, 2019], "countries": None, "exclude": ["CHN"], "drop_breaks": True,
                             "lags": 1, "lang": "en", "bootstrap_reps": 199, "output_dir": ""})


def test_year_range_without_data(msti_tidy, pwt_tidy):
    # 1981-1984: MSTI has R&D data, but triadic patent families start in 1985
    with pytest.raises(ParameterError, match="C1 triadic.*fewer than 2 economies"):
        country.estimate(msti_tidy, pwt_tidy, {"years": [1981, 1984], "bootstrap_reps": 99})
