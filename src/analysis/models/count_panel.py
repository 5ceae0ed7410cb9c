"""Count-data estimators for firm panels: pooled Poisson, conditional fixed-effects Poisson, NB2.

All three return a :class:`CountFit` with the point estimates, the model-based covariance (inverse information)
and a cluster-robust sandwich covariance

    V = H^-1 (G/(G-1) sum_g s_g s_g') H^-1,

where s_g is the score summed over the observations of cluster g and H the Hessian of the log-likelihood. The
same small-sample factor G/(G-1) is used for every estimator so that their standard errors are comparable.

The conditional FE Poisson (Hausman, Hall & Griliches 1984) is implemented here directly: conditioning on a
firm's total count n_i turns its counts into a multinomial with cell probabilities
p_it = exp(x_it b) / sum_s exp(x_is b), so the firm effect drops out. Its estimates equal those of a Poisson
regression with one dummy per firm (Cameron & Trivedi 2013, sec. 9.3), which the tests check, and those of
``statsmodels.discrete.conditional_models.ConditionalPoisson``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri  # the normal cdf and its inverse, without loading scipy.stats

from ..errors import ParameterError

ESTIMATORS = ("pooled_poisson", "fe_poisson", "negbin")


@dataclass
class CountFit:
    """Result of a count-model fit. ``cov`` is the covariance used for inference (see ``inference``)."""

    estimator: str
    params: pd.Series
    cov_model: pd.DataFrame
    cov_cluster: pd.DataFrame | None
    n_obs: int
    n_groups: int
    n_clusters: int
    loglik: float
    iterations: int
    inference: str = "cluster"
    dropped_groups: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def cov(self) -> pd.DataFrame:
        if self.inference == "cluster":
            if self.cov_cluster is None:
                raise ParameterError("inference", "cluster", "no cluster variable was given to the fit",
                                     ["model"])
            return self.cov_cluster
        return self.cov_model

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """estimate, std_error, z, p_value, ci_low, ci_high per term (normal reference distribution)."""
        se = self.bse
        z = self.params / se
        q = ndtri(0.5 + level / 2)
        return pd.DataFrame({
            "estimate": self.params, "std_error": se, "z": z,
            "p_value": 2 * ndtr(-np.abs(z.to_numpy())),
            "ci_low": self.params - q * se, "ci_high": self.params + q * se,
        })

    def linear_combination(self, weights: dict[str, float], cov: str | None = None) -> dict[str, float]:
        """Estimate and delta-method SE of sum_k w_k b_k (exact for a linear function)."""
        unknown = sorted(set(weights) - set(self.params.index))
        if unknown:
            raise ParameterError("terms", unknown, "not in the model", list(self.params.index))
        a = pd.Series(0.0, index=self.params.index)
        for k, w in weights.items():
            a[k] = w
        v = {"cluster": self.cov_cluster, "model": self.cov_model, None: self.cov}[cov]
        est = float(a @ self.params)
        se = float(np.sqrt(a.to_numpy() @ v.to_numpy() @ a.to_numpy()))
        z = est / se
        return {"estimate": est, "std_error": se, "z": z, "p_value": float(2 * ndtr(-abs(z)))}


# ----------------------------------------------------------------------------------------------------------------
# helpers


def _as_arrays(y, X, name: str = "X") -> tuple[np.ndarray, np.ndarray, list[str]]:
    if not isinstance(X, pd.DataFrame):
        raise ParameterError(name, type(X).__name__, "must be a pandas DataFrame with named columns")
    cols = [str(c) for c in X.columns]
    Xa = X.to_numpy(dtype="float64")
    ya = np.asarray(y, dtype="float64")
    if ya.shape[0] != Xa.shape[0]:
        raise ParameterError("y", f"{ya.shape[0]} rows", f"must have as many rows as {name} ({Xa.shape[0]})")
    if not np.isfinite(Xa).all():
        j = int(np.flatnonzero(~np.isfinite(Xa).all(axis=0))[0])
        raise ParameterError(name, cols[j], "column has missing or infinite values")
    if not np.isfinite(ya).all() or (ya < 0).any() or (ya != np.round(ya)).any():
        raise ParameterError("y", "outcome", "must be finite non-negative integer counts")
    return ya, Xa, cols


def _check_rank(Xa: np.ndarray, cols: list[str], what: str) -> None:
    rank = np.linalg.matrix_rank(Xa)
    if rank < Xa.shape[1]:
        # name the first column that adds nothing to the ones before it
        for j in range(1, Xa.shape[1] + 1):
            if np.linalg.matrix_rank(Xa[:, :j]) < j:
                raise ParameterError("X", cols[j - 1], f"collinear with earlier columns {what}; drop it")
    return None


def _sandwich(hess: np.ndarray, scores: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Cluster-robust covariance from per-observation scores (n x k) and the Hessian."""
    codes, uniq = pd.factorize(pd.Series(clusters), sort=True)
    G = len(uniq)
    if G < 2:
        raise ParameterError("clusters", G, "need at least two clusters for cluster-robust inference")
    S = np.zeros((G, scores.shape[1]))
    np.add.at(S, codes, scores)
    Hinv = np.linalg.inv(hess)
    meat = S.T @ S * (G / (G - 1))
    return Hinv @ meat @ Hinv, G


