"""Specification curves (analysis.multiverse): the declared grid, known coefficients, the headline estimates of
h2-h5, and the null-imposed specification-curve test."""

from __future__ import annotations

import concurrent.futures as cf
import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import data, registry
from analysis.errors import DataFileError, ParameterError
from analysis.models import country, firm, industry, inference
from analysis.multiverse import engine, nulltest, space, table, tasks


class Serial(cf.Executor):
    """Runs each task at submission, in this process."""

    def submit(self, fn, *args, **kwargs):
        fut = cf.Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


# ---- the declared grid ------------------------------------------------------------------------------------
def test_grid_is_product_minus_documented_exclusions():
    spaces = space.load()
    assert [s.hypothesis for s in spaces] == ["F1", "F2a", "I1", "C1a", "C1b", "C2a", "C2b", "C3a"]
    total = 0
    for sp in spaces:
        combos = [dict(zip(sp.dimensions, c)) for c in itertools.product(*sp.dimensions.values())]
        assert len(combos) == int(np.prod([len(v) for v in sp.dimensions.values()]))
        # brute force: a combination is in the grid exactly when no rule's 'when' matches all its dimensions
        skipped = [c for c in combos if any(all(c[d] in v for d, v in e.when.items()) for e in sp.exclusions)]
        grid = sp.grid()
        assert len(grid) == len(combos) - len(skipped)
        assert sp.headline in grid
        acc = space.grid_accounting(sp)
        assert acc[0]["specifications"] == len(combos)
        assert acc[-1]["specifications"] == len(grid)
        assert sum(r["specifications"] for r in acc[1:-1]) == -len(skipped)
        assert all(r["why"] for r in acc[1:-1])
        total += len(grid)
    # F1 by hand: 3 estimators x 5 windows x 3 lags x 4 firm samples x 3 control sets = 540; lags 1-2 with a
    # window starting in 1983: 3x2x2x4x3 = 144; FE with a reduced control set: 11 (window, lag) pairs x 4 x 2 = 88;
    # FE with patenting firms: 11; NB2 with lags: 3 windows x 2 x 4 x 3 = 72; NB2 with reduced controls: 5x4x2 = 40
    assert len(spaces[0].grid()) == 540 - 144 - 88 - 11 - 72 - 40 == 185
    assert total >= 1000
    by_family = {}
    for sp in spaces:
        by_family[sp.family] = by_family.get(sp.family, 0) + len(sp.grid())
    assert min(by_family.values()) >= 250


def test_spec_ids_do_not_depend_on_fix():
    sp = space.select(space.load("firm"), ["F1"])
    full = {s["spec_id"]: s for s in engine.specifications(sp)}
    fixed = engine.specifications(sp, {"estimator": "fe_poisson", "lag": 0})
    assert fixed and all(full[s["spec_id"]] == s for s in fixed)
    assert {s["estimator"] for s in fixed} == {"fe_poisson"}
    with pytest.raises(ParameterError, match="none of these values"):
        engine.specifications(sp, {"window": "1990-1991"})
    with pytest.raises(ParameterError, match="no selected hypothesis"):
        engine.specifications(sp, {"prices": "current_ppp"})


def _write_space(tmp_path, text):
    (tmp_path / "firm.toml").write_text(text, encoding="utf-8")
    return tmp_path


BASE = """family = "firm"
[[space]]
hypothesis = "F1"
term = "rdexp:spil"
[space.headline]
estimator = "pooled_poisson"
window = "1983-1991"
lag = 0
[space.dimensions]
estimator = ["pooled_poisson", "negbin"]
window = ["1983-1991"]
lag = [0, 1]
"""


