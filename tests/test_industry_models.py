"""Industry "two faces of R&D" models: variable construction by hand, recovery of known coefficients on
simulated data, pinned estimates on the EHS panel, and parameter errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.models import industry as ind
from analysis.sources import ehs


@pytest.fixture(scope="module")
def panel(raw_dir):
    return ehs.to_panel(ehs.load(raw_dir))


def _toy() -> pd.DataFrame:
    """Two countries, one sector, years 2000-2003; country B lacks 2002 (a gap, not to be filled)."""
    rows = [
        # id, country, year, lny, lnl, lnk, lnrd
        (1, "USA", 2000, 10.0, 5.0, 10.0, 6.0),
        (1, "USA", 2001, 10.2, 5.0, 10.0, 6.1),
        (1, "USA", 2002, 10.3, 5.1, 10.0, 6.2),
        (1, "USA", 2003, 10.5, 5.1, 10.1, 6.3),
        (2, "JPN", 2000, 9.0, 5.0, 9.0, 4.0),
        (2, "JPN", 2001, 9.3, 5.0, 9.0, 4.5),
        (2, "JPN", 2003, 9.6, 5.0, 9.2, 4.8),
    ]
    df = pd.DataFrame(rows, columns=["id", "country", "year", "lny", "lnl", "lnk", "lnrd"])
    return df.assign(sector="dl", entity=df["country"] + ":dl")


def test_variables_by_hand():
    v = ind.build_variables(_toy(), 0.7, 0.3).set_index(["country", "year"])
    # tfp = lny - 0.7 lnl - 0.3 lnk: USA 2000 = 10 - 3.5 - 3 = 3.5; JPN 2000 = 9 - 3.5 - 2.7 = 2.8
    assert v.loc[("USA", 2000), "tfp"] == pytest.approx(3.5)
    assert v.loc[("JPN", 2000), "tfp"] == pytest.approx(2.8)
    # frontier is the USA; JPN distance 0.7 in 2000; USA distance 0
    assert v.loc[("JPN", 2000), "frontier_country"] == "USA"
    assert v.loc[("JPN", 2000), "dist"] == pytest.approx(0.7)
    assert v.loc[("USA", 2001), "dist"] == 0
    # JPN 2001: tfp 3.1, growth 100*(3.1-2.8) = 30; lagged distance 0.7; frontier growth 100*(3.7-3.5) = 20
    assert v.loc[("JPN", 2001), "dtfp"] == pytest.approx(30.0)
    assert v.loc[("JPN", 2001), "dist_l1"] == pytest.approx(0.7)
    assert v.loc[("JPN", 2001), "dtfp_frontier"] == pytest.approx(20.0)
    # intensity at t-1 = lnrd - lny in 2000 = 4 - 9 = -5 (before centring)
    assert v.loc[("JPN", 2001), "rdint_uncentred"] == pytest.approx(-5.0)
    # the gap: JPN 2003 has no 2002 row -> no growth, no lag, out of the sample (nothing interpolated)
    assert np.isnan(v.loc[("JPN", 2003), "dtfp"]) and not v.loc[("JPN", 2003), "in_sample"]
    # frontier growth in 2003 is still defined (the USA is observed in 2002 and 2003):
    # tfp 2003 = 10.5 - 3.57 - 3.03 = 3.90, tfp 2002 = 10.3 - 3.57 - 3.00 = 3.73 -> 17
    assert v.loc[("USA", 2003), "dtfp_frontier"] == pytest.approx(17.0, abs=1e-9)
    # centring: the in-sample mean of rdint_l1 is zero
    assert v.loc[v["in_sample"], "rdint_l1"].mean() == pytest.approx(0.0, abs=1e-12)
    assert v["in_sample"].sum() == 4  # USA 2001-2003, JPN 2001


def test_intensity_as_growth_and_second_lag():
    v = ind.build_variables(_toy(), 0.7, 0.3, intensity="drdk").set_index(["country", "year"])
    # drdk in 2001 for JPN = 100*(4.5-4.0) = 50, used at t-1 -> first available for 2002 (absent) -> none in sample
    assert v.loc[("JPN", 2001), "rdint_raw"] == pytest.approx(50.0)
    assert v.loc[("USA", 2002), "rdint_uncentred"] == pytest.approx(10.0)
    v2 = ind.build_variables(_toy(), 0.7, 0.3, rd_lag=2).set_index(["country", "year"])
    assert v2.loc[("USA", 2002), "rdint_uncentred"] == pytest.approx(6.0 - 10.0)  # 2000 value


def _simulated(seed: int = 0, n_units: int = 120, n_years: int = 20) -> tuple[pd.DataFrame, dict]:
    """A panel with unit and year effects and known coefficients on the four model regressors."""
    rng = np.random.default_rng(seed)
    coefs = {"rdint_l1": 1.5, "dist_l1": 6.0, "rdint_l1:dist_l1": 2.0, "dtfp_frontier": 0.25}
    ids = np.repeat(np.arange(n_units), n_years)
    years = np.tile(np.arange(1990, 1990 + n_years), n_units)
    unit_fe = rng.normal(0, 2, n_units)[ids]
    year_fe = rng.normal(0, 1, n_years)[years - 1990]
    rdint = rng.normal(0, 1.5, ids.size) + 0.3 * unit_fe  # correlated with the unit effect
    dist = np.abs(rng.normal(0.4, 0.3, ids.size)) + 0.05 * unit_fe ** 2
    dfront = rng.normal(2.5, 5, n_years)[years - 1990] + rng.normal(0, 1, ids.size)
    y = (coefs["rdint_l1"] * rdint + coefs["dist_l1"] * dist + coefs["rdint_l1:dist_l1"] * rdint * dist
         + coefs["dtfp_frontier"] * dfront + 3 * unit_fe + year_fe + rng.normal(0, 3, ids.size))
    df = pd.DataFrame({"id": ids, "year": years, "country": (ids % 10).astype(str), "dtfp": y,
                       "rdint_l1": rdint, "dist_l1": dist, "dtfp_frontier": dfront, "in_sample": True})
    return df, coefs


def test_fe_estimator_recovers_known_coefficients():
    df, coefs = _simulated()
    fitted = ind.fit(df, "id")
    for term, true in coefs.items():
        row = fitted.row(term)
        assert abs(row["estimate"] - true) < 4 * row["std_error"], term
        assert row["ci_low"] < true < row["ci_high"] or abs(row["estimate"] - true) < 3 * row["std_error"]
    assert fitted.row("rdint_l1:dist_l1")["estimate"] == pytest.approx(2.0, abs=0.3)
    assert fitted.n_clusters == 120 and fitted.n_obs == 2400


def test_fe_estimator_is_not_fooled_by_unit_effects():
    # Without the unit effects the estimate of rdint_l1 would absorb 0.3*3/var: check the FE model does not.
    df, coefs = _simulated(seed=3)
    import statsmodels.formula.api as smf
    pooled = smf.ols("dtfp ~ rdint_l1 * dist_l1 + dtfp_frontier + C(year)", df).fit().params["rdint_l1"]
    fe = ind.fit(df, "id").row("rdint_l1")["estimate"]
    assert abs(fe - coefs["rdint_l1"]) < 0.2 < abs(pooled - coefs["rdint_l1"])


# --- real data: the registered headline model and the late-entrant robustness run ---------------------------

@pytest.fixture(scope="module")
def real_results(panel):
    res, used = ind.run(panel, reps=999, seed=20261129)
    return res.set_index(["model", "term"]), used


def test_headline_estimates_pinned(real_results):
    res, used = real_results
    h = res.loc["(1) headline"]
    # interaction (I1): -1.078 (se 0.823), N 2,518 country-sector-years, 119 clusters
    assert h.loc["rdint_l1:dist_l1", "estimate"] == pytest.approx(-1.078, abs=0.001)
    assert h.loc["rdint_l1:dist_l1", "std_error"] == pytest.approx(0.823, abs=0.001)
    assert h.loc["dist_l1", "estimate"] == pytest.approx(6.651, abs=0.001)
    assert h.loc["rdint_l1", "estimate"] == pytest.approx(1.782, abs=0.001)
    assert h.loc["dtfp_frontier", "estimate"] == pytest.approx(0.227, abs=0.001)
    assert int(h.loc["rdint_l1:dist_l1", "n_obs"]) == 2518 and int(h.loc["dist_l1", "n_clusters"]) == 119
    assert h.loc["rdint_l1:dist_l1", "verdict"] == "not supported"
    assert h.loc["dist_l1", "verdict"] == "supported"
    assert h.loc["rdint_l1", "verdict"] == "supported"
    assert used["(1) headline"] == (0.7, 0.3)


def test_late_entrants_dropped_pinned(real_results):
    res, _ = real_results
    r = res.loc["(2) without GER, SWE, PRT"]
    assert r.loc["rdint_l1:dist_l1", "estimate"] == pytest.approx(-0.389, abs=0.001)
    assert int(r.loc["rdint_l1:dist_l1", "n_obs"]) == 2096 and int(r.loc["rdint_l1:dist_l1", "n_clusters"]) == 84
    assert (r["role"].isin(["robustness", "control"])).all() and (r["verdict"] == "").all()


def test_bootstrap_rows_agree_with_cr1_direction(real_results):
    res, _ = real_results
    wb = res.loc[("(1) headline WCR", "rdint_l1:dist_l1")]
    cr1 = res.loc[("(1) headline", "rdint_l1:dist_l1")]
    assert wb["estimate"] == pytest.approx(cr1["estimate"], rel=1e-10)
    assert wb["std_error"] == pytest.approx(cr1["std_error"], rel=1e-10)
    assert 0.1 < wb["p_value"] < 0.3  # 119 clusters: close to the CR1 p of 0.193
    assert wb["ci_low"] < wb["estimate"] < wb["ci_high"] and wb["ci_low"] < 0 < wb["ci_high"]
    few = res.loc[("(7) clustered by country WCR", "rdint_l1:dist_l1")]
    assert int(few["n_clusters"]) == 10 and few["p_value"] > 0.1


def test_estimated_elasticities_match_two_way_fe(real_results, panel):
    _, used = real_results
    a_l, a_k = used["(4) estimated elasticities"]
    # lny ~ lnl + lnk + id FE + year FE on the full panel (R&D capital excluded on purpose)
    assert (a_l, a_k) == pytest.approx(ind.production_elasticities(panel), rel=1e-12)
    assert 0.5 < a_l < 0.7 and 0.4 < a_k < 0.6


def test_frontier_leaders(panel):
    v = ind.build_variables(ind.select(panel), 0.7, 0.3)
    shares = ind.frontier_shares(v)
    assert shares.sum(axis=1).eq(26).all()  # 26 sector-years per sector, 1980-2005
    assert shares.loc["dm", "USA"] == 25  # transport equipment: US frontier in 25 of 26 years
    assert (v["dist"] >= 0).all() and (v.groupby(["sector", "year"])["dist"].min() == 0).all()


def test_replication_rows(panel):
    rep = ind.replication_rows(panel).set_index(["model", "term"])
    # SOURCE.md sanity regressions: lnrd 0.096 (se 0.014) with year FE; 0.063 (se 0.048) two-way FE
    assert rep.loc[("sanity: year FE", "lnrd"), "estimate"] == pytest.approx(0.096, abs=0.0005)
    assert rep.loc[("sanity: two-way FE", "lnrd"), "std_error"] == pytest.approx(0.048, abs=0.0005)
    assert set(rep["role"]) == {"replication"}


# --- parameters ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params,name", [
    ({"countries": ["JPN", "DEU"]}, "countries"),
    ({"drop_countries": ["XXX"]}, "drop_countries"),
    ({"countries": "JPN"}, "countries"),
    ({"countries": ["JPN", "USA"], "drop_countries": ["USA"]}, "countries"),
    ({"start_year": 1970}, "start_year"),
    ({"start_year": 2000, "end_year": 2001}, "end_year"),
    ({"elasticities": "cobb"}, "elasticities"),
    ({"estimator": "gmm"}, "estimator"),
    ({"intensity": "rd_va"}, "intensity"),
    ({"rd_lag": 3}, "rd_lag"),
    ({"cluster": "sector"}, "cluster"),
    ({"weights": "mammen"}, "weights"),
    ({"reps": 50}, "reps"),
    ({"seed": -1}, "seed"),
    ({"lang": "fr"}, "lang"),
    ({"output_dir": 3}, "output_dir"),
])
def test_validate_params_names_the_parameter(params, name):
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        ind.validate_params(params)


def test_unknown_country_lists_choices():
    with pytest.raises(ParameterError, match="Germany is GER.*valid choices: DNK, FIN, GBR, GER"):
        ind.validate_params({"countries": ["DEU"]})


def test_empty_sample(panel):
    # SWE and PRT enter in 1993 and 1995: nothing before
    with pytest.raises(ParameterError, match="empty sample for 1980-1990"):
        ind.select(panel, ["SWE", "PRT"], [], 1980, 1990)
    # one year of data: no growth rates, no lags
    with pytest.raises(ParameterError, match="empty sample"):
        ind.build_variables(panel[panel["year"] == 2000], 0.7, 0.3)


def test_default_params_pass():
    ind.validate_params({"countries": list(ind.COUNTRIES), "drop_countries": [], "start_year": 1980,
                         "end_year": 2005, "estimator": "ols_twfe", "elasticities": "convention_70_30", "intensity": "rdk_output",
                         "rd_lag": 1, "cluster": "id", "weights": "webb", "reps": 9999, "seed": 20261129,
                         "lang": "ja", "output_dir": "", "papermill_extra": object()})


def test_plot_data_and_summary(real_results):
    import matplotlib.pyplot as plt

    from analysis import plotting
    plotting.set_style()  # the house font has the Japanese glyphs
    res, _ = real_results
    flat = res.reset_index()
    fig, data = ind.coefficient_plot(flat, "en")
    assert set(data["term"]) == {"rdint_l1:dist_l1", "dist_l1", "rdint_l1"}
    assert data["model"].nunique() == 10  # 7 models + 3 bootstrap rows
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "(1) headline"
    fig_ja, _ = ind.coefficient_plot(flat, "ja")
    assert [t.get_text() for t in fig_ja.axes[0].get_yticklabels()][-1] == "(1) 主推定（10か国）"
    lines = ind.summary_lines(flat)
    assert lines[0].startswith("I1 (rdint_l1:dist_l1): estimate -1.0779") and lines[0].endswith("not supported")
    plt.close(fig)
    plt.close(fig_ja)
    with pytest.raises(ParameterError, match="parameter lang="):
        ind.coefficient_plot(flat, "fr")