def _frame(m: np.ndarray, cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(m, index=cols, columns=cols)


# ----------------------------------------------------------------------------------------------------------------
# pooled Poisson


def pooled_poisson(y, X: pd.DataFrame, clusters=None, *, tol: float = 1e-10, max_iter: int = 100) -> CountFit:
    """Poisson pseudo-ML by Newton-Raphson. ``X`` must contain the constant (or a full set of dummies)."""
    ya, Xa, cols = _as_arrays(y, X)
    _check_rank(Xa, cols, "in the pooled design")
    # start from OLS of log(y + 0.5): close enough for Newton to converge in a handful of steps
    b = np.linalg.lstsq(Xa, np.log(ya + 0.5), rcond=None)[0]

    def ll(beta):
        eta = Xa @ beta
        return float(np.sum(ya * eta - np.exp(eta)))

    cur = ll(b)
    for it in range(1, max_iter + 1):
        mu = np.exp(Xa @ b)
        grad = Xa.T @ (ya - mu)
        H = -(Xa * mu[:, None]).T @ Xa
        step = np.linalg.solve(H, -grad)
        t = 1.0
        while True:
            new = ll(b + t * step)
            if new >= cur - 1e-12 or t < 1e-8:
                break
            t /= 2
        b = b + t * step
        done = abs(new - cur) < tol * (1 + abs(cur)) and np.max(np.abs(t * step)) < 1e-8
        cur = new
        if done:
            break
    else:
        raise RuntimeError(f"pooled Poisson did not converge in {max_iter} iterations")
    mu = np.exp(Xa @ b)
    H = -(Xa * mu[:, None]).T @ Xa
    cov_model = np.linalg.inv(-H)
    cov_cl, G = (None, 0)
    if clusters is not None:
        cov_cl, G = _sandwich(H, Xa * (ya - mu)[:, None], np.asarray(clusters))
    const = float(np.sum(_lgamma(ya + 1)))
    return CountFit("pooled_poisson", pd.Series(b, index=cols), _frame(cov_model, cols),
                    None if cov_cl is None else _frame(cov_cl, cols), len(ya),
                    int(pd.Series(np.asarray(clusters)).nunique()) if clusters is not None else 0, G,
                    cur - const, it, inference="cluster" if clusters is not None else "model")


def _lgamma(x: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln
    return gammaln(x)


# ----------------------------------------------------------------------------------------------------------------
# conditional fixed-effects Poisson


def fe_poisson(y, X: pd.DataFrame, groups, *, cluster: bool = True, tol: float = 1e-10,
               max_iter: int = 100) -> CountFit:
    """Conditional (Hausman-Hall-Griliches) fixed-effects Poisson; firm effects for ``groups``.

    ``X`` must not contain a constant or any column that is constant within every group. Groups whose counts are
    all zero carry no information and are dropped (listed in ``dropped_groups``). Cluster-robust SEs cluster on
    ``groups``.
    """
    ya, Xa, cols = _as_arrays(y, X)
    g = pd.Series(np.asarray(groups)).reset_index(drop=True)
    if len(g) != len(ya):
        raise ParameterError("groups", f"{len(g)} rows", f"must have as many rows as X ({len(ya)})")
    totals = pd.Series(ya).groupby(g.to_numpy()).sum()
    dropped = sorted(totals.index[totals == 0].tolist())
    keep = ~g.isin(dropped).to_numpy()
    ya, Xa, g = ya[keep], Xa[keep], g[keep].reset_index(drop=True)
    codes, uniq = pd.factorize(g, sort=True)
    order = np.argsort(codes, kind="stable")
    ya, Xa, codes = ya[order], Xa[order], codes[order]
    G = len(uniq)
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    n_i = np.add.reduceat(ya, starts)
    # demeaning within groups removes anything constant within groups; test identification on that
    means = np.add.reduceat(Xa, starts, axis=0) / np.diff(np.r_[starts, len(ya)])[:, None]
    Xw = Xa - means[codes]
    _check_rank(Xw, cols, "after removing firm effects (constant within firms?)")

    def pieces(beta):
        eta = Xa @ beta
        # softmax within group, stabilised by the group maximum
        gmax = np.maximum.reduceat(eta, starts)
        e = np.exp(eta - gmax[codes])
        denom = np.add.reduceat(e, starts)
        p = e / denom[codes]
        ll = float(np.sum(ya * np.log(np.where(p > 0, p, 1.0))))
        return p, ll

    b = np.zeros(Xa.shape[1])
    p, cur = pieces(b)
    for it in range(1, max_iter + 1):
        resid = ya - n_i[codes] * p
        grad = Xa.T @ resid
        xbar = np.add.reduceat(Xa * p[:, None], starts, axis=0)  # sum_t p x per group
        H = -((Xa * (n_i[codes] * p)[:, None]).T @ Xa - (xbar * n_i[:, None]).T @ xbar)
        step = np.linalg.solve(H, -grad)
        t = 1.0
        while True:
            p_new, new = pieces(b + t * step)
            if new >= cur - 1e-12 or t < 1e-8:
                break
            t /= 2
        b = b + t * step
        done = abs(new - cur) < tol * (1 + abs(cur)) and np.max(np.abs(t * step)) < 1e-8
        p, cur = p_new, new
        if done:
            break
    else:
        raise RuntimeError(f"FE Poisson did not converge in {max_iter} iterations")
    xbar = np.add.reduceat(Xa * p[:, None], starts, axis=0)
    H = -((Xa * (n_i[codes] * p)[:, None]).T @ Xa - (xbar * n_i[:, None]).T @ xbar)
    cov_model = np.linalg.inv(-H)
    cov_cl = None
    if cluster:
        scores = Xa * (ya - n_i[codes] * p)[:, None]
        cov_cl, _ = _sandwich(H, scores, codes)
    # full multinomial log-likelihood including the combinatorial constant (comparable across programs)
    const = float(np.sum(_lgamma(n_i + 1)) - np.sum(_lgamma(ya + 1)))
    return CountFit("fe_poisson", pd.Series(b, index=cols), _frame(cov_model, cols),
                    None if cov_cl is None else _frame(cov_cl, cols), len(ya), G, G if cluster else 0,
                    cur + const, it, inference="cluster" if cluster else "model", dropped_groups=dropped)


# ----------------------------------------------------------------------------------------------------------------
# negative binomial (NB2)


def negbin(y, X: pd.DataFrame, clusters=None, *, max_iter: int = 200) -> CountFit:
    """NB2 negative binomial ML (Var = mu + alpha mu^2) via statsmodels; our own cluster sandwich.

    The dispersion ``alpha`` is reported as the last parameter. Starts from the pooled Poisson estimates.
    """
    from .nb2_model import nb2

    ya, Xa, cols = _as_arrays(y, X)
    _check_rank(Xa, cols, "in the NB design")
    start = pooled_poisson(ya, X).params.to_numpy()
    model = nb2(ya, Xa)  # statsmodels' NegativeBinomial(ya, Xa, loglike_method="nb2"), its Hessian faster
    res = model.fit(start_params=np.r_[start, 0.5], method="newton", maxiter=max_iter, disp=False)
    if not res.mle_retvals.get("converged", False):
        res = model.fit(start_params=np.r_[start, 0.5], method="bfgs", maxiter=2000, disp=False)
        if not res.mle_retvals.get("converged", False):
            raise RuntimeError("negative binomial did not converge")
    params = np.asarray(res.params)
    names = cols + ["alpha"]
    H = model.hessian(params)
    cov_model = np.linalg.inv(-H)
    cov_cl, G = (None, 0)
    if clusters is not None:
        cov_cl, G = _sandwich(H, model.score_obs(params), np.asarray(clusters))
    return CountFit("negbin", pd.Series(params, index=names), _frame(cov_model, names),
                    None if cov_cl is None else _frame(cov_cl, names), len(ya),
                    int(pd.Series(np.asarray(clusters)).nunique()) if clusters is not None else 0, G,
                    float(res.llf), int(res.mle_retvals.get("iterations", 0)),
                    inference="cluster" if clusters is not None else "model")


def fit(estimator: str, y, X: pd.DataFrame, groups, *, cluster: bool = True) -> CountFit:
    """Dispatch by name: ``pooled_poisson`` / ``negbin`` take a design with constant and dummies;
    ``fe_poisson`` a design without them (firm effects come from ``groups``)."""
    if estimator not in ESTIMATORS:
        raise ParameterError("estimator", estimator, "unknown estimator", ESTIMATORS)
    if estimator == "fe_poisson":
        return fe_poisson(y, X, groups, cluster=cluster)
    fn = pooled_poisson if estimator == "pooled_poisson" else negbin
    return fn(y, X, groups if cluster else None)