def test_space_file_errors_name_file_and_dimension(tmp_path):
    assert len(space.load("firm", _write_space(tmp_path, BASE))[0].grid()) == 4
    bad = {
        BASE.replace('lag = [0, 1]', 'lag = [0, 1]\nshape = ["x"]'): "unknown dimension 'shape'",
        BASE.replace('"negbin"]', '"ols"]'): "value 'ols'",
        BASE.replace('window = ["1983-1991"]', 'window = ["1983-1999"]'): "outside the data's years",
        BASE + '[[space.exclude]]\nwhen = { lag = 1 }\n': "needs a 'why'",
        BASE + '[[space.exclude]]\nwhen = { lag = 0 }\nwhy = "x"\n': "headline specification is excluded",
        BASE.replace('term = "rdexp:spil"', 'term = "spil"'): "not its registered coefficient",
        BASE.replace('hypothesis = "F1"', 'hypothesis = "F1-nb"'): "not a headline hypothesis",
    }
    for text, message in bad.items():
        with pytest.raises(DataFileError, match=message) as err:
            space.load("firm", _write_space(tmp_path, text))
        assert "firm.toml" in str(err.value)


# ---- simulated data with a known coefficient --------------------------------------------------------------
def simulated_firm_panel(b_interaction: float, seed: int = 7) -> pd.DataFrame:
    """A Cincera-shaped panel (181 firms, 1983-1991) with Poisson patents around multiplicative firm effects
    (overdispersed across firms) and a known rdexp x spil coefficient. The firm effects are independent of the
    regressors, so pooled Poisson, conditional FE Poisson and NB2 all estimate the same interaction."""
    rng = np.random.default_rng(seed)
    n_firms, years = 181, np.arange(1983, 1992)
    regions = np.array(["usa"] * 140 + ["eu"] * 28 + ["japan"] * 12 + ["rotw"])
    rows = []
    for f in range(1, n_firms + 1):
        rd0, sp0, fe = rng.normal(4.0, 1.0), rng.normal(8.0, 0.8), rng.normal(0, 0.7)
        sector = 1 + (f % 15)
        for t in years:
            rd, sp = rd0 + rng.normal(0, 0.6), sp0 + rng.normal(0, 0.5)
            mu = np.exp(0.5 + 0.6 * (rd - 4) + 0.3 * (sp - 8) + b_interaction * (rd - 4) * (sp - 8) + fe)
            rows.append({"firm": f, "year": int(t), "patent": int(rng.poisson(mu)), "rdexp": rd, "spil": sp,
                         "sector_code": sector, "region": regions[f - 1]})
    return pd.DataFrame(rows)


def test_curve_centres_on_the_known_coefficient():
    panel = simulated_firm_panel(0.25)
    mv = engine.run(["F1"], {"lag": 0}, reps=199, executor=Serial(), data={"firm": {"panel": panel}})
    est = mv.table[mv.table["error"] == ""]
    # every lag-0 F1 specification (3 estimators, 5 windows, firm samples, control sets), all estimable here
    assert len(est) == len(mv.table) == 95
    assert set(est["choice:estimator"]) == {"pooled_poisson", "fe_poisson", "negbin"}
    # centred on the truth within sampling error, and the intervals cover it
    assert abs(est["estimate"].median() - 0.25) < 2 * est["std_error"].median()
    for _, by_est in est.groupby("choice:estimator"):
        assert abs(by_est["estimate"].median() - 0.25) < 3 * by_est["std_error"].median()
    covered = (est["ci_low"] <= 0.25) & (0.25 <= est["ci_high"])
    assert covered.mean() >= 0.8
    assert (est["verdict"] == registry.SUPPORTED).mean() >= 0.9  # 0.25 is far from zero with these data
    assert mv.tests.loc[0, "p_median"] < 0.01 and mv.tests.loc[0, "p_share_expected"] < 0.01


# ---- a headline specification reproduces h2-h5 ------------------------------------------------------------
def _headline(hid: str) -> pd.Series:
    sp = space.select(space.load(), [hid])[0]
    mv = engine.run([hid], dict(sp.headline), reps=199, executor=Serial(), test=False)
    assert len(mv.table) == 1 and bool(mv.table.loc[0, "headline"])
    return mv.table.iloc[0]


