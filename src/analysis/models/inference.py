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

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.linalg
from scipy.special import stdtr  # the t cdf itself: scipy.stats.t.sf(t, df) is stdtr(df, -t), without loading scipy.stats

from ..errors import ParameterError

WEIGHTS = ("webb", "rademacher")
DEFAULT_SEED = 20261129
# A bootstrap t equal to the observed t up to rounding counts as "at least as extreme" (the all-ones draw
# reproduces the sample exactly and must count, as in a randomization test).
_TIE_RTOL = 1e-9


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


def draw_weights(n_clusters: int, reps: int, weights: str = "webb", seed: int | None = DEFAULT_SEED
                 ) -> tuple[np.ndarray, bool]:
    """Cluster weights as a (G, B) array, and whether they are a full enumeration.

    ``rademacher``: ±1 with probability 1/2; if 2^G <= reps all 2^G sign vectors are returned instead of random
    draws. ``webb``: ±sqrt(1/2), ±1, ±sqrt(3/2), each with probability 1/6 (Webb 2013/2023).
    """
    if weights not in WEIGHTS:
        raise ParameterError("weights", weights, "unknown bootstrap weight distribution", WEIGHTS)
    if not isinstance(reps, (int, np.integer)) or reps < 99:
        raise ParameterError("reps", reps, "must be an integer >= 99")
    if weights == "rademacher" and n_clusters <= 20 and 2 ** n_clusters <= reps:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n_clusters))).T
        return signs, True
    rng = np.random.default_rng(seed)
    if weights == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, reps)), False
    six = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    return rng.choice(six, size=(n_clusters, reps)), False


