"""The array rewrites of the firm stages (issue 15) give the frames and numbers of the code they replace, to the
last bit, on the real Cincera panel. The replaced code is kept here as the reference:

- ``firm_panel.design`` builds its design as one array instead of a concatenation of ``get_dummies`` frames:
  the same columns, values, dtypes, index and memory layout (the estimators' matrix products depend on it) for
  every estimator, window, lag, firm sample and region-slope base.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.models import count_panel, firm, firm_panel
from analysis.multiverse import firm_tasks


def reference_design(panel: pd.DataFrame, estimator: str, *, start_year: int = 1983, end_year: int = 1991,
                     lag: int = 0, exclude_rotw: bool = False, region_slopes: str | None = None,
                     lagged: bool = False):
    """``firm_panel.design`` before the rewrite (pandas columns and ``get_dummies``), checks left out."""
    df = firm.add_lags(panel, ["rdexp", "spil"], lag) if lag and not lagged else panel.copy()
    r_col, s_col = (f"rdexp_l{lag}", f"spil_l{lag}") if lag else ("rdexp", "spil")
    df = df[df["year"].between(max(start_year, firm.FIRST_YEAR + lag), end_year)].dropna(subset=[r_col, s_col])
    if exclude_rotw:
        df = df[df["region"] != "rotw"]
    df = df.reset_index(drop=True)
    X = pd.DataFrame(index=df.index)
    X["rdexp"] = df[r_col] - df[r_col].mean()
    X["spil"] = df[s_col] - df[s_col].mean()
    X["rdexp:spil"] = X["rdexp"] * X["spil"]
    if region_slopes is not None:
        others = [r for r in ("japan", "eu", "usa") if r != region_slopes]
        for v in ("spil", "rdexp"):
            for r in others:
                X[f"{v}:{r}"] = X[v] * (df["region"] == r).astype("float64")
    years = pd.get_dummies(df["year"].astype("int64"), prefix="year", dtype="float64").iloc[:, 1:]
    if estimator == "fe_poisson":
        X = pd.concat([X, years], axis=1)
    else:
        sectors = pd.get_dummies(df["sector_code"].astype("int64"), prefix="sector", dtype="float64").iloc[:, 1:]
        base = region_slopes or "usa"
        regs = pd.get_dummies(df["region"].astype(str), prefix="region", dtype="float64")
        regs = regs.drop(columns=f"region_{base}")
        X = pd.concat([pd.Series(1.0, index=df.index, name="const"), X, sectors, regs, years], axis=1)
    return df["patent"], X, df["firm"], df


@pytest.fixture(scope="module")
def panel():
    return firm.load_panel()


def _same_design(new, old) -> None:
    for a, b in zip(new[:3], old[:3]):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            x, y = a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64")
            assert x.flags.f_contiguous == y.flags.f_contiguous and x.flags.c_contiguous == y.flags.c_contiguous
            # -0.0 and 0.0 compare equal: compare the bits
            assert np.array_equal(x.view(np.int64), y.view(np.int64))
        else:
            pd.testing.assert_series_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(new[3], old[3], check_exact=True)


def test_design_equals_the_concatenated_frames(panel):
    lagged = firm_tasks.lagged_panel(panel)
    n = 0
    for est, (start, end), lag, rotw, slopes in itertools.product(
            count_panel.ESTIMATORS, [(1983, 1991), (1985, 1991), (1987, 1990)], [0, 1, 2], [False, True],
            [None, "usa", "eu"]):
        if slopes and not rotw:
            continue
        kw = {"start_year": start, "end_year": end, "lag": lag, "exclude_rotw": rotw, "region_slopes": slopes}
        new = firm.design(panel, est, **kw)
        _same_design(new, reference_design(panel, est, **kw))
        sub = firm_tasks.firm_sample(lagged, "no_rotw_patenting" if rotw else "no_top5", (start, end))
        _same_design(firm.design(sub, est, lagged=True, **kw), reference_design(sub, est, lagged=True, **kw))
        n += 1
    assert n == 3 * 3 * 3 * 4
    X = firm.design(panel, "pooled_poisson")[1]
    assert X.columns[0] == "const" and "region_usa" not in X.columns and "sector_1" not in X.columns


def test_design_without_the_base_region_fails_as_before(panel):
    no_usa = panel[panel["region"] != "usa"]
    with pytest.raises(KeyError, match="region_usa"):
        reference_design(no_usa, "pooled_poisson")
    with pytest.raises(KeyError, match="region_usa"):
        firm.design(no_usa, "pooled_poisson")
    with pytest.raises(ParameterError, match="region_slopes"):
        firm_panel.design(panel, "pooled_poisson", region_slopes="japan")


def test_nb2_hessian_is_statsmodels_to_the_bit(panel):
    from statsmodels.discrete.discrete_model import NegativeBinomial

    from analysis.models import nb2_model

    n = 0
    for est, lag, rotw, slopes in [("negbin", 0, False, None), ("negbin", 1, True, "usa"), ("fe_poisson", 2, True, "eu")]:
        y, X, _, _ = firm.design(panel, est, lag=lag, exclude_rotw=rotw, region_slopes=slopes)
        ya, Xa = y.to_numpy(dtype=float), X.to_numpy(dtype=float)
        ours, theirs = nb2_model.nb2(ya, Xa), NegativeBinomial(ya, Xa, loglike_method="nb2")
        start = count_panel.pooled_poisson(ya, X).params.to_numpy()
        for alpha in (0.05, 0.5, 2.0):
            params = np.r_[start * 0.9, alpha]
            for transformed in (False, True):  # lnalpha during the fit, alpha afterwards
                ours._transparams = theirs._transparams = transformed
                a, b = ours.hessian(params), theirs.hessian(params)
                assert np.array_equal(a.view(np.int64), b.view(np.int64))
                n += 1
    assert n == 18
    # and a whole fit: parameters, covariances and the log-likelihood as statsmodels' own model gives them
    y, X, g, _ = firm.design(panel, "negbin")
    fit = count_panel.negbin(y, X, g)
    model = NegativeBinomial(y.to_numpy(dtype=float), X.to_numpy(dtype=float), loglike_method="nb2")
    start = count_panel.pooled_poisson(y, X).params.to_numpy()
    res = model.fit(start_params=np.r_[start, 0.5], method="newton", maxiter=200, disp=False)
    assert np.array_equal(fit.params.to_numpy(), np.asarray(res.params))
    assert fit.loglik == float(res.llf)
    assert np.array_equal(fit.cov_model.to_numpy(), np.linalg.inv(-model.hessian(np.asarray(res.params))))


def reference_firm_sample(panel: pd.DataFrame, firms: str, years: tuple[int, int]) -> pd.DataFrame:
    """``firm_tasks.firm_sample`` before the rewrite (pandas group sums and sets)."""
    in_window = panel[panel["year"].between(*years)]
    totals = in_window.groupby("firm")["patent"].sum()
    keep = set(totals.index)
    if firms.startswith("no_rotw"):
        keep -= set(panel.loc[panel["region"] == "rotw", "firm"])
    if firms.endswith("patenting"):
        keep &= set(totals.index[totals > 0])
    if firms.endswith("top5"):
        top = totals.reset_index().sort_values(["patent", "firm"], ascending=[False, True], kind="mergesort")
        keep -= set(top["firm"].head(5))
    return panel[panel["firm"].isin(keep)]


def test_firm_samples_equal_the_group_sums_and_sets(panel):
    lagged = firm_tasks.lagged_panel(panel)
    tied = panel.assign(patent=np.where(panel["patent"] > 50, 60, panel["patent"]))  # ties among the top firms
    n = 0
    for frame, firms, years in itertools.product(
            [panel, lagged, tied], ["all", "no_rotw", "patenting", "no_rotw_patenting", "no_top5", "no_rotw_top5"],
            [(1983, 1991), (1985, 1989), (1991, 1991)]):
        new, old = firm_tasks.firm_sample(frame, firms, years), reference_firm_sample(frame, firms, years)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
        n += 1
    assert n == 54
    assert panel["firm"].nunique() - firm_tasks.firm_sample(panel, "no_top5", (1983, 1991))["firm"].nunique() == 5