def test_headline_firm_specifications_reproduce_h5_exactly():
    res, _ = firm.estimate(firm.load_panel())
    for hid, term in (("F1", "rdexp:spil"), ("F2a", "spil:japan")):
        h5 = res[(res["hypothesis"] == hid) & (res["role"] == "hypothesis") & (res["term"] == term)].iloc[0]
        row = _headline(hid)
        assert row["estimate"] == h5["estimate"] and row["std_error"] == h5["std_error"]
        assert row["p_value"] == pytest.approx(h5["p_value"], rel=1e-12)
        assert row["verdict"] == h5["verdict"] and int(row["n_obs"]) == int(h5["n_obs"])


def test_headline_country_and_industry_specifications_reproduce_h5():
    # h4/h5 fit these by statsmodels OLS (pinv); the multiverse by Frisch-Waugh-Lovell on a QR basis: the same
    # numbers to rounding
    panel = country.build_panel(data.load("oecd_msti"), data.load("pwt"))
    for hid, spec_name in (("C1b", "C1 PCT"), ("C3a", "C3 TFP growth"), ("C2b", "C2 HERD financed by business")):
        spec = next(s for s in country.SPECS if s.name == spec_name)
        lag = spec.fixed_lag or 0
        h5 = country.fit_ols(country.model_frame(panel, spec, lag=lag)).row(spec.carries[hid])
        row = _headline(hid)
        for key in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
            assert row[key] == pytest.approx(h5[key], rel=1e-9, abs=1e-12), (hid, key)
        assert (int(row["n_obs"]), int(row["n_clusters"])) == (h5["n_obs"], h5["n_clusters"])
    ehs = data.load("ehs2013_panel")
    h5 = industry.fit(industry.build_variables(industry.select(ehs))).row(industry.CARRYING)
    row = _headline("I1")
    for key in ("estimate", "std_error", "p_value"):
        assert row[key] == pytest.approx(h5[key], rel=1e-9), key
    assert int(row["n_clusters"]) == h5["n_clusters"] == 119


# ---- the specification-curve test under the null ----------------------------------------------------------
def _null_test_p(b: float, rng: np.random.Generator, rep: int, reps: int = 199) -> float:
    """p of the median statistic for four OLS specifications (control sets, a subsample) on one simulated data
    set with G = 30 clusters and true coefficient ``b``; draws shared across specifications."""
    G, m = 30, 10
    g = np.repeat(np.arange(G), m)
    u = rng.normal(size=G)[g] + rng.normal(size=G * m)  # clustered errors
    x = rng.normal(size=G)[g] * 0.5 + rng.normal(size=G * m)
    z1, z2 = rng.normal(size=G * m), rng.normal(size=G * m)
    y = b * x + 0.5 * z1 + u
    weights = tasks.null_weights(rep, "sim", list(range(G)), reps)
    est, pv, nb, npv = [], [], [], []
    for cols, keep in ((["z1"], slice(None)), (["z1", "z2"], slice(None)), ([], slice(None)),
                       (["z1"], slice(0, 200))):
        X = pd.DataFrame({"const": 1.0, "x": x, "z1": z1, "z2": z2})[["const", "x", *cols]].iloc[keep]
        codes, V = tasks.weights_for(weights, pd.Series(g[keep]))
        wb, b_star, t_star = inference.wild_bootstrap_draws(y[keep], X.reset_index(drop=True), codes, "x", V,
                                                            ci=False)
        est.append(wb.estimate)
        pv.append(2 * stats.t.sf(abs(wb.estimate / wb.std_error), wb.n_clusters - 1))
        nb.append(b_star)
        npv.append(2 * stats.t.sf(np.abs(t_star), wb.n_clusters - 1))
    row, _ = nulltest.curve_test(np.array(est), np.array(pv), np.vstack(nb), np.vstack(npv), "+", 0.05)
    return row["p_median"]


