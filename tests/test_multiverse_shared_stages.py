"""The multiverse's shared stages and buffers (issue 15) give the numbers of the computations they replace, to the
last bit, on the real panels:

- a firm task lags the panel once (``firm_tasks.lagged_panel``) and keeps its samples: every design equals
  ``firm.design`` on the firm sample of the unlagged panel;
- industry lags by an index lookup (``industry._lag``) equal the left merge they replace, and
  ``build_variables(..., frontier=frontier_variables(...))`` equals ``build_variables`` from the panel;
- the WCR cluster sums (``wcr_core._group_sum``: one ``bincount`` over cells) equal ``np.add.at``, and the
  buffered screened count of the interval search equals the expressions it evaluates, null by null.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis.models import firm, industry, inference, wcr_core
from analysis.multiverse import firm_tasks, industry_tasks, tasks


@pytest.fixture(scope="module")
def firm_panel():
    return firm.load_panel()


@pytest.fixture(scope="module")
def ehs_panel():
    panel = data.load(industry.PANEL)
    return panel[[c for c in panel.columns if c in industry_tasks.MODEL_COLUMNS]]


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_firm_designs_from_the_lagged_panel_are_firm_design(firm_panel):
    lagged, samples = firm_tasks.lagged_panel(firm_panel), {}
    n = 0
    for hyp, est, window, lag, firms in itertools.product(
            ["F1", "F2a"], ["pooled_poisson", "fe_poisson"], ["1983-1991", "1985-1991", "1987-1991"], [0, 1, 2],
            ["all", "no_rotw", "no_rotw_patenting", "no_top5"]):
        if hyp == "F2a" and not firms.startswith("no_rotw"):
            continue
        spec = {"hypothesis": hyp, "estimator": est, "window": window, "lag": lag, "firms": firms,
                "controls": "sector_region_year"}
        y0, X0, g0, _ = firm_tasks.design(firm_panel, spec)
        y1, X1, g1, _ = firm_tasks.design(firm_panel, spec, lagged, samples)
        pd.testing.assert_series_equal(y0, y1, check_exact=True)
        pd.testing.assert_series_equal(g0, g1, check_exact=True)
        _same_frame(X0, X1)
        n += 1
    assert n == 108 and len(samples) == 12  # samples kept per (firms, window)
    assert {"rdexp_l2", "spil_l2"} <= set(lagged.columns)


def _merge_lag(df: pd.DataFrame, cols: list[str], k: int, key: str = "id") -> pd.DataFrame:
    """The left merge ``industry._lag`` replaced."""
    prev = df[[key, "year", *cols]].copy()
    prev["year"] = prev["year"] + k
    prev = prev.rename(columns={c: f"{c}_l{k}" for c in cols})
    return df[[key, "year"]].merge(prev, on=[key, "year"], how="left")[[f"{c}_l{k}" for c in cols]]


def test_industry_lags_are_the_merge(ehs_panel):
    df = ehs_panel.sort_values(["id", "year"], kind="mergesort").reset_index(drop=True)
    gap = df.drop(index=df.index[5::7]).reset_index(drop=True)  # missing years: the lag must stay missing
    for frame, k in itertools.product([df, gap], [1, 2]):
        got = industry._lag(frame, ["lny", "lnrd"], k)
        _same_frame(got, _merge_lag(frame, ["lny", "lnrd"], k))
        assert got.isna().to_numpy().any() and got.notna().to_numpy().any()  # first years have no lag
    repeated = pd.concat([df.head(30), df.head(3)], ignore_index=True)  # repeated id-years: the merge's rows
    _same_frame(industry._lag(repeated, ["lny"], 1), _merge_lag(repeated, ["lny"], 1))


def test_build_variables_on_a_shared_frontier(ehs_panel):
    for countries, years, alphas in [(industry.COUNTRIES, (1980, 2005), (0.7, 0.3)),
                                     ([c for c in industry.COUNTRIES if c not in industry.LATE_ENTRANTS],
                                      (1985, 2000), (0.6, 0.4))]:
        sub = industry.select(ehs_panel, countries, [], *years)
        frontier = industry.frontier_variables(sub, *alphas)
        for intensity, rd_lag in itertools.product(list(industry.INTENSITIES), [1, 2]):
            ref = industry.build_variables(sub, *alphas, intensity=intensity, rd_lag=rd_lag)
            got = industry.build_variables(sub, *alphas, intensity=intensity, rd_lag=rd_lag, frontier=frontier)
            _same_frame(got, ref)
            assert ref["in_sample"].sum() > 100
        assert "rdint_raw" not in frontier[0].columns  # the shared stage is not changed by a call


def test_group_sum_is_add_at():
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 23, size=500)
    codes[:23] = np.arange(23)
    for values in (rng.normal(size=(500, 1)), rng.normal(size=(500, 9)),
                   np.asfortranarray(rng.normal(size=(500, 9))), rng.normal(size=(500, 40))[:, :17]):
        ref = np.zeros((23, values.shape[1]))
        np.add.at(ref, codes, values)
        assert np.array_equal(wcr_core._group_sum(values, codes, 23), ref)


def _reference_count(w: wcr_core._WCR, null: float, threshold: float):
    """The screened count as it was written before its buffers (the expressions of its docstring)."""
    a, c01, c11, d01 = w._sums
    eps = np.finfo(float).eps
    num = (w._num0 - null * w._num1) / w.xx
    ss = a - 2.0 * null * c01 + (null * null) * c11
    bound = (2 * w.G + 9) * eps * (a + 2.0 * abs(null) * d01 + (null * null) * c11)
    with np.errstate(divide="ignore", invalid="ignore"):
        tb = np.abs(num / (np.sqrt(w.scale * ss) / w.xx))
        margin = 4.0 * (bound / ss + 8 * eps) * np.maximum(tb, threshold)
        decided = (ss > 8.0 * bound) & np.isfinite(tb) & (np.abs(tb - threshold) > margin)
    return None if not decided.all() else int(np.count_nonzero(tb >= threshold))


def test_screened_count_is_its_expressions_on_a_real_design(ehs_panel):
    spec = {"hypothesis": "I1", "elasticities": "convention_70_30", "intensity": "rdk_output", "rd_lag": 1,
            "countries": "all", "window": "1980-2005"}
    sample = industry_tasks.variables(ehs_panel, spec)
    y, x, W = industry_tasks.design_arrays(sample)
    weights = tasks.null_weights(20261201, "I1:country", sorted(ehs_panel["country"].unique().tolist()), 999)
    codes, V = tasks.weights_for(weights, sample["country"])
    wb, _, _ = inference.wild_bootstrap_draws(None, None, codes, industry_tasks.TERM, V,
                                              partialled=inference.partial_out(y, x, W))
    w = wcr_core._WCR(None, None, None, codes, V, partialled=inference.partial_out(y, x, W))
    w.p_value(0.0)  # fills the sums
    outcomes = set()
    for null in w.beta + w.se * np.concatenate([np.linspace(-6, 6, 241), [2.0 ** 20, -(2.0 ** 20)]]):
        t = abs((w.beta - null) / w.se) * (1 - wcr_core._TIE_RTOL)
        got, ref = w._screened_count(float(null), t), _reference_count(w, float(null), t)
        assert got == ref, null
        outcomes.add("undecided" if got is None else "counted")
        # a threshold at a draw's own t*: too close to call, both leave it to boot_t
        t_draw = float(np.abs(w.boot_t(float(null)))[3])
        assert w._screened_count(float(null), t_draw) is None and _reference_count(w, float(null), t_draw) is None
    assert "counted" in outcomes
    assert np.isfinite(wb.ci).all() and wb.ci[0] < wb.estimate < wb.ci[1]