def _group_sum(values: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    """Sum the rows of ``values`` (n, k) within clusters -> (G, k).

    One ``bincount`` per column: it adds the rows in their order, as ``np.add.at`` does (the same sums to the
    last bit), without ``add.at``'s per-element overhead.
    """
    out = np.zeros((g, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=g)
    return out


class Partialled:
    """The Frisch-Waugh-Lovell part of the WCR bootstrap that does not depend on the clusters: y and x with the
    other regressors W partialled out, an orthonormal basis Z of W's column space, the OLS estimate and the
    row-wise products the cluster sums need. One design bootstrapped under several clusterings (or weight
    sets) pays for its QR decomposition once (``wild_bootstrap_draws(..., partialled=...)``)."""

    def __init__(self, y: np.ndarray, x: np.ndarray, W: np.ndarray):
        self.n = len(y)
        if W.shape[1]:
            # Orthonormal basis Z of the column space of W (pivoted QR handles collinear dummies): the projection
            # W(W'W)^+W' equals ZZ', so Z replaces W everywhere below and no inverse is needed.
            Qm, R, _ = scipy.linalg.qr(W, mode="economic", pivoting=True, check_finite=False)
            diag = np.abs(np.diag(R))
            rank_w = int((diag > diag[0] * max(W.shape) * np.finfo(float).eps).sum()) if diag.size else 0
            Z = Qm[:, :rank_w]
            self.yt, self.xt = y - Z @ (Z.T @ y), x - Z @ (Z.T @ x)
        else:
            Z = W
            self.yt, self.xt = y.copy(), x.copy()
            rank_w = 0
        self.xx = float(self.xt @ self.xt)
        if self.xx <= 1e-12 * max(1.0, float(x @ x)):
            raise ParameterError("term", "<term>", "is collinear with the other regressors (not identified)")
        self.rank_w = rank_w
        self.beta = float(self.xt @ self.yt) / self.xx
        resid = self.yt - self.beta * self.xt
        # row-wise terms of the cluster sums below: the score, x~'x~, and x~'u, Z'u for u = y~ and u = x~
        self.score_rows = (self.xt * resid)[:, None]
        self.xx_rows = (self.xt ** 2)[:, None]
        self.a_rows = {"y": (self.xt * self.yt)[:, None], "x": (self.xt * self.xt)[:, None]}
        self.zx_rows = Z * self.xt[:, None] if rank_w else None
        self.z_rows = {"y": Z * self.yt[:, None], "x": self.zx_rows} if rank_w else None


class _WCR:
    """Precomputed pieces of the partialled model y~ = b x~ + e (FWL on W), cluster codes and draws."""

    def __init__(self, y, x, W, codes, V, partialled: Partialled | None = None):
        part = partialled if partialled is not None else Partialled(y, x, W)
        self.codes = codes
        self.G = int(codes.max()) + 1
        self.n = part.n
        self.yt, self.xt, self.xx, self.beta = part.yt, part.xt, part.xx, part.beta
        self.k = part.rank_w + 1
        self.scale = self.G / (self.G - 1) * (self.n - 1) / (self.n - self.k)
        score = _group_sum(part.score_rows, codes, self.G)[:, 0]
        self.se = float(np.sqrt(self.scale * (score @ score)) / self.xx)
        # The restricted residuals are linear in the null value, u~(b0) = y~ - b0·x~, and so are the per-draw
        # bootstrap scores and numerators: precompute both parts once, then each null costs O(G·B).
        # score_g(v) = x~_g' [M_X (u∘v)]_g = sum_h M[g,h] v_h with
        # M = diag(a) - (s/x~'x~) a' - P Q',  a_h = x~_h'u_h,  s_g = x~_g'x~_g,  P_g = x~_g'Z_g,  Q_h = Z_h'u_h.
        s = _group_sum(part.xx_rows, codes, self.G)[:, 0]
        P = _group_sum(part.zx_rows, codes, self.G) if part.rank_w else None

        def m_times_v(u: str) -> tuple[np.ndarray, np.ndarray]:
            a = _group_sum(part.a_rows[u], codes, self.G)[:, 0]
            M = np.diag(a) - np.outer(s / self.xx, a)
            if P is not None:
                M -= P @ _group_sum(part.z_rows[u], codes, self.G).T
            return a @ V, M @ V

        self._num0, self._sc0 = m_times_v("y")  # part at b0 = 0
        self._num1, self._sc1 = m_times_v("x")  # minus the part per unit of b0
        self._buf = np.empty_like(self._sc0)
        self._sums = None  # the cluster sums of ``_screened_count``, at its first call

    def boot_t(self, null: float) -> np.ndarray:
        """Bootstrap t statistics (B,) for H0: b = null, with restricted residuals u~ = y~ - null·x~."""
        num = (self._num0 - null * self._num1) / self.xx  # b* - null
        # scores = sc0 - null·sc1, in a buffer reused by every null of the interval search
        scores = np.subtract(self._sc0, np.multiply(self._sc1, null, out=self._buf), out=self._buf)
        se = np.sqrt(self.scale * np.einsum("gb,gb->b", scores, scores)) / self.xx
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / se

    def p_value(self, null: float) -> float:
        t = (self.beta - null) / self.se
        threshold = abs(t) * (1 - _TIE_RTOL)
        count = self._screened_count(null, threshold)
        if count is None:
            count = int(np.count_nonzero(np.abs(self.boot_t(null)) >= threshold))
        # the share of draws at least as extreme (count / B: the same number as the mean of the booleans)
        return float(count / self._sc0.shape[1])

    def _screened_count(self, null: float, threshold: float) -> int | None:
        """The number of draws with |t*| >= ``threshold``, decided in O(B) instead of ``boot_t``'s O(G·B), or
        None when a draw is too close to call.

        The squared bootstrap SE sum_g (s0 - null·s1)^2 expands to A - 2·null·C01 + null^2·C11 (sums over the
        clusters, computed once). The expansion differs from ``boot_t``'s float result by at most about
        (2G + 9)·eps·T, T = A + 2|null|·sum|s0 s1| + null^2·C11 (rounding of both sums and of the subtraction);
        a draw is decided only when its t* is farther from the threshold than four times that bound, and every
        draw must be decided. Otherwise (a draw within ~1e-12 of the threshold, or far nulls where the expansion
        cancels) ``boot_t`` decides: the count, and so every p-value and interval, is that of ``boot_t``."""
        if self._sums is None:
            s0, s1 = self._sc0, self._sc1
            self._sums = (np.einsum("gb,gb->b", s0, s0), np.einsum("gb,gb->b", s0, s1),
                          np.einsum("gb,gb->b", s1, s1), np.einsum("gb,gb->b", np.abs(s0), np.abs(s1)))
        a, c01, c11, d01 = self._sums
        num = (self._num0 - null * self._num1) / self.xx
        ss = a - 2.0 * null * c01 + (null * null) * c11
        bound = (2 * self.G + 9) * np.finfo(float).eps * (a + 2.0 * abs(null) * d01 + (null * null) * c11)
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.abs(num / (np.sqrt(self.scale * ss) / self.xx))
            margin = 4.0 * (bound / ss + 8 * np.finfo(float).eps) * np.maximum(tb, threshold)
            decided = (ss > 8.0 * bound) & np.isfinite(tb) & (np.abs(tb - threshold) > margin)
        if not decided.all():
            return None
        return int(np.count_nonzero(tb >= threshold))


# Interval search: the bracket doubles its distance from the estimate at most _MAX_DOUBLINGS times, to 2^20 (about
# a million) standard errors. Further out the restricted scores s0 - null·s1 lose their precision (the draws with
# equal weights in every cluster have s1 = 0 up to rounding), so an apparent rejection there is an artefact: with
# few clusters (e.g. 2, or 4 with enumerated Rademacher signs) the test can reject no value at all, and the end is
# reported as infinite with a note. Bisection stops at _CI_RTOL of the endpoint's scale, when the midpoint is no
# longer a float strictly between the two ends, or after _MAX_BISECTIONS steps (then the note says so).
_MAX_DOUBLINGS = 20
_MAX_BISECTIONS = 200
_CI_RTOL = 1e-7


def _invert(w: _WCR, alpha: float, side: int) -> tuple[float, str]:
    """Endpoint of {null : p(null) >= alpha} on one side of the estimate, and its status: "" when found,
    "unbounded" or "not converged".

    Bracketing then bisection. The p-value is a step function of the null, so bisection converges to the step
    where the test starts to reject. With few clusters the test may reject no value on a side (p never drops
    below alpha): the endpoint is then infinite and the note says so; it is never a large finite number.
    """
    inside = w.beta
    step = max(w.se, 1e-12 * max(1.0, abs(w.beta)))
    outside = w.beta + side * step
    for _ in range(_MAX_DOUBLINGS + 1):  # outside goes 1, 2, ..., 2^_MAX_DOUBLINGS standard errors away
        if w.p_value(outside) < alpha:
            break
        inside, outside = outside, w.beta + side * (abs(outside - w.beta) * 2)
    else:
        return float(side * np.inf), "unbounded"
    for _ in range(_MAX_BISECTIONS):
        mid = 0.5 * (inside + outside)
        if mid in (inside, outside):  # no float left between the ends
            return float(mid), ""
        if abs(outside - inside) <= _CI_RTOL * max(abs(inside), abs(outside), w.se):
            return float(mid), ""
        if w.p_value(mid) >= alpha:
            inside = mid
        else:
            outside = mid
    return float(0.5 * (inside + outside)), "not converged"


def _ci_note(low: str, high: str, n_clusters: int) -> str:
    """One phrase for the interval's ends that were not found ("" when both were)."""
    sides = {"unbounded": [s for s, st in (("below", low), ("above", high)) if st == "unbounded"],
             "not converged": [s for s, st in (("below", low), ("above", high)) if st == "not converged"]}
    out = []
    if sides["unbounded"]:
        where = " and ".join(sides["unbounded"])
        out.append(f"interval unbounded {where}: the test rejects no value within 2^{_MAX_DOUBLINGS} standard "
                   f"errors ({n_clusters} clusters)")
    if sides["not converged"]:
        out.append(f"interval end {' and '.join(sides['not converged'])} approximate: bisection stopped after "
                   f"{_MAX_BISECTIONS} steps")
    return "; ".join(out)


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


def partial_out(y: np.ndarray, x: np.ndarray, W: np.ndarray) -> Partialled:
    """The cluster-independent part of the WCR bootstrap of the coefficient of ``x`` in y ~ x + W (see
    ``Partialled``); ``wild_bootstrap_draws(..., partialled=...)`` takes it."""
    return Partialled(np.asarray(y, dtype=float), np.asarray(x, dtype=float), np.asarray(W, dtype=float))
