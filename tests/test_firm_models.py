"""Count-panel estimators and the firm-level models on the Cincera (1997) panel.

Simulated data check that each estimator recovers known coefficients; real-data tests pin the replication and
the registered F1 estimate so that a change in cleaning or estimation that moves them fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.errors import ParameterError
from analysis.models import count_panel as cp
from analysis.models import firm
from analysis.sources import cincera

SEED = 20261129


@pytest.fixture(scope="module")
def panel(raw_dir):
    # built from raw so that the tests do not depend on `analysis data` having been run
    panel = cincera.to_panel(cincera.load(raw_dir))
    return panel.sort_values(["firm", "year"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def replication(panel):
    return firm.replication(panel)


@pytest.fixture(scope="module")
def estimates(panel):
    return firm.estimate(panel)


# ------------------------------------------------------------------ simulated data: known coefficients


def test_fe_poisson_recovers_coefficients_with_correlated_effects():
    # 400 firms x 6 years; firm effects correlated with x1, so pooled Poisson is biased but FE is not.
    # With ~2,400 obs and mean count ~3 the FE standard errors are about 0.01; tolerance 0.04 = 4 SE.
    rng = np.random.default_rng(SEED)
    n, t = 400, 6
    a = rng.normal(0, 1, n)
    g = np.repeat(np.arange(n), t)
    x1 = 0.8 * a[g] + rng.normal(0, 1, n * t)
    x2 = rng.normal(0, 1, n * t)
    y = rng.poisson(np.exp(0.5 + a[g] + 0.5 * x1 - 0.3 * x2))
    X = pd.DataFrame({"x1": x1, "x2": x2})
    fit = cp.fe_poisson(y, X, g)
    assert fit.params["x1"] == pytest.approx(0.5, abs=0.04)
    assert fit.params["x2"] == pytest.approx(-0.3, abs=0.04)
    assert 0.005 < fit.bse["x1"] < 0.02
    pooled = cp.pooled_poisson(y, X.assign(const=1.0), g)
    assert pooled.params["x1"] > 0.8  # the bias FE removes: the test would not tell FE from pooled otherwise


def test_pooled_poisson_recovers_coefficients():
    # 4,000 obs, mean count ~2.9: SEs about 0.01; tolerance 0.04 = 4 SE
    rng = np.random.default_rng(SEED + 1)
    n = 4000
    x1, x2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    y = rng.poisson(np.exp(1 + 0.5 * x1 - 0.25 * x2))
    X = pd.DataFrame({"const": 1.0, "x1": x1, "x2": x2})
    fit = cp.pooled_poisson(y, X, np.repeat(np.arange(n // 4), 4))
    assert fit.params.to_numpy() == pytest.approx([1.0, 0.5, -0.25], abs=0.04)


def test_negbin_recovers_coefficients_and_dispersion():
    # NB2 with alpha = 0.8, 4,000 obs: slope SEs ~0.018 (tolerance 0.07 = 4 SE), alpha SE ~0.027 (tolerance 0.11)
    rng = np.random.default_rng(SEED + 2)
    n = 4000
    x1, x2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    mu = np.exp(1 + 0.5 * x1 - 0.25 * x2)
    y = rng.poisson(rng.gamma(1 / 0.8, 0.8 * mu))
    X = pd.DataFrame({"const": 1.0, "x1": x1, "x2": x2})
    fit = cp.negbin(y, X, np.repeat(np.arange(n // 4), 4))
    assert fit.params[["const", "x1", "x2"]].to_numpy() == pytest.approx([1.0, 0.5, -0.25], abs=0.07)
    assert fit.params["alpha"] == pytest.approx(0.8, abs=0.11)


# ------------------------------------------------------------------ agreement with other implementations


def test_fe_poisson_equals_poisson_with_firm_dummies(replication):
    s = replication["sample"]
    cols = list(replication["coefficients"].index)
    dummies = firm.firm_dummy_check(s, cols)
    ours = replication["coefficients"]
    assert np.max(np.abs(dummies["estimate"] - ours["estimate"])) < 1e-7
    assert np.max(np.abs(dummies["std_error"] - ours["se_model"])) < 1e-7


def test_fe_poisson_matches_statsmodels_conditional_poisson(replication):
    # statsmodels drops firm 97 (one patent every year 1987-1991) although it is informative; compare without it
    s = replication["sample"]
    cols = list(replication["coefficients"].index)
    sm_fit = firm.statsmodels_check(s, cols)
    assert sm_fit.attrs["constant_positive_firms"] == [97]
    k = s[s["firm"] != 97]
    ours = cp.fe_poisson(k["patent"], k[cols], k["firm"])
    assert np.max(np.abs(sm_fit["estimate"] - ours.params)) < 1e-8
    # statsmodels takes bse from a numerical Hessian (finite differences): agreement to 1e-3 relative
    assert np.allclose(sm_fit["std_error"], np.sqrt(np.diag(ours.cov_model)), rtol=1e-3)


def test_cluster_sandwich_matches_statsmodels(panel):
    y, X, g, _ = firm.design(panel, "pooled_poisson")
    ours = cp.pooled_poisson(y, X, g)
    ref = sm.GLM(y.to_numpy(float), X, family=sm.families.Poisson()).fit(
        tol=1e-12, cov_type="cluster", cov_kwds={"groups": g.to_numpy(), "use_correction": False})
    assert np.max(np.abs(ref.params - ours.params)) < 1e-9
    # ours carries the G/(G-1) factor, statsmodels without correction does not
    assert np.allclose(ref.bse * np.sqrt(181 / 180), ours.bse, rtol=1e-8)


# ------------------------------------------------------------------ real data: replication pinned


def test_replication_sample(replication):
    # 181 firms x 1987-1991 = 905 firm-years; the lags use 1983-1986; six firms without a patent in 1987-1991
    # drop out of the conditional likelihood
    fit = replication["fit"]
    assert len(replication["sample"]) == 905
    assert replication["sample"]["year"].min() == 1987
    assert fit.dropped_groups == [20, 32, 70, 90, 148, 158]
    assert fit.n_obs == 875 and fit.n_clusters == 175


@pytest.mark.parametrize("term,est,se_model,se_cluster", [
    ("rdexp_l0", 0.291672, 0.041894, 0.182357),
    ("rdexp_l3", -0.177904, 0.054002, 0.139539),
    ("rdexp_l4", 0.104424, 0.043779, 0.135948),
    ("spil_l0", 1.269354, 0.129236, 0.443388),
    ("spil_l3", -0.738156, 0.129356, 0.319317),
])
def test_replication_coefficients_pinned(replication, term, est, se_model, se_cluster):
    r = replication["coefficients"].loc[term]
    assert r["estimate"] == pytest.approx(est, abs=1e-4)
    assert r["se_model"] == pytest.approx(se_model, abs=1e-4)
    assert r["se_cluster"] == pytest.approx(se_cluster, abs=1e-4)


def test_replication_long_run(replication):
    lr = replication["long_run"]
    rd, sp = lr.loc["sum rdexp_l0..l4"], lr.loc["sum spil_l0..l4"]
    assert rd["estimate"] == pytest.approx(0.348959, abs=1e-4)
    assert rd["se_model"] == pytest.approx(0.056388, abs=1e-4)
    assert rd["se_cluster"] == pytest.approx(0.267568, abs=1e-4)
    assert sp["estimate"] == pytest.approx(1.457529, abs=1e-4)
    assert sp["se_cluster"] == pytest.approx(0.319654, abs=1e-4)
    # the long run is the sum of the lags
    assert rd["estimate"] == pytest.approx(replication["coefficients"]["estimate"].iloc[:5].sum(), abs=1e-12)


def test_replication_rows_have_no_verdict(replication):
    rows = replication["rows"]
    assert set(rows["role"]) == {"replication"} and (rows["verdict"] == "").all()


# ------------------------------------------------------------------ real data: F1 / F2


def _row(df, hid, role="hypothesis"):
    sub = df[(df["hypothesis"] == hid) & (df["role"] == role)]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def test_f1_headline_pinned(estimates):
    df, _ = estimates
    r = _row(df, "F1")
    # the registered absorptive-capacity interaction is negative, not positive, on this panel
    assert r["term"] == "rdexp:spil" and r["model"] == "F1 pooled Poisson"
    assert -0.15 < r["estimate"] < -0.09
    assert r["estimate"] == pytest.approx(-0.119861, abs=1e-4)
    assert r["std_error"] == pytest.approx(0.107055, abs=1e-4)
    assert (r["n_obs"], r["n_clusters"]) == (1629, 181)
    assert r["verdict"] == "not supported"


def test_f1_secondary_estimators(estimates):
    df, _ = estimates
    fe, nb = _row(df, "F1-fe"), _row(df, "F1-nb")
    assert fe["estimate"] == pytest.approx(-0.078000, abs=1e-4) and fe["verdict"] == "not supported"
    assert fe["n_obs"] == 1602  # three firms with no patent in 1983-1991 drop out
    assert nb["estimate"] == pytest.approx(-0.235944, abs=1e-4) and nb["verdict"] == "contrary"


def test_f2_parametrisations_are_one_model(estimates):
    df, fits = estimates
    a, b = fits["F2 pooled Poisson (USA base)"], fits["F2 pooled Poisson (EU base)"]
    assert a.loglik == pytest.approx(b.loglik, abs=1e-6)
    # Japan-EU = (Japan-US) - (EU-US)
    assert b.params["spil:japan"] == pytest.approx(a.params["spil:japan"] - a.params["spil:eu"], abs=1e-6)
    assert _row(df, "F2a")["estimate"] == pytest.approx(-0.103132, abs=1e-4)
    assert _row(df, "F2a")["n_obs"] == 1620


def test_robustness_rows_carry_no_verdict(estimates):
    df, _ = estimates
    rob = df[df["role"] == "robustness"]
    assert len(rob) == 5 and (rob["verdict"] == "").all()
    lagged = rob[rob["model"] == "F1 pooled Poisson, regressors t-1"].iloc[0]
    assert lagged["n_obs"] == 181 * 8


def test_design_centres_regressors(panel):
    _, X, _, s = firm.design(panel, "pooled_poisson")
    assert abs(X["rdexp"].mean()) < 1e-12 and abs(X["spil"].mean()) < 1e-12
    assert X.shape[1] == 1 + 3 + 14 + 3 + 8  # const, 3 terms, sector, region, year dummies


def test_add_lags_respects_gaps(panel):
    gap = panel[~((panel["firm"] == 1) & (panel["year"] == 1985))]
    lagged = firm.add_lags(gap, ["rdexp"], 1)
    r = lagged[(lagged["firm"] == 1) & (lagged["year"] == 1986)].iloc[0]
    assert np.isnan(r["rdexp_l1"])  # 1984 is two years back, not a one-year lag


# ------------------------------------------------------------------ parameter errors


@pytest.mark.parametrize("params,name", [
    ({"estimators": ["ols"]}, "estimators"),
    ({"estimators": ["fe_poisson"]}, "estimators"),
    ({"estimators": "pooled_poisson"}, "estimators"),
    ({"start_year": 1980}, "start_year"),
    ({"start_year": 1991}, "end_year"),
    ({"end_year": "1991"}, "end_year"),
    ({"clustering": "sector"}, "clustering"),
    ({"lang": "fr"}, "lang"),
])
def test_validate_params_rejects(params, name):
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        firm.validate_params(params)


def test_validate_params_accepts_defaults():
    firm.validate_params({})
    firm.validate_replication_params({})


@pytest.mark.parametrize("params,name", [
    ({"start_year": 1986}, "start_year"),  # lags 0-4 would need 1982
    ({"max_lag": 9}, "max_lag"),
    ({"max_lag": 2.0}, "max_lag"),
])
def test_validate_replication_params_rejects(params, name):
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        firm.validate_replication_params(params)


def test_estimator_errors(panel):
    with pytest.raises(ParameterError, match="parameter estimator='tobit'.*valid choices: pooled_poisson"):
        cp.fit("tobit", panel["patent"], panel[["rdexp"]], panel["firm"])
    with pytest.raises(ParameterError, match="parameter X='const': collinear"):
        cp.fe_poisson(panel["patent"], panel[["rdexp"]].assign(const=1.0), panel["firm"])
    with pytest.raises(ParameterError, match="parameter y=.*non-negative integer"):
        cp.pooled_poisson(-panel["patent"], panel[["rdexp"]].assign(const=1.0))
    with pytest.raises(ParameterError, match="region_slopes"):
        firm.design(panel, "pooled_poisson", region_slopes="japan")


def test_spillover_elasticity_is_linear_combination(estimates, panel):
    _, fits = estimates
    fit = fits["F1 pooled Poisson"]
    _, _, _, sample = firm.design(panel, "pooled_poisson")
    el = firm.spillover_elasticity(fit, sample, quantiles=(0.5,)).iloc[0]
    expected = fit.params["spil"] + fit.params["rdexp:spil"] * (sample["rdexp"].median() - sample["rdexp"].mean())
    assert el["elasticity"] == pytest.approx(expected, abs=1e-12)
    assert el["elasticity"] == pytest.approx(-0.21517, abs=1e-4)


def test_spillovers_mostly_explained_by_dummies(panel):
    # why the pooled spillover terms are imprecise: sector, region and year dummies explain ~98 % of log spil
    share = firm.variation_explained(panel)["share explained by controls"]
    assert share["spil"] == pytest.approx(0.98274, abs=1e-4)
    assert share["rdexp"] == pytest.approx(0.37085, abs=1e-4)


def test_model_based_inference_when_unclustered(panel):
    df, fits = firm.estimate(panel, {"estimators": ["pooled_poisson"], "clustering": "none"})
    r = df[(df["hypothesis"] == "F1") & (df["role"] == "hypothesis")].iloc[0]
    assert r["inference"] == "model" and r["n_clusters"] == ""
    assert r["estimate"] == pytest.approx(-0.119861, abs=1e-4)  # same point estimate
    assert r["std_error"] < 0.107055 / 2  # model-based SEs ignore overdispersion
