"""Estimation tasks: plain picklable data that any ``concurrent.futures.Executor`` can run (``dispatch.run_task``).

A task carries everything it needs (the family's estimation data as a DataFrame, the specifications, the
options), so a worker needs neither the repository's files nor a shared filesystem (Dask workers included). It
returns one result dict per specification and, for the specification-curve test, the null-imposed bootstrap
draws of the estimates that enter it.

Bootstrap draws: every specification of a hypothesis that is bootstrapped on the same clusters uses the same
cluster weights (``null_weights``: seed from the run's ``seed`` and the hypothesis and cluster variable). Each
specification's wild-cluster p-value is valid on its own, and shared weights are what the joint null
distribution of the specification-curve test needs. Results therefore do not depend on the executor, the number
of workers or the order in which tasks finish.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, stdtr, stdtrit  # what scipy.stats.norm / t compute, without its overhead

from ..errors import SangakuError
from ..models import inference

Z95 = 1.959963984540054


@dataclass
class Task:
    """One unit of work: a family's specifications that share data, estimated one after another."""

    family: str
    specs: list[dict]  # each: spec_id, hypothesis, term, fit_id and the choices
    data: dict  # the family's estimation data (DataFrames), as prepared by its module
    settings: dict = field(default_factory=dict)  # the space file's top-level entries
    reps: int = 999  # bootstrap draws: wild-cluster p-values and intervals, and the joint null draws
    seed: int = 20261201
    test: bool = True  # return the null draws for the specification-curve test


def weights_seed(task: Task, key: str) -> int:
    """The seed recorded with a bootstrapped row: that of the weights shared under ``key``."""
    return spec_seed(task.seed, f"weights:{key}")


def ols_rows(spec: dict, wb, cluster: str, unit: str, seed: int) -> dict:
    """The result of one OLS specification from a bootstrap result: CR1 t(G-1), or the WCR p and interval."""
    G = wb.n_clusters
    if spec["inference"] == "cr1":
        row = t_row(wb.estimate, wb.std_error, G - 1)
        how, used = f"CR1 clustered by {cluster} ({unit}), t({G - 1})", ""
    else:
        row = {"estimate": wb.estimate, "std_error": wb.std_error, "ci_low": wb.ci[0], "ci_high": wb.ci[1],
               "p_value": wb.p_value}
        how, used = (f"WCR bootstrap-t, Webb weights, {wb.reps} draws shared by the hypothesis' specifications, "
                     f"clustered by {cluster} ({unit}, {G} clusters)" + (f"; {wb.ci_note}" if wb.ci_note else "")), seed
    return {"spec_id": spec["spec_id"], **row, "n_obs": wb.n_obs, "n_clusters": G, "inference": how, "seed": used,
            "error": ""}


def spec_seed(seed: int, key: str) -> int:
    """A seed for one specification (or one hypothesis' joint draws) from the run's seed and a key."""
    digest = hashlib.sha256(f"{int(seed)}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % (2 ** 63)


def null_weights(seed: int, key: str, labels: list, reps: int) -> dict:
    """Webb cluster weights shared by every specification of ``key`` (hypothesis and cluster variable):
    {cluster label: (reps,) array}.

    One row per label of the whole panel (sorted), so two specifications that contain the same cluster give it
    the same weight in the same draw: the draws resample all specifications jointly, as the test requires.
    """
    labels = sorted(labels)
    V, _ = inference.draw_weights(len(labels), reps, "webb", spec_seed(seed, f"weights:{key}"))
    return {lab: V[i] for i, lab in enumerate(labels)}


def weights_for(table: dict, cluster_labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes 0..G-1 per row, (G, B) weights) for the clusters present, in sorted label order."""
    if isinstance(cluster_labels, pd.Series) and (cluster_labels.dtype.kind in "iu"
                                                  or isinstance(cluster_labels.dtype, pd.StringDtype)):
        # integers and text factorise in place, in the same sorted order (no object array, no new Series)
        codes, uniq = pd.factorize(cluster_labels, sort=True)
    else:
        codes, uniq = pd.factorize(pd.Series(np.asarray(cluster_labels)), sort=True)
    return codes.astype(np.int64), np.vstack([table[u] for u in uniq])


def t_sf2(t, df: int):
    """Two-sided p-values of t statistics (scalar or array) with ``df`` degrees of freedom:
    2 P(T > |t|) = 2 stdtr(df, -|t|), the very numbers of ``2 * scipy.stats.t.sf(abs(t), df)``."""
    return 2 * stdtr(df, -np.abs(t))


def t_row(estimate: float, se: float, df: int | None) -> dict:
    """p-value and 95 % interval from an estimate and its SE: t(df), or normal when ``df`` is None.
    (``scipy.stats.t.ppf(q, df)`` is ``stdtrit(df, q)`` and ``norm.sf(z)`` is ``ndtr(-z)``.)"""
    q = Z95 if df is None else float(stdtrit(df, 0.975))
    z = estimate / se if se > 0 else math.nan
    p = 2 * (ndtr(-abs(z)) if df is None else stdtr(df, -abs(z)))
    return {"estimate": float(estimate), "std_error": float(se), "ci_low": float(estimate - q * se),
            "ci_high": float(estimate + q * se), "p_value": float(p)}


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, levels) of ``values`` in the sorted order of their text, as ``pd.get_dummies(values.astype(str))``
    orders its columns; non-negative whole numbers with one number of digits (years) sort as numbers directly."""
    v = values.to_numpy()
    if v.dtype.kind in "iu" and len(v) and v.min() >= 0 and len(str(int(v.min()))) == len(str(int(v.max()))):
        levels, codes = np.unique(v, return_inverse=True)
        return codes, levels
    codes, levels = pd.factorize(values.astype(str), sort=True)
    return codes, np.asarray(levels)


def dummies(values: pd.Series) -> np.ndarray:
    """0/1 columns of every value but the first, in sorted text order: ``pd.get_dummies(values.astype(str),
    dtype="float64").iloc[:, 1:]`` as an array."""
    codes, levels = text_codes(values)
    return (codes.reshape(-1, 1) == np.arange(1, len(levels))).astype(np.float64)


def check_finite(estimate: float, se: float) -> None:
    """Refuse a non-finite estimate or standard error (e.g. NB2 with its dispersion at the boundary)."""
    if not (math.isfinite(estimate) and math.isfinite(se) and se > 0):
        raise ValueError(f"estimate {estimate!r} with standard error {se!r}: not identified on this sample")


def failed(spec: dict, exc: Exception) -> dict:
    """The result of a specification that could not be estimated (kept in the table with its reason)."""
    return {"spec_id": spec["spec_id"], "estimate": math.nan, "std_error": math.nan, "ci_low": math.nan,
            "ci_high": math.nan, "p_value": math.nan, "n_obs": 0, "n_clusters": 0, "inference": "",
            "seed": "", "error": f"{type(exc).__name__}: {exc}"}


ESTIMATION_ERRORS = (SangakuError, RuntimeError, np.linalg.LinAlgError, ValueError)
