"""The multiverse's fast paths give the numbers of the straightforward ones to the last bit (issue 15): country
samples restricted from one broad sample, designs built with numpy, the partialling-out shared by clusterings,
scipy.special tails, forked workers with one BLAS thread. (PPML's own IRLS agrees with the GLM to rounding:
tests/test_multiverse_ppml.py.)"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import inference
from analysis.multiverse import country_tasks, engine, industry_tasks, space, tasks, workers


@pytest.fixture(scope="module")
def country_panel():
    return country_tasks.prepare()["panel"]


def _country_specs():
    """Specifications covering every choice that changes a sample: model, estimator, prices, flags, lag,
    exclusion and window (OLS and PPML)."""
    sp = {s.hypothesis: s for s in space.load()}
    non_oecd = sp["C1a"].settings["non_oecd"]
    out = []
    for hyp, est, prices, flags, lag, excl, window in itertools.product(
            ["C1b", "C2a"], ["ols_twfe", "ppml_twfe"], ["constant_ppp", "current_ppp"], ["keep", "drop_B", "drop_BE"],
            [0, 2], ["none", "CHN", "non_oecd"], ["all", "2000-2024"]):
        if hyp == "C2a" and (est == "ppml_twfe" or prices == "current_ppp"):
            continue
        if hyp == "C1b" and window != "all":
            continue
        spec = {"hypothesis": hyp, "estimator": est, "flags": flags, "lag": lag, "exclude": excl, "window": window,
                "_non_oecd": non_oecd, "term": sp[hyp].term}
        if hyp == "C1b":
            spec["prices"] = prices
        out.append(spec)
    return out


def test_restricted_country_samples_are_model_frames_to_the_last_bit(country_panel):
    specs = _country_specs()
    assert len(specs) == 36 + 36 + 36  # C1b OLS and PPML, C2a OLS (two windows)
    broad = {}
    for spec in specs:
        ref = country_tasks.sample(country_panel, spec)
        got = country_tasks._sample(broad, country_panel, spec)
        pd.testing.assert_frame_equal(got.data, ref.data, check_exact=True)
        assert got.spec == ref.spec
        for trends in (False, True):
            outcome = ref.spec.count if spec["estimator"] == "ppml_twfe" else ref.spec.outcome
            y_ref, X_ref = country_tasks.design_matrix(ref, outcome, trends)
            y, X, names = country_tasks.design_arrays(got, outcome, trends)
            assert np.array_equal(y, y_ref)
            assert X.shape == X_ref.shape and names == list(X_ref.columns[:len(names)])
            assert np.array_equal(X, X_ref.to_numpy(dtype=float))  # values, and the sign of every zero below
            assert np.array_equal(np.signbit(X), np.signbit(X_ref.to_numpy(dtype=float)))


def test_a_selection_with_fewer_than_two_economies_keeps_model_frames_error(country_panel):
    spec = {"hypothesis": "C2a", "estimator": "ols_twfe", "flags": "keep", "lag": 0, "exclude": "none",
            "window": "2000-2024", "_non_oecd": []}
    few = country_panel[country_panel["entity"].isin(["JPN"]) | (country_panel["year"] < 2000)]
    with pytest.raises(Exception) as ref:
        country_tasks.sample(few, spec)
    with pytest.raises(type(ref.value)) as got:
        country_tasks._sample({}, few, spec)
    assert str(got.value) == str(ref.value)


def test_ppml_on_arrays_equals_the_glm_on_the_frame(country_panel):
    import statsmodels.api as sm

    spec = {"hypothesis": "C1a", "estimator": "ppml_twfe", "prices": "constant_ppp", "flags": "drop_B", "lag": 1,
            "exclude": "CHN", "window": "all", "_non_oecd": [], "term": "log_berd:log_herd"}
    mf = country_tasks.sample(country_panel, spec)
    y, X = country_tasks.design_matrix(mf, mf.spec.count, False)
    codes, _ = pd.factorize(mf.data["entity"], sort=True)
    res = sm.GLM(y, X, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)
    # the GLM on the arrays of design_arrays (the fallback of _ppml) is the GLM on the frame to the last bit
    ya, Xa, names = country_tasks.design_arrays(mf, mf.spec.count, False)
    params, bse, nobs = country_tasks._ppml_glm(ya, Xa, codes)
    assert np.array_equal(params, res.params.to_numpy()) and np.array_equal(bse, res.bse.to_numpy())
    # _ppml's own IRLS (models.ppml_core) to rounding: tests/test_multiverse_ppml.py
    row = country_tasks._ppml(mf, spec)
    assert row["estimate"] == pytest.approx(float(res.params[spec["term"]]), rel=1e-10)
    assert row["std_error"] == pytest.approx(float(res.bse[spec["term"]]), rel=1e-10)
    assert row["n_obs"] == int(res.nobs) == nobs and row["n_clusters"] == int(codes.max()) + 1


def test_industry_design_arrays_and_shared_partialling_equal_the_frame_path():
    panel = industry_tasks.prepare()["panel"]
    spec = {"hypothesis": "I1", "elasticities": "estimated", "intensity": "drdk", "rd_lag": 2,
            "countries": "no_late_entrants", "window": "1985-2005"}
    memo = {}
    sample = industry_tasks.variables(panel[industry_tasks.MODEL_COLUMNS], spec, memo)
    assert list(memo) == [("no_late_entrants", "1985-2005")]
    pd.testing.assert_frame_equal(sample[[c for c in sample.columns if c in industry_tasks.MODEL_COLUMNS]],
                                  industry_tasks.variables(panel, spec)[industry_tasks.MODEL_COLUMNS],
                                  check_exact=True)
    y_ref, X_ref = industry_tasks.design_matrix(sample)
    y, x, W = industry_tasks.design_arrays(sample)
    assert np.array_equal(y, y_ref)
    assert np.array_equal(x, X_ref[industry_tasks.TERM].to_numpy())
    assert np.array_equal(W, X_ref.drop(columns=[industry_tasks.TERM]).to_numpy(dtype=float))
    part = inference.partial_out(y, x, W)
    for cl in ("id", "country"):
        weights = tasks.null_weights(7, f"I1:{cl}", sorted(panel[cl].unique().tolist()), 199)
        codes, V = tasks.weights_for(weights, sample[cl])
        ref = inference.wild_bootstrap_draws(y_ref, X_ref, codes, industry_tasks.TERM, V)
        got = inference.wild_bootstrap_draws(None, None, codes, industry_tasks.TERM, V, partialled=part)
        assert got[0] == ref[0]
        assert np.array_equal(got[1], ref[1]) and np.array_equal(got[2], ref[2], equal_nan=True)


def test_group_sums_add_rows_in_order_as_add_at():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(500, 7)) * 10.0 ** rng.integers(-8, 8, size=(500, 1))
    codes = rng.integers(0, 13, size=500)
    ref = np.zeros((13, 7))
    np.add.at(ref, codes, values)
    assert np.array_equal(inference._group_sum(values, codes, 13), ref)


def test_special_function_tails_are_scipy_stats_numbers():
    t = np.array([0.0, 0.3, 1.96, 4.5, 40.0, np.inf, np.nan])
    for df in (1, 6, 46, 118):
        assert np.array_equal(tasks.t_sf2(t, df), 2 * stats.t.sf(np.abs(t), df), equal_nan=True)
        row = tasks.t_row(0.7, 0.31, df)
        assert row["p_value"] == float(2 * stats.t.sf(0.7 / 0.31, df))
        assert row["ci_high"] == float(0.7 + stats.t.ppf(0.975, df) * 0.31)
    assert tasks.t_row(0.7, 0.31, None)["p_value"] == float(2 * stats.norm.sf(0.7 / 0.31))
    assert inference.t_pvalue(-2.1, 9) == float(2 * stats.t.sf(2.1, 9))


def _blas_threads_of_a_worker(_):
    return workers.blas_threads()


def test_forked_workers_use_one_blas_thread():
    assert engine.start_method() == "fork"  # every platform the project runs on (Linux, macOS) has fork
    before = workers.blas_threads()
    assert before  # numpy and scipy are loaded here
    workers.limit_loaded_blas(2)  # as an interactive session's parent may have it
    try:
        with engine.default_executor(2) as ex:
            seen = list(ex.map(_blas_threads_of_a_worker, range(2)))
    finally:
        workers.limit_loaded_blas(max(before.values()))
    assert seen and all(seen) and all(n == 1 for threads in seen for n in threads.values())


def test_screened_bootstrap_counts_are_the_full_computations():
    # the O(B) screen of the interval search decides a count only when no draw is close to the threshold; on
    # real designs, near and far nulls, it must give boot_t's count every time (or defer to it)
    rng = np.random.default_rng(11)
    G, m = 9, 12
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G)[g] + rng.normal(size=G * m)
    W = np.column_stack([np.ones(G * m), rng.normal(size=G * m), (g[:, None] == np.arange(1, G)).astype(float)])
    y = 0.2 * x + W[:, 1] + rng.normal(size=G)[g] + rng.normal(size=G * m)
    V, _ = inference.draw_weights(G, 399, "webb", 5)
    w = inference._WCR(y, x, W, g, V)
    decided = 0
    for k in np.r_[0.0, np.geomspace(1e-3, 2.0 ** 21, 60), -np.geomspace(1e-3, 2.0 ** 21, 60)]:
        null = w.beta + k * w.se
        thr = abs((w.beta - null) / w.se) * (1 - inference._TIE_RTOL)
        exact = int(np.count_nonzero(np.abs(w.boot_t(null)) >= thr))
        got = w._screened_count(null, thr)
        assert got is None or got == exact, null
        decided += got is not None
    assert decided >= 60  # the screen does the work near the estimate
    # a threshold on a draw exactly: too close to call, so boot_t decides
    tb = np.abs(w.boot_t(w.beta + 0.5 * w.se))
    assert w._screened_count(w.beta + 0.5 * w.se, float(tb[17])) is None


@pytest.mark.parametrize("values", [[2019, 2001, 2019, 2010], [2, 10, 1, 10, 33], ["USA", "CHN", "JPN", "CHN"],
                                    [999, 1000, 1000]])
def test_dummies_order_columns_as_get_dummies_of_the_text(values):
    s = pd.Series(values)
    ref = pd.get_dummies(s.astype(str), dtype="float64").iloc[:, 1:].to_numpy()
    assert np.array_equal(tasks.dummies(s), ref)


def _write_a_warning(_):
    import sys
    import warnings

    warnings.warn("from a worker", RuntimeWarning)
    return sys.stderr is sys.__stderr__


def test_forked_workers_write_to_their_own_streams_not_the_callers(monkeypatch):
    # a notebook kernel's sys.stderr sends to the notebook; a forked worker must not (a spawned one cannot)
    import io
    import sys

    assert engine.start_method() == "fork"  # every platform the project runs on (Linux, macOS) has fork
    caught = io.StringIO()
    monkeypatch.setattr(sys, "stderr", caught)
    with engine.default_executor(2) as ex:
        assert all(ex.map(_write_a_warning, range(2)))
    assert caught.getvalue() == ""
