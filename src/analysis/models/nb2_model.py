"""statsmodels' NB2 negative binomial with its Hessian summed column block by column block: the numbers of
``NegativeBinomial._hessian_nb2`` (statsmodels 0.15) to the last bit, in a few dozen array operations instead of
one ``np.sum`` per pair of regressors (~k^2/2 calls per Newton step, the bulk of an NB2 fit's CPU).

Why the bits are the same: statsmodels sums each entry as ``np.sum(-x_i * x_j * c)`` over a contiguous (n, 1)
column, i.e. numpy's pairwise sum of the n products ``((-x_i) * x_j) * c``. Here the same products fill the
columns of a Fortran-ordered (n, i + 1) buffer and ``sum(axis=0)`` reduces along each contiguous column: numpy
applies the same pairwise sum to each (tests/test_multiverse_firm_speed.py compares the two on the real firm
designs). statsmodels is imported only when a model is built (it is slow to import).
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _model_class():
    from scipy.special import digamma, polygamma
    from statsmodels.discrete.discrete_model import NegativeBinomial

    class NB2(NegativeBinomial):
        """``NegativeBinomial(..., loglike_method="nb2")`` with the block-wise Hessian."""

        def _hessian_nb2(self, params):
            # statsmodels' _hessian_nb2 line by line, but for the loop over (i, j)
            alpha = np.exp(params[-1]) if self._transparams else params[-1]
            a1 = 1 / alpha
            params = params[:-1]
            exog = self.exog
            y = self.endog[:, None]
            mu = self.predict(params)[:, None]
            prob = a1 / (a1 + mu)
            dgpart = digamma(a1 + y) - digamma(a1)
            dim = exog.shape[1]
            hess_arr = np.empty((dim + 1, dim + 1))
            const_arr = a1 * mu * (a1 + y) / (mu + a1) ** 2
            buf = np.empty((exog.shape[0], dim), order="F")
            for i in range(dim):
                block = buf[:, :i + 1]
                np.multiply(-exog[:, i, None], exog[:, :i + 1], out=block)
                np.multiply(block, const_arr, out=block)
                hess_arr[i, :i + 1] = block.sum(axis=0)
            tri_idx = np.triu_indices(dim, k=1)
            hess_arr[tri_idx] = hess_arr.T[tri_idx]
            da1 = -(alpha ** -2)
            dldpda = -np.sum(mu * exog * (y - mu) * a1 ** 2 / (mu + a1) ** 2, axis=0)
            hess_arr[-1, :-1] = dldpda
            hess_arr[:-1, -1] = dldpda
            da2 = 2 * alpha ** -3
            dalpha = da1 * (dgpart + np.log(prob) - (y - mu) / (a1 + mu))
            dada = (da2 * dalpha / da1 + da1 ** 2 * (polygamma(1, a1 + y) - polygamma(1, a1) + 1 / a1
                                                     - 1 / (a1 + mu) + (y - mu) / (mu + a1) ** 2)).sum()
            hess_arr[-1, -1] = dada
            return hess_arr

    return NB2


def nb2(y: np.ndarray, X: np.ndarray):
    """An NB2 model of counts ``y`` on the design array ``X`` (as ``NegativeBinomial(y, X,
    loglike_method="nb2")``, with the block-wise Hessian)."""
    return _model_class()(y, X, loglike_method="nb2")
