"""Cluster-robust OLS and the wild cluster restricted bootstrap, checked against brute-force loops."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.errors import ParameterError
from analysis.models import inference as inf


def _clustered(n_clusters: int, per: int, beta: float, seed: int) -> pd.DataFrame:
    """y = 1 + beta·x + 0.5·z + cluster effect + noise, with x correlated within clusters."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_clusters), per)
    x = rng.normal(size=n_clusters)[g] + rng.normal(size=g.size)
    z = rng.normal(size=g.size)
    y = 1 + beta * x + 0.5 * z + rng.normal(size=n_clusters)[g] + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g, "t": np.tile(np.arange(per), n_clusters)})


def _cr1_t(X: np.ndarray, y: np.ndarray, g: np.ndarray, col: int, null: float) -> float:
    """CR1 t statistic written out from the textbook sandwich (independent of the module)."""
    n, k = X.shape
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    bread = np.linalg.pinv(X.T @ X)
    meat = np.zeros((k, k))
    groups = np.unique(g)
    for h in groups:
        s = X[g == h].T @ e[g == h]
        meat += np.outer(s, s)
    G = len(groups)
    V = bread @ meat @ bread * G / (G - 1) * (n - 1) / (n - np.linalg.matrix_rank(X))
    return (b[col] - null) / np.sqrt(V[col, col])


def _brute_p(X: np.ndarray, y: np.ndarray, g: np.ndarray, col: int, V: np.ndarray, null: float = 0.0) -> float:
    """WCR p-value by refitting the full model for every draw (the definition, no algebra shortcuts)."""
    W = np.delete(X, col, axis=1)
    gamma = np.linalg.lstsq(W, y - null * X[:, col], rcond=None)[0]
    fitted = W @ gamma + null * X[:, col]
    u = y - fitted
    t0 = abs(_cr1_t(X, y, g, col, null))
    hits = 0
    for b in range(V.shape[1]):
        ystar = fitted + u * V[g, b]
        hits += abs(_cr1_t(X, ystar, g, col, null)) >= t0 * (1 - 1e-9)
    return hits / V.shape[1]


def test_enumerated_rademacher_matches_brute_force_exactly():
    # 6 clusters -> all 64 sign vectors; the p-value is a count out of 64 and must agree exactly.
    d = _clustered(6, 5, 0.3, seed=1)
    r = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=999, weights="rademacher", ci=False)
    assert r.enumerated and r.reps == 64 and r.seed is None
    X = np.column_stack([np.ones(len(d)), d.x, d.z])
    V = np.array(list(itertools.product((1.0, -1.0), repeat=6))).T
    assert r.p_value == _brute_p(X, d.y.to_numpy(), d.g.to_numpy(), 1, V)
    assert r.p_value * 64 == round(r.p_value * 64)  # a count out of 64
    sm = smf.ols("y ~ x + z", d).fit(cov_type="cluster", cov_kwds={"groups": d.g})
    assert r.std_error == pytest.approx(sm.bse["x"], rel=1e-10)
    assert r.t_stat == pytest.approx(_cr1_t(X, d.y.to_numpy(), d.g.to_numpy(), 1, 0.0), rel=1e-10)


def test_webb_draws_with_fixed_effects_match_brute_force():
    # Cluster and period dummies in the model: the partialled (FWL) algebra must give the refit answer.
    d = _clustered(8, 6, 0.2, seed=7)
    r = inf.wild_cluster_bootstrap("y ~ x + z + C(g) + C(t)", d, "g", "x", reps=199, seed=3, weights="webb",
                                   null=0.1, ci=False)
    X = pd.get_dummies(d[["x", "z"]].assign(g=d.g.astype(str), t=d.t.astype(str)), columns=["g", "t"],
                       drop_first=True, dtype=float)
    X.insert(0, "const", 1.0)
    V, enumerated = inf.draw_weights(8, 199, "webb", 3)
    assert not enumerated
    expected = _brute_p(X.to_numpy(), d.y.to_numpy(), d.g.to_numpy(), 1, V, null=0.1)
    assert r.p_value == pytest.approx(expected, abs=1e-12)
    assert r.null == 0.1 and r.reps == 199


def test_rejects_large_effect_and_not_zero_effect():
    big = inf.wild_cluster_bootstrap("y ~ x + z", _clustered(12, 20, 1.0, seed=11), "g", "x", reps=999, seed=5)
    zero = inf.wild_cluster_bootstrap("y ~ x + z", _clustered(12, 20, 0.0, seed=11), "g", "x", reps=999, seed=5)
    assert big.p_value < 0.01 and big.ci[0] > 0
    assert zero.p_value > 0.10 and zero.ci[0] < 0 < zero.ci[1]