def test_null_imposed_resampling_gives_uniform_p_under_the_null():
    rng = np.random.default_rng(20261201)
    p_null = np.array([_null_test_p(0.0, rng, r) for r in range(200)])
    # one-sided test of the median in the expected direction: p ~ U(0, 1) under the null
    assert stats.kstest(p_null, "uniform").pvalue > 0.01
    assert 0.03 <= np.mean(p_null < 0.10) <= 0.18
    assert 0.4 <= p_null.mean() <= 0.6
    # and it has power: with a true effect the median is far out in the null distribution
    p_alt = np.array([_null_test_p(0.3, rng, 1000 + r) for r in range(40)])
    assert np.mean(p_alt < 0.05) >= 0.8


# ---- executors ---------------------------------------------------------------------------------------------
SMALL = (["F1", "C2a", "I1"],
         {"window": ["1983-1991", "1987-1991", "all", "1980-2005"], "controls": "sector_region_year",
          "firms": ["all", "no_top5"], "flags": "keep", "exclude": ["none", "CHN"], "effects": "twoway",
          "elasticities": "convention_70_30", "intensity": "rdk_output", "countries": "all", "rd_lag": 1})


@pytest.fixture(scope="module")
def serial():
    return engine.run(*SMALL, reps=199, executor=Serial())


def test_results_identical_on_any_executor_and_worker_count(serial):
    assert len(serial.table) >= 30 and len(serial.tests) == 3
    pool = engine.run(*SMALL, reps=199, workers=2)
    pd.testing.assert_frame_equal(serial.table, pool.table)
    pd.testing.assert_frame_equal(serial.tests, pool.tests)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        dask = engine.run(*SMALL, reps=199, executor=client.get_executor())
    pd.testing.assert_frame_equal(serial.table, dask.table)
    pd.testing.assert_frame_equal(serial.tests, dask.tests)


def test_shares_sum_to_one_and_follow_the_verdicts(serial):
    mv = serial
    sh = table.shares(mv)
    cols = list(table.VERDICT_SHARE.values())
    assert np.allclose(sh[cols].sum(axis=1), 1.0)
    for r in sh.itertuples():
        sub = mv.table[mv.table["hypothesis"] == r.hypothesis]
        assert r.n_specs == len(sub)
        assert r.spec_share_supported == (sub["verdict"] == registry.SUPPORTED).mean()
    # 10 country clusters are fewer than the registry's minimum of 20: no verdict, whatever the estimate
    few = mv.table[(mv.table["hypothesis"] == "I1") & (mv.table["choice:cluster"] == "country")]
    assert len(few) and (few["verdict"] == registry.NO_VERDICT_FEW_CLUSTERS).all()


def test_verdict_export_keeps_its_columns_and_adds_the_shares(serial, tmp_path):
    from analysis.models import summary, verdicts

    base = {c: "" for c in verdicts.EXPORT_COLUMNS}
    vt = pd.DataFrame([{**base, "family": "firm", "hypothesis": "F1", "role": "hypothesis", "verdict": "x"},
                       {**base, "family": "firm", "hypothesis": "F1-fe", "role": "hypothesis", "verdict": "y"},
                       {**base, "family": "firm", "hypothesis": "R1a", "role": "replication"}])
    sh = table.shares(serial)
    out = summary.add_spec_shares(vt, sh)
    summary.export(out, pd.DataFrame({"a": [1]}), tmp_path)
    rows = verdicts.read_export(tmp_path / verdicts.EXPORT_NAME)  # the site's reader accepts the wider export
    header = (tmp_path / verdicts.EXPORT_NAME).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == verdicts.EXPORT_COLUMNS + table.SHARE_COLUMNS
    f1 = sh.set_index("hypothesis").loc["F1"]
    assert int(rows[0]["n_specs"]) == f1["n_specs"] == len(serial.table[serial.table["hypothesis"] == "F1"])
    assert float(rows[0]["spec_share_not_supported"]) == pytest.approx(f1["spec_share_not_supported"])
    assert rows[1]["n_specs"] == rows[2]["n_specs"] == ""  # no declared space for F1-fe and R1a
