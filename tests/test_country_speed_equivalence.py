"""The country models' fast paths give the numbers of the formula paths they replace, to the last bit.

``country_fits.design`` builds ``patsy.dmatrices(formula)`` with numpy, ``fit_ols`` / ``fit_ppml`` fit
statsmodels on it instead of on a formula, ``country_panel.Samples`` draws each model's complete cases once and
selects from them, and ``country_doctorates.rows`` reuses h4's panel. The references are the formula paths
(``inference.cluster_ols``, ``smf.glm``, ``wild_cluster_bootstrap`` on a formula) and ``model_frame`` as it was
written before (``_model_frame_reference`` below), on the real MSTI / PWT panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest

from analysis.errors import ParameterError
from analysis.models import country, country_doctorates, country_fits, country_panel, inference

SELECTIONS = [{}, {"exclude": ["CHN"]}, {"exclude": ["JPN", "USA"], "drop_breaks": True},
              {"countries": ["JPN", "USA", "DEU", "KOR", "FRA", "CHN"], "years": (1995, 2015)}]


@pytest.fixture(scope="module")
def panel(msti_tidy, pwt_tidy):
    return country.build_panel(msti_tidy, pwt_tidy)


def _model_frame_reference(panel, spec, *, lag=0, countries=None, exclude=None, years=None, drop_breaks=False,
                           centre=True) -> country.ModelFrame:
    """``country_panel.model_frame`` as written before ``complete_cases`` / ``select`` (filters first)."""
    y, xs = spec.outcome, list(spec.regressors)
    base = panel[["entity", "year", y, f"{y}_flags"] + ([spec.count] if spec.count else [])]
    lagged = country_panel._lagged(panel, xs, lag).drop(columns=["entity", "year"])
    df = pd.concat([base.reset_index(drop=True), lagged.reset_index(drop=True)], axis=1)
    if countries:
        df = df[df["entity"].isin(countries)]
    if exclude:
        df = df[~df["entity"].isin(exclude)]
    if years is not None:
        df = df[(df["year"] >= years[0]) & (df["year"] <= years[1])]
    df = df.dropna(subset=[y, *xs])
    flag_cols = [f"{y}_flags", *[f"{x}_flags" for x in xs]]
    df = df.assign(has_break=country_panel._concat(df, flag_cols).str.contains("B", regex=False).astype(bool))
    n_breaks = int(df["has_break"].sum())
    if drop_breaks:
        df = df[~df["has_break"]]
    if df["entity"].nunique() < 2:
        raise ParameterError("countries", countries, "fewer than 2 economies")
    means = {}
    if centre and spec.interaction:
        for x in xs[:2]:
            means[x] = float(df[x].mean())
            df[x] = df[x] - means[x]
    yrs = f"{int(df['year'].min())}-{int(df['year'].max())}"
    what = "breaks dropped" if drop_breaks else "all observations"
    sample = (f"{df['entity'].nunique()} economies, {yrs}, lag {lag}, {what}"
              + (f", without {', '.join(exclude)}" if exclude else ""))
    keep = ["entity", "year", y, *xs, "has_break"] + ([spec.count] if spec.count else [])
    return country.ModelFrame(spec, df[keep].reset_index(drop=True), lag, sample, means, n_breaks)


def _same_frame(a: country.ModelFrame, b: country.ModelFrame) -> None:
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    assert (a.lag, a.sample, a.means, a.n_breaks) == (b.lag, b.sample, b.means, b.n_breaks)


@pytest.mark.parametrize("sel", SELECTIONS)
def test_samples_equal_the_filter_first_model_frame(panel, sel):
    samples = country.Samples(panel)
    for spec in country.SPECS:
        for lag in (0, 1, 3):
            ref = _model_frame_reference(panel, spec, lag=lag, **sel)
            _same_frame(country.model_frame(panel, spec, lag=lag, **sel), ref)
            _same_frame(samples.model_frame(spec, lag=lag, **sel), ref)
            if spec.count:
                _same_frame(samples.ppml_frame(spec, lag=lag, **sel), country.ppml_frame(panel, spec, lag=lag, **sel))
    assert len(samples._cases) == 3 * len(country.SPECS) + 3 * sum(1 for s in country.SPECS if s.count)


def test_selection_with_one_economy_left_is_refused_as_before(panel):
    spec = country.SPECS[0]
    with pytest.raises(ParameterError, match="fewer than 2 economies"):
        country.Samples(panel).model_frame(spec, lag=0, countries=["JPN"])


@pytest.mark.parametrize("sel", SELECTIONS[:3])
def test_design_is_patsys_and_fits_are_the_formula_fits(panel, sel):
    for spec in country.SPECS:
        mf = country.model_frame(panel, spec, lag=1, **sel)
        y_ref, X_ref = patsy.dmatrices(country.formula(spec), mf.data, return_type="dataframe", NA_action="drop")
        y, X = country_fits.design(mf)
        pd.testing.assert_frame_equal(X, X_ref, check_exact=True)
        np.testing.assert_array_equal(y.to_numpy(), y_ref.iloc[:, 0].to_numpy())
        assert X.to_numpy().flags.f_contiguous and X_ref.to_numpy().flags.f_contiguous
        ref, fit = inference.cluster_ols(country.formula(spec), mf.data, "entity"), country_fits.fit_ols(mf)
        for attr in ("params", "bse", "pvalues", "fittedvalues"):
            pd.testing.assert_series_equal(getattr(fit.result, attr), getattr(ref.result, attr), check_exact=True)
        assert (fit.n_obs, fit.n_clusters) == (ref.n_obs, ref.n_clusters)
        rows = country_fits.ols_rows(fit, country.terms(spec))
        assert rows == {t: ref.row(t) for t in country.terms(spec)}
        for t in dict.fromkeys(spec.carries.values()):
            a = inference.wild_cluster_bootstrap(country.formula(spec), mf.data, "entity", t, reps=199)
            b = inference.wild_cluster_bootstrap((y, X), mf.data, "entity", t, reps=199)
            assert a == b


def _ppml_reference(mf: country.ModelFrame) -> dict[str, tuple[float, float, float, float]]:
    """h4's PPML as written before: ``smf.glm`` on the formula, ``scipy.stats.t`` quantile."""
    import statsmodels.formula.api as smf
    import statsmodels.genmod.api as sm
    from scipy import stats

    spec = mf.spec
    f = country.formula(spec).replace(f"{spec.outcome} ~", f"{spec.count} ~", 1)
    codes, _ = pd.factorize(mf.data["entity"], sort=True)
    res = smf.glm(f, mf.data, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)
    q = stats.t.ppf(0.975, int(codes.max()))
    return {t: (float(res.params[t]), float(res.bse[t]), float(res.params[t]) - q * float(res.bse[t]),
                float(res.params[t]) + q * float(res.bse[t])) for t in country.terms(spec)}


@pytest.mark.parametrize("sel", SELECTIONS[:2])
def test_ppml_on_the_design_is_the_formula_glm(panel, sel):
    for spec in (s for s in country.SPECS if s.count):
        mp = country.ppml_frame(panel, spec, lag=0, **sel)
        got = country_fits.fit_ppml(mp)
        ref = _ppml_reference(mp)
        assert {t: (r["estimate"], r["std_error"], r["ci_low"], r["ci_high"]) for t, r in got.items()} == ref


def test_doctorate_rows_on_h4s_panel_equal_their_own_panel(msti_tidy, panel):
    params = {**country.DEFAULTS, "bootstrap_reps": 199}
    sel = {"countries": [], "exclude": [], "years": None}
    own = country_doctorates.rows(msti_tidy, params, sel)
    shared = country_doctorates.rows(msti_tidy, params, sel, panel=panel)
    assert own and own == shared
