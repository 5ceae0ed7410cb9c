"""The numeric core of the wild cluster restricted (WCR) bootstrap, on arrays only (no formulas, no pandas):
Webb/Rademacher cluster weights, the Frisch-Waugh-Lovell partialled model shared across clusterings
(``Partialled``), the bootstrap t statistics and the interval by test inversion. ``models.inference`` builds the
designs from formulas or frames and reports the results; the references are in its docstring.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.linalg

from ..errors import ParameterError

WEIGHTS = ("webb", "rademacher")
DEFAULT_SEED = 20261129
# A bootstrap t equal to the observed t up to rounding counts as "at least as extreme" (the all-ones draw
# reproduces the sample exactly and must count, as in a randomization test).
_TIE_RTOL = 1e-9
_EPS = float(np.finfo(float).eps)


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

    One ``bincount`` over the (cluster, column) cells of the values, in their memory order: each cell adds its
    rows in their order, as ``np.add.at`` and a ``bincount`` per column do (the same sums to the last bit).
    """
    k = values.shape[1]
    if k == 1:
        return np.bincount(codes, weights=values[:, 0], minlength=g)[:, None]
    if values.flags.f_contiguous:  # column after column (Z from the QR is Fortran-ordered): no copy
        cells = (codes[None, :] + (g * np.arange(k))[:, None]).ravel()
        return np.bincount(cells, weights=values.T.ravel(), minlength=g * k).reshape(k, g).T
    cells = (codes[:, None] * k + np.arange(k)).ravel()
    return np.bincount(cells, weights=np.ascontiguousarray(values).ravel(), minlength=g * k).reshape(g, k)


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
                # Q for u = x~ sums the rows of P's own products (z_rows["x"] is zx_rows): P itself
                M -= P @ (P if u == "x" else _group_sum(part.z_rows[u], codes, self.G)).T
            return a @ V, M @ V

        self._num0, self._sc0 = m_times_v("y")  # part at b0 = 0
        self._num1, self._sc1 = m_times_v("x")  # minus the part per unit of b0
        self._buf = np.empty_like(self._sc0)
        self._sums = None  # the cluster sums of ``_screened_count``, at its first call
        self._scratch = None  # its buffers

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
        # The expressions below, evaluated operation by operation in the same order into reused buffers (this
        # is called ~50 times per interval): num = (num0 - null·num1) / xx, ss = a - 2·null·c01 + null²·c11,
        # bound = (2G + 9)·eps·(a + 2|null|·d01 + null²·c11), tb = |num / (sqrt(scale·ss) / xx)|,
        # margin = 4·(bound / ss + 8 eps)·max(tb, threshold).
        if self._scratch is None:
            self._scratch = [np.empty_like(a) for _ in range(5)]
        num, ss, t, bound, margin = self._scratch
        np.subtract(self._num0, np.multiply(self._num1, null, out=num), out=num)
        np.divide(num, self.xx, out=num)
        np.subtract(a, np.multiply(c01, 2.0 * null, out=ss), out=ss)
        np.add(ss, np.multiply(c11, null * null, out=t), out=ss)
        np.add(a, np.multiply(d01, 2.0 * abs(null), out=bound), out=bound)
        np.add(bound, t, out=bound)
        np.multiply(bound, (2 * self.G + 9) * _EPS, out=bound)
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = t
            np.divide(np.sqrt(np.multiply(ss, self.scale, out=tb), out=tb), self.xx, out=tb)
            np.abs(np.divide(num, tb, out=tb), out=tb)
            np.add(np.divide(bound, ss, out=margin), 8 * _EPS, out=margin)
            np.multiply(np.multiply(margin, 4.0, out=margin), np.maximum(tb, threshold), out=margin)
            decided = ss > np.multiply(bound, 8.0, out=bound)
            decided &= np.isfinite(tb)
            decided &= np.abs(np.subtract(tb, threshold, out=num), out=num) > margin
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


def partial_out(y: np.ndarray, x: np.ndarray, W: np.ndarray) -> Partialled:
    """The cluster-independent part of the WCR bootstrap of the coefficient of ``x`` in y ~ x + W (see
    ``Partialled``); ``wild_bootstrap_draws(..., partialled=...)`` takes it."""
    return Partialled(np.asarray(y, dtype=float), np.asarray(x, dtype=float), np.asarray(W, dtype=float))
