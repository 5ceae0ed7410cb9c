"""The inferential specification-curve test (Simonsohn, Simmons & Nelson 2020, Nature Human Behaviour 4,
1208-1214), with the null imposed by resampling.

For one hypothesis, take the specifications that enter the test (each distinct estimate once: see the family
task modules) and, for each of B joint draws, their estimates and p-values under the null of a zero
coefficient in every specification at once (one set of cluster weights shared by all specifications, so the
dependence between specifications is kept). Two statistics of the observed curve are compared with their null
distributions:

- the median estimate: p = share of draws whose median is at least as far in the expected direction
  (sign(expected) x median* >= sign(expected) x observed median);
- the share of specifications significant at the registered alpha in the expected direction:
  p = share of draws with at least that share (and likewise the share significant in the opposite direction,
  against the contrary reading).

A p below alpha says the curve as a whole is more extreme than a world without the effect would produce.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import registry

TEST_COLUMNS = ["hypothesis", "n_specs_in_test", "null_reps", "median_estimate", "p_median", "share_expected",
                "p_share_expected", "share_opposite", "p_share_opposite", "alpha"]


def empty() -> pd.DataFrame:
    """A test table without rows (a run without the test)."""
    return pd.DataFrame(columns=TEST_COLUMNS)


def curve_test(estimates: np.ndarray, p_values: np.ndarray, null_estimates: np.ndarray, null_p: np.ndarray,
               expected_sign: str, alpha: float) -> tuple[dict, dict]:
    """Observed statistics, their null p-values and null distributions.

    ``estimates``/``p_values``: (S,) observed; ``null_estimates``/``null_p``: (S, B) draws under the null.
    """
    s = 1.0 if expected_sign == "+" else -1.0
    est, p = np.asarray(estimates, float), np.asarray(p_values, float)
    nb, npv = np.asarray(null_estimates, float), np.asarray(null_p, float)
    med, med0 = float(np.median(est)), np.median(nb, axis=0)
    share = float(np.mean((p < alpha) & (s * est > 0)))
    share0 = np.mean((npv < alpha) & (s * nb > 0), axis=0)
    opp = float(np.mean((p < alpha) & (s * est < 0)))
    opp0 = np.mean((npv < alpha) & (s * nb < 0), axis=0)
    row = {"n_specs_in_test": int(len(est)), "null_reps": int(nb.shape[1]), "median_estimate": med,
           "p_median": float(np.mean(s * med0 >= s * med)), "share_expected": share,
           "p_share_expected": float(np.mean(share0 >= share)), "share_opposite": opp,
           "p_share_opposite": float(np.mean(opp0 >= opp)), "alpha": alpha}
    return row, {"median": med0, "share_expected": share0, "share_opposite": opp0}


def all_tests(table: pd.DataFrame, nulls: dict, hyps: dict[str, registry.Hypothesis]
              ) -> tuple[pd.DataFrame, dict]:
    """The test for every hypothesis of ``table`` with null draws; (table of results, null distributions)."""
    rows, dists = [], {}
    for hyp, sub in table.groupby("hypothesis", sort=False):
        ids = [i for i in sub["spec_id"] if i in nulls]
        if not ids:
            continue
        obs = sub.set_index("spec_id").loc[ids]
        nb = np.vstack([nulls[i][0] for i in ids])
        npv = np.vstack([nulls[i][1] for i in ids])
        h = hyps[hyp]
        row, dist = curve_test(obs["estimate"].to_numpy(), obs["p_value"].to_numpy(), nb, npv, h.expected_sign,
                               h.alpha)
        rows.append({"hypothesis": hyp, **row})
        dists[hyp] = dist
    return (pd.DataFrame(rows, columns=TEST_COLUMNS) if rows else empty()), dists
