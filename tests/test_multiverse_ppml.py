"""The multiverse's PPML (``models.ppml_core``, statsmodels' IRLS on arrays) against statsmodels' Poisson GLM
on the real country panel: the same iterations, estimates and cluster-robust standard errors to 1e-10 relative
(the dummies' standard errors to 1e-8; issue 15: the GLM was a quarter of the country family's CPU time)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from analysis.models import ppml_core
from analysis.multiverse import country_tasks, engine, space

TOLERANCE = 1e-10  # relative, on every coefficient and on the standard errors of the named regressors
# The SEs of the country and year dummies: statsmodels' pseudo-inverse of the near-singular Hessian rounds more, and
# by the CPU's BLAS kernels (worst 3e-10 on AVX2 machines, 1.3e-9 with OpenBLAS' AVX-512 kernels, one thread).
DUMMY_SE_TOLERANCE = 1e-8


@pytest.fixture(scope="module")
def country_panel():
    return country_tasks.prepare()["panel"]


def _specs() -> list[dict]:
    """PPML specifications of C1a and C1b: every flag treatment and lag, and the other price basis and
    exclusions (the designs where the two computations differ most are among them)."""
    spaces = space.load()
    non_oecd = next(sp for sp in spaces if sp.hypothesis == "C1a").settings["non_oecd"]
    grid = [s for s in engine.specifications(spaces) if s.get("estimator") == "ppml_twfe"]
    wanted = {(h, "constant_ppp", f, lag, "none") for h, f, lag in
              itertools.product(["C1a", "C1b"], ["keep", "drop_B", "drop_BE"], [0, 1, 2])}
    wanted |= {("C1b", "current_ppp", "drop_B", 1, "none"), ("C1a", "constant_ppp", "keep", 0, "CHN"),
               ("C1b", "constant_ppp", "drop_BE", 2, "non_oecd"), ("C1a", "current_ppp", "drop_BE", 1, "CHN")}
    out = [{**s, "_non_oecd": non_oecd} for s in grid
           if (s["hypothesis"], s["prices"], s["flags"], int(s["lag"]), s["exclude"]) in wanted]
    assert len(out) == len(wanted)
    return out


def _glm(y, X, codes):
    return GLM(y, X, family=families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, maxiter=100, tol=1e-8)


def test_ppml_core_is_statsmodels_glm_on_the_country_designs(country_panel):
    worst = 0.0
    for spec in _specs():
        mf = country_tasks.sample(country_panel, spec)
        y, X, names = country_tasks.design_arrays(mf, mf.spec.count, False)
        codes, _ = pd.factorize(mf.data["entity"], sort=True)
        ref = _glm(y, X, codes)
        got = ppml_core.fit(y, X, codes)
        assert got.converged and ref.converged
        assert got.iterations == ref.fit_history["iteration"], spec["spec_id"]
        assert (got.nobs, got.n_clusters) == (int(ref.nobs), int(codes.max()) + 1)
        rel_b = np.abs(got.params - ref.params) / np.abs(ref.params)
        rel_se = np.abs(got.bse - ref.bse) / ref.bse
        named = len(names)  # the constant and the regressors come first, then the dummies
        assert rel_b.max() <= TOLERANCE, (spec["spec_id"], rel_b.max())
        assert rel_se[:named].max() <= TOLERANCE, (spec["spec_id"], rel_se[:named].max())
        assert rel_se.max() <= DUMMY_SE_TOLERANCE, (spec["spec_id"], rel_se.max())
        assert got.deviance == pytest.approx(ref.deviance, rel=1e-12)
        j = names.index(spec["term"])
        row = country_tasks._ppml(mf, spec)
        assert row["estimate"] == float(got.params[j]) and row["std_error"] == float(got.bse[j])
        worst = max(worst, rel_b[j], rel_se[j])
    assert worst > 0  # not the GLM itself: the agreement is to rounding, not to the bit


def test_a_design_without_full_rank_is_left_to_the_glm(country_panel):
    spec = _specs()[0]
    mf = country_tasks.sample(country_panel, spec)
    y, X, names = country_tasks.design_arrays(mf, mf.spec.count, False)
    codes, _ = pd.factorize(mf.data["entity"], sort=True)
    with pytest.raises(ppml_core.NotFullRank):
        ppml_core.fit(y, np.column_stack([X, X[:, 1] + X[:, 2]]), codes)
    with pytest.raises(ppml_core.NotFullRank):
        ppml_core.fit(y, X[:5], codes[:5])  # more columns than rows
    # _ppml's fallback is the GLM on the same arrays
    params, bse, nobs = country_tasks._ppml_glm(y, X, codes)
    ref = _glm(y, X, codes)
    assert np.array_equal(params, ref.params) and np.array_equal(bse, ref.bse) and nobs == int(ref.nobs)


def test_the_deviance_is_statsmodels_poisson_deviance():
    rng = np.random.default_rng(4)
    y = np.r_[0.0, 0.0, rng.poisson(3.0, 40).astype(float), 0.25]
    mu = rng.uniform(0.1, 6.0, len(y))
    assert ppml_core.deviance(y, mu) == families.Poisson().deviance(y, mu)
