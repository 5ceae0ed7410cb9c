"""Cluster-robust inference: CR1 OLS fits and the wild cluster restricted (WCR) bootstrap.

Two entry points, shared by every regression family:

- ``cluster_ols(formula, data, cluster)``: OLS with the CR1 cluster-robust covariance (the Stata/statsmodels
  small-sample factor G/(G-1)·(N-1)/(N-K)) and t(G-1) reference distribution for tests and intervals.
- ``wild_cluster_bootstrap(formula_or_design, data, cluster, term, reps=999, seed=..., weights="webb")``:
  p-value and confidence interval for one coefficient by the wild cluster bootstrap-t with the null imposed
  (WCR, Cameron, Gelbach & Miller 2008, REStat 90(3); implementation after Roodman, MacKinnon, Nielsen & Webb
  2019, Stata Journal 19(1), "Fast and wild"). The interval inverts the bootstrap test: it is the set of null
  values that the test does not reject, with the same draws for every null value.

Why WCR: with few clusters (roughly G < 50, or very unequal cluster sizes) CR1 t-tests over-reject; the WCR
bootstrap-t is the standard fix. With few clusters use Webb's six-point weights (Rademacher weights allow only
2^G distinct draws). When 2^G <= reps and weights="rademacher", every sign vector is enumerated once
(deterministic, no seed needed) — as boottest does.

The bootstrap works on the Frisch-Waugh-Lovell partialled model, so fixed effects written as ``C(id)`` dummies
are handled exactly; cost per draw is O(G^2), not O(N·K).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import stdtr  # the t cdf itself: scipy.stats.t.sf(t, df) is stdtr(df, -t), without loading scipy.stats

from ..errors import ParameterError
from .wcr_core import (  # noqa: F401 - the bootstrap's public names stay importable from here
    _TIE_RTOL, DEFAULT_SEED, WEIGHTS, Partialled, _ci_note, _group_sum, _invert, _WCR, draw_weights, partial_out)



@dataclass(frozen=True)
class ClusterFit:
    """A CR1 OLS fit. ``result`` is the statsmodels results object (``use_t`` with G-1 degrees of freedom)."""

    result: object
    n_obs: int
    n_clusters: int
    cluster: str

    def row(self, term: str, level: float = 0.95) -> dict:
        """Estimate, standard error, interval, p-value, N and G of one term, in the results-layout keys."""
        r = self.result
        if term not in r.params.index:
            raise ParameterError("term", term, "not a regressor of this model",
                                 [t for t in r.params.index if not t.startswith("C(")])
        ci = r.conf_int(alpha=1 - level).loc[term]
        return {"term": term, "estimate": float(r.params[term]), "std_error": float(r.bse[term]),
                "ci_low": float(ci.iloc[0]), "ci_high": float(ci.iloc[1]), "p_value": float(r.pvalues[term]),
                "n_obs": self.n_obs, "n_clusters": self.n_clusters,
                "inference": f"CR1 clustered by {self.cluster}, t({self.n_clusters - 1})"}


@dataclass(frozen=True)
class WildBootstrap:
    """Result of ``wild_cluster_bootstrap``. ``p_value`` tests ``term == null``; ``ci`` inverts that test."""

    term: str
    estimate: float
    std_error: float  # CR1
    t_stat: float  # (estimate - null) / CR1 se
    null: float
    p_value: float
    ci: tuple[float, float]
    level: float
    reps: int  # draws actually used (2^G when Rademacher weights are enumerated)
    weights: str
    seed: int | None
    enumerated: bool
    n_obs: int
    n_clusters: int
    ci_note: str = ""  # why an interval end is infinite or approximate; "" when both ends were found

    def __iter__(self):
        """Unpack as ``p_value, ci = wild_cluster_bootstrap(...)``."""
        return iter((self.p_value, self.ci))

    @property
    def inference(self) -> str:
        how = "all sign vectors" if self.enumerated else f"{self.reps} draws, seed {self.seed}"
        text = f"WCR bootstrap-t, {self.weights} weights, {how}, clustered ({self.n_clusters} clusters)"
        return f"{text}; {self.ci_note}" if self.ci_note else text


def _cluster_codes(data: pd.DataFrame, cluster: str | Sequence, n: int, index: pd.Index | None) -> np.ndarray:
    if isinstance(cluster, str):
        if cluster not in data.columns:
            raise ParameterError("cluster", cluster, "not a column of the data", list(map(str, data.columns)))
        col = data[cluster]
        if index is not None:
            col = col.loc[index]
        values = col
    else:
        values = pd.Series(np.asarray(cluster))
        if index is not None and len(values) == len(data):
            values = pd.Series(np.asarray(cluster), index=data.index).loc[index]
    if len(values) != n:
        raise ParameterError("cluster", f"<{len(values)} values>", f"needs one value per observation ({n})")
    if pd.isna(values).any():
        raise ParameterError("cluster", cluster if isinstance(cluster, str) else "<array>",
                             "has missing values in the estimation sample")
    codes, _ = pd.factorize(pd.Series(np.asarray(values)), sort=True)
    return codes.astype(np.int64)


def cluster_ols(formula: str, data: pd.DataFrame, cluster: str) -> ClusterFit:
    """OLS of ``formula`` on ``data`` with CR1 standard errors clustered by the column ``cluster``.

    Rows with a missing value in any model variable are dropped (as patsy does); the cluster column must be
    complete on the remaining rows. Tests and intervals use t(G-1), G = number of clusters.
    """
    if cluster not in data.columns:
        raise ParameterError("cluster", cluster, "not a column of the data", list(map(str, data.columns)))
    if not data.index.is_unique:  # rows are matched to clusters by index label
        data = data.reset_index(drop=True)
    # OLS.from_formula is what statsmodels.formula.api.ols is, without importing every formula model
    from statsmodels.regression.linear_model import OLS

    model = OLS.from_formula(formula, data)
    used = model.data.row_labels if model.data.row_labels is not None else data.index
    groups = _cluster_codes(data, cluster, len(used), pd.Index(used))
    g = int(groups.max()) + 1 if len(groups) else 0
    if g < 2:
        raise ParameterError("cluster", cluster, f"needs at least 2 clusters in the sample (found {g})")
    res = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True, "df_correction": True},
                    use_t=True)
    return ClusterFit(result=res, n_obs=int(res.nobs), n_clusters=g, cluster=cluster)


def _design(formula_or_design, data: pd.DataFrame, term: str):
    """(y, x, W, row index) from a formula or a (y, X) pair; x is the ``term`` column, W the others."""
    if isinstance(formula_or_design, str):
        import patsy

        y_df, X_df = patsy.dmatrices(formula_or_design, data, return_type="dataframe", NA_action="drop")
        y = y_df.iloc[:, 0].to_numpy(dtype=float)
    else:
        try:
            y_in, X_df = formula_or_design
        except (TypeError, ValueError) as exc:
            raise ParameterError("formula_or_design", type(formula_or_design).__name__,
                                 "give a patsy formula or a (y, X) pair with X a DataFrame") from exc
        if not isinstance(X_df, pd.DataFrame):
            raise ParameterError("formula_or_design", type(X_df).__name__, "X must be a pandas DataFrame")
        y = np.asarray(y_in, dtype=float)
        if y.ndim != 1 or len(y) != len(X_df):
            raise ParameterError("formula_or_design", f"y of shape {y.shape}", f"y must be 1-D with {len(X_df)} rows")
        if not (np.isfinite(y).all() and np.isfinite(X_df.to_numpy(dtype=float)).all()):
            raise ParameterError("formula_or_design", "(y, X)", "contains missing or infinite values")
    if term not in X_df.columns:
        raise ParameterError("term", term, "not a column of the design",
                             [c for c in X_df.columns if not str(c).startswith("C(")])
    x = X_df[term].to_numpy(dtype=float)
    W = X_df.drop(columns=[term]).to_numpy(dtype=float)
    return y, x, W, X_df.index


def wild_cluster_bootstrap(formula_or_design, data: pd.DataFrame, cluster: str | Sequence, term: str, *,
                           reps: int = 999, seed: int | None = DEFAULT_SEED, weights: str = "webb",
                           null: float = 0.0, level: float = 0.95, ci: bool = True) -> WildBootstrap:
    """Wild cluster restricted bootstrap-t for one coefficient.

    Parameters
    ----------
    formula_or_design
        A patsy formula evaluated on ``data`` (fixed effects as ``C(id)`` dummies), or a pair ``(y, X)`` with
        ``X`` a DataFrame whose columns include ``term`` (rows aligned with ``data``).
    cluster
        Column of ``data`` (or an array, one value per row) defining the clusters.
    term
        Name of the coefficient tested (as in the design's columns, e.g. ``"lnrd"`` or ``"a:b"``).
    reps, seed, weights
        Number of draws (>= 99), the numpy ``default_rng`` seed, and ``"webb"`` or ``"rademacher"``.
    null
        Value of the coefficient under H0 (two-sided test).
    level, ci
        Confidence level of the test-inversion interval; ``ci=False`` skips it (``ci`` is then (nan, nan)).

    Returns a ``WildBootstrap``; ``p_value, ci = wild_cluster_bootstrap(...)`` also works.
    """
    if not (0 < level < 1):
        raise ParameterError("level", level, "must lie in (0, 1)")
    if not data.index.is_unique:  # rows are matched to clusters by index label
        data = data.reset_index(drop=True)
    y, x, W, index = _design(formula_or_design, data, term)
    codes = _cluster_codes(data, cluster, len(y), index if isinstance(formula_or_design, str) else None)
    G = int(codes.max()) + 1 if len(codes) else 0
    if G < 2:
        raise ParameterError("cluster", cluster if isinstance(cluster, str) else "<array>",
                             f"needs at least 2 clusters in the sample (found {G})")
    V, enumerated = draw_weights(G, reps, weights, seed)
    w = _WCR(y, x, W, codes, V)
    p = w.p_value(null)
    interval = (float("nan"), float("nan"))
    ci_note = ""
    if ci:
        alpha = 1 - level
        (low, note_low), (high, note_high) = _invert(w, alpha, -1), _invert(w, alpha, +1)
        interval = (low, high)
        ci_note = _ci_note(note_low, note_high, w.G)
    return WildBootstrap(term=term, estimate=w.beta, std_error=w.se, t_stat=(w.beta - null) / w.se, null=null,
                         p_value=p, ci=interval, level=level, reps=V.shape[1], weights=weights,
                         seed=None if enumerated else seed, enumerated=enumerated, n_obs=len(y), n_clusters=G,
                         ci_note=ci_note)


def t_pvalue(t: float, df: int) -> float:
    """Two-sided p-value of a t statistic with ``df`` degrees of freedom."""
    return float(2 * stdtr(df, -abs(t)))


def wild_bootstrap_draws(y: np.ndarray, X: pd.DataFrame | None, clusters: np.ndarray, term: str,
                         weights: np.ndarray, *, level: float = 0.95, ci: bool = True,
                         partialled: Partialled | None = None) -> tuple[WildBootstrap, np.ndarray, np.ndarray]:
    """``wild_cluster_bootstrap`` with the cluster weights passed in (G, B), plus the draws themselves.

    Returns the bootstrap result (CR1 estimate and SE, WCR p-value and interval for H0: term = 0) and the
    bootstrap estimates and t statistics under that null, (B,) each. With one weight array for several
    specifications they are resampled jointly (the specification-curve test of ``analysis.multiverse``).
    ``clusters`` are codes 0..G-1, one per row of ``X``; row g of ``weights`` belongs to cluster g.
    ``partialled``: the design's ``partial_out(y, x, W)``, shared by several calls on one design (other
    clusterings or weights); ``X`` is then not needed (None).
    """
    if partialled is None:
        partialled = partial_out(y, *split_design(X, term))
    codes = np.asarray(clusters, dtype=np.int64)
    w = _WCR(None, None, None, codes, weights, partialled=partialled)
    interval, note = (float("nan"), float("nan")), ""
    if ci:
        (low, note_low), (high, note_high) = _invert(w, 1 - level, -1), _invert(w, 1 - level, +1)
        interval, note = (low, high), _ci_note(note_low, note_high, w.G)
    res = WildBootstrap(term=term, estimate=w.beta, std_error=w.se, t_stat=w.beta / w.se, null=0.0,
                        p_value=w.p_value(0.0), ci=interval, level=level, reps=weights.shape[1], weights="given",
                        seed=None, enumerated=False, n_obs=w.n, n_clusters=w.G, ci_note=note)
    return res, w._num0 / w.xx, w.boot_t(0.0)


def split_design(X: pd.DataFrame, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, W): the ``term`` column of the design ``X`` and the other columns, in order, as float arrays."""
    return X[term].to_numpy(dtype=float), X.drop(columns=[term]).to_numpy(dtype=float)
