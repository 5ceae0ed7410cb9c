"""The wild-cluster bootstrap interval with few clusters: the search ends (it used to loop for ever when the
bracket had grown far from the estimate), a finite end is where the test starts to reject, and a side on which
the test rejects no value is infinite and says so in the inference text (never a huge finite number)."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis.models import country
from analysis.models import inference as inf


@contextmanager
def _deadline(seconds: int):
    """Fail (instead of hanging the test run) when the block takes longer than ``seconds``."""
    def _raise(signum, frame):
        raise TimeoutError(f"interval search still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _panel(n_clusters: int, per: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_clusters), per)
    x = rng.normal(size=n_clusters)[g] + rng.normal(size=g.size)
    y = 0.3 * x + rng.normal(size=n_clusters)[g] + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": g, "t": np.tile(np.arange(per), n_clusters)})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_clusters_webb_interval_ends_where_the_test_starts_to_reject(seed):
    d = _panel(3, 10, seed)
    with _deadline(20):
        r = inf.wild_cluster_bootstrap("y ~ x + C(t)", d, "g", "x", reps=999, seed=1, weights="webb")
    low, high = r.ci
    assert np.isfinite(low) and np.isfinite(high) and low < r.estimate < high and r.ci_note == ""
    # just inside each end the test does not reject at 5 %, just outside it does (same draws, seed 1)
    eps = 1e-4 * r.std_error
    for end, out in ((low, -1), (high, +1)):
        p_in = inf.wild_cluster_bootstrap("y ~ x + C(t)", d, "g", "x", reps=999, seed=1, null=end - out * eps,
                                          ci=False).p_value
        p_out = inf.wild_cluster_bootstrap("y ~ x + C(t)", d, "g", "x", reps=999, seed=1, null=end + out * eps,
                                           ci=False).p_value
        assert p_in >= 0.05 > p_out


def test_two_clusters_give_an_unbounded_interval_with_a_note():
    d = _panel(2, 10, 0)
    with _deadline(20):
        r = inf.wild_cluster_bootstrap("y ~ x", d, "g", "x", reps=999, seed=1, weights="webb")
    assert r.ci == (-np.inf, np.inf)
    assert r.ci_note == ("interval unbounded below and above: the test rejects no value within 2^20 standard "
                         "errors (2 clusters)")
    assert r.inference.endswith("clustered (2 clusters); " + r.ci_note)
    # the test indeed rejects nothing a million standard errors away
    far = r.estimate + 2 ** 20 * r.std_error
    assert inf.wild_cluster_bootstrap("y ~ x", d, "g", "x", reps=999, seed=1, null=far, ci=False).p_value >= 0.05


def test_four_clusters_enumerated_signs_cannot_reject_so_the_interval_is_the_real_line():
    # 16 sign vectors, two of which (all +1, all -1) reproduce |t| exactly: p >= 2/16 > 0.05 for every null
    d = _panel(4, 8, 0)
    with _deadline(20):
        r = inf.wild_cluster_bootstrap("y ~ x", d, "g", "x", reps=999, weights="rademacher")
    assert r.enumerated and r.reps == 16 and r.p_value >= 2 / 16
    assert r.ci == (-np.inf, np.inf) and "unbounded below and above" in r.inference


def test_many_clusters_keep_a_finite_interval_without_note():
    d = _panel(30, 6, 4)
    r = inf.wild_cluster_bootstrap("y ~ x", d, "g", "x", reps=499, seed=2)
    assert np.isfinite(r.ci).all() and r.ci_note == "" and r.inference.endswith("clustered (30 clusters)")
    cr1 = inf.cluster_ols("y ~ x", d, "g").row("x")
    # the bootstrap interval is of the same order as the CR1 one (not a runaway search)
    assert 0.5 < (r.ci[1] - r.ci[0]) / (cr1["ci_high"] - cr1["ci_low"]) < 2


def test_h4_with_three_countries_terminates_with_its_bootstrap_rows():
    """The run that hung: h4 for JPN, USA, DEU (3 clusters)."""
    with _deadline(120):
        res = country.estimate(data.load("oecd_msti"), data.load("pwt"), {"countries": ["JPN", "USA", "DEU"]})
    wcr = res.table[res.table["model"].str.endswith("WCR bootstrap")]
    assert set(wcr["hypothesis"]) == {"C1a", "C1b", "C1c", "C2a", "C2b", "C3a"}
    assert (wcr["n_clusters"] == 3).all()
    for _, r in wcr.iterrows():
        bounded = np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])
        # either a finite interval around the estimate or an infinite end said in the inference text
        assert (bounded and r["ci_low"] < r["estimate"] < r["ci_high"]) or "unbounded" in r["inference"], r.to_dict()