def test_interval_inverts_the_test():
    d = _clustered(15, 10, 0.4, seed=2)
    r = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=499, seed=9)
    lo, hi = r.ci
    assert lo < r.estimate < hi
    eps = 1e-3 * r.std_error
    for inside in (lo + eps, hi - eps):
        p_in = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=499, seed=9, null=inside, ci=False)
        assert p_in.p_value >= 0.05
    for outside in (lo - eps, hi + eps):
        p_out = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=499, seed=9, null=outside, ci=False)
        assert p_out.p_value < 0.05


def test_deterministic_and_unpackable():
    d = _clustered(10, 8, 0.2, seed=4)
    a = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=299, seed=1)
    b = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=299, seed=1)
    c = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=299, seed=2)
    assert a == b
    assert (a.p_value, a.ci) != (c.p_value, c.ci)
    p, ci = a
    assert (p, ci) == (a.p_value, a.ci)


def test_design_pair_equals_formula():
    d = _clustered(9, 7, 0.3, seed=8)
    X = d[["x", "z"]].assign(Intercept=1.0)
    a = inf.wild_cluster_bootstrap((d.y, X), d, "g", "x", reps=199, seed=4)
    b = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=199, seed=4)
    assert a.p_value == b.p_value
    assert a.ci == pytest.approx(b.ci, rel=1e-9)


def test_cluster_ols_row_uses_t_with_g_minus_1():
    d = _clustered(10, 8, 0.2, seed=4)
    fit = inf.cluster_ols("y ~ x + z", d, "g")
    row = fit.row("x")
    X = np.column_stack([np.ones(len(d)), d.x, d.z])
    t = _cr1_t(X, d.y.to_numpy(), d.g.to_numpy(), 1, 0.0)
    assert row["estimate"] / row["std_error"] == pytest.approx(t, rel=1e-10)
    assert row["p_value"] == pytest.approx(inf.t_pvalue(t, 9), rel=1e-10)
    assert (row["n_obs"], row["n_clusters"]) == (80, 10)


def test_missing_rows_are_dropped_consistently():
    d = _clustered(9, 7, 0.3, seed=8)
    d.loc[[0, 5, 30], "z"] = np.nan
    r = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=199, seed=4, ci=False)
    fit = inf.cluster_ols("y ~ x + z", d, "g")
    assert r.n_obs == fit.n_obs == 60
    assert r.std_error == pytest.approx(fit.result.bse["x"], rel=1e-10)


@pytest.mark.parametrize("kwargs,name", [
    ({"weights": "mammen"}, "weights"),
    ({"reps": 10}, "reps"),
    ({"term": "w"}, "term"),
    ({"cluster": "nope"}, "cluster"),
    ({"level": 95}, "level"),
])
def test_bad_parameters_are_named(kwargs, name):
    d = _clustered(6, 5, 0.3, seed=1)
    args = {"formula_or_design": "y ~ x + z", "data": d, "cluster": "g", "term": "x"} | kwargs
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        inf.wild_cluster_bootstrap(**args)


def test_one_cluster_and_collinear_term_rejected():
    d = _clustered(6, 5, 0.3, seed=1)
    with pytest.raises(ParameterError, match="at least 2 clusters"):
        inf.wild_cluster_bootstrap("y ~ x + z", d.assign(g=0), "g", "x")
    with pytest.raises(ParameterError, match="collinear"):
        inf.wild_cluster_bootstrap("y ~ x + z + w", d.assign(w=2 * d.x), "g", "w")
    with pytest.raises(ParameterError, match="parameter cluster="):
        inf.cluster_ols("y ~ x", d, "nope")


def test_duplicated_index_labels_are_harmless():
    d = _clustered(9, 7, 0.3, seed=8)
    dup = pd.concat([d.iloc[:30], d.iloc[30:]]).set_axis([0] * 30 + list(range(33)), axis=0)
    a = inf.wild_cluster_bootstrap("y ~ x + z", dup, "g", "x", reps=199, seed=4, ci=False)
    b = inf.wild_cluster_bootstrap("y ~ x + z", d, "g", "x", reps=199, seed=4, ci=False)
    assert (a.p_value, a.n_obs) == (b.p_value, b.n_obs)
    assert inf.cluster_ols("y ~ x + z", dup, "g").row("x") == inf.cluster_ols("y ~ x + z", d, "g").row("x")
