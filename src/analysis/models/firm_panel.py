"""What a firm-level model sees: the Cincera (1997) panel, its lags, the notebooks' parameters and the F1/F2
design matrices (used by :mod:`analysis.models.firm` and the firm multiverse; importable from ``firm``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import data, labels
from ..errors import DataFileError, ParameterError
from . import count_panel

PANEL = "cincera1997_panel"
FIRST_YEAR, LAST_YEAR = 1983, 1991
CLUSTERING = ("firm", "none")
REGIONS = ("eu", "japan", "usa", "rotw")
PANEL_COLUMNS = ["firm", "year", "patent", "rdexp", "spil", "sector_code", "region"]

H2_DEFAULTS = {"start_year": 1983, "end_year": 1991, "estimators": list(count_panel.ESTIMATORS),
               "clustering": "firm", "lang": "ja"}
H1_DEFAULTS = {"start_year": 1987, "end_year": 1991, "max_lag": 4, "lang": "ja"}


# ----------------------------------------------------------------------------------------------------------------
# parameters


def _check_years(params: dict, earliest: int, why: str = "") -> None:
    for key in ("start_year", "end_year"):
        v = params.get(key)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ParameterError(key, v, "must be an integer year", list(range(earliest, LAST_YEAR + 1)))
        if not earliest <= v <= LAST_YEAR:
            raise ParameterError(key, v, f"outside the years the data allow ({earliest}-{LAST_YEAR}{why})",
                                 list(range(earliest, LAST_YEAR + 1)))
    if params["end_year"] - params["start_year"] < 1:
        raise ParameterError("end_year", params["end_year"],
                             f"must be after start_year={params['start_year']} (FE models need two years or more)")


def validate_params(params: dict) -> None:
    """Parameters of ``h2_firm_absorptive_capacity``; raises ``ParameterError`` naming the bad one.

    ``estimators=[]`` is the automatic choice (the project's rule for empty lists, ``figures.common.EMPTY_RULE``):
    every estimator, which includes the registered headline ``pooled_poisson``.
    """
    p = {**H2_DEFAULTS, **params}
    _check_years(p, FIRST_YEAR)
    resolve_estimators(p["estimators"])
    if p["clustering"] not in CLUSTERING:
        raise ParameterError("clustering", p["clustering"], "unknown clustering", CLUSTERING)
    labels.check_lang(p["lang"])


def resolve_estimators(est) -> list[str]:
    """The validated ``estimators`` list; ``[]`` (the automatic choice) is every estimator."""
    if isinstance(est, (list, tuple)) and not est:
        return list(count_panel.ESTIMATORS)
    if isinstance(est, str) or not isinstance(est, (list, tuple)):
        raise ParameterError("estimators", est, "must be a list ([] = every estimator)", count_panel.ESTIMATORS)
    for e in est:
        if e not in count_panel.ESTIMATORS:
            raise ParameterError("estimators", e, "unknown estimator", count_panel.ESTIMATORS)
    if "pooled_poisson" not in est:
        raise ParameterError("estimators", est, "must include the registered headline estimator 'pooled_poisson'",
                             count_panel.ESTIMATORS)
    return list(est)


def validate_replication_params(params: dict) -> None:
    """Parameters of ``h1_firm_replication_cincera``; the lags must stay inside 1983-1991."""
    p = {**H1_DEFAULTS, **params}
    lag = p["max_lag"]
    if not isinstance(lag, (int, np.integer)) or isinstance(lag, bool) or not 0 <= lag <= 7:
        raise ParameterError("max_lag", lag, "must be an integer from 0 to 7", list(range(8)))
    _check_years(p, FIRST_YEAR + lag, f"; with max_lag={lag} the lags reach back to start_year-{lag}, "
                                      f"and the data start in {FIRST_YEAR}" if lag else "")
    labels.check_lang(p["lang"])


# ----------------------------------------------------------------------------------------------------------------
# data


def load_panel(processed: Path | None = None) -> pd.DataFrame:
    """The processed firm-year panel, checked for the columns the models use."""
    panel = data.load(PANEL, processed)
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise DataFileError(f"<processed {PANEL}>", "column missing; rebuild with `analysis data`",
                            column=missing[0])
    return panel.sort_values(["firm", "year"], kind="mergesort").reset_index(drop=True)


def add_lags(panel: pd.DataFrame, variables: list[str], max_lag: int) -> pd.DataFrame:
    """Add ``<var>_l0`` .. ``<var>_l<max_lag>`` within firm; a gap in a firm's years leaves the lag missing."""
    out = panel.sort_values(["firm", "year"], kind="mergesort").reset_index(drop=True)
    g = out.groupby("firm", sort=False)
    for v in variables:
        for lag in range(max_lag + 1):
            shifted = g[v].shift(lag)
            # only a true calendar lag counts: the row lag positions back must be year - lag
            ok = g["year"].shift(lag) == out["year"] - lag
            out[f"{v}_l{lag}"] = shifted.where(ok)
    return out


# ----------------------------------------------------------------------------------------------------------------
# F1 / F2 designs


def design(panel: pd.DataFrame, estimator: str, *, start_year: int = 1983, end_year: int = 1991, lag: int = 0,
           exclude_rotw: bool = False, region_slopes: str | None = None, lagged: bool = False
           ) -> tuple[pd.Series, pd.DataFrame, pd.Series, pd.DataFrame]:
    """Outcome, design, firm ids and the estimation sample for an F1/F2 model.

    ``lag`` = 1 uses rdexp and spil of the previous year. rdexp and spil are centred on their estimation-sample
    means. ``region_slopes`` = base region ("usa" or "eu") adds spil x region and rdexp x region for the two
    other regions (requires ``exclude_rotw``). Pooled estimators get a constant and sector, region and year
    dummies; ``fe_poisson`` gets year dummies only. ``lagged``: ``panel`` already holds ``add_lags``' columns up
    to ``lag`` (computed once for several designs; the lags of whole firms do not depend on the other firms).
    """
    if estimator not in count_panel.ESTIMATORS:
        raise ParameterError("estimator", estimator, "unknown estimator", count_panel.ESTIMATORS)
    if region_slopes is not None and region_slopes not in ("usa", "eu"):
        raise ParameterError("region_slopes", region_slopes, "unknown base region", ["usa", "eu"])
    if region_slopes is not None and not exclude_rotw:
        raise ParameterError("exclude_rotw", exclude_rotw, "region slopes need the single RoW firm excluded", [True])
    df = add_lags(panel, ["rdexp", "spil"], lag) if lag and not lagged else panel
    r_col, s_col = (f"rdexp_l{lag}", f"spil_l{lag}") if lag else ("rdexp", "spil")
    keep = (df["year"].between(max(start_year, FIRST_YEAR + lag), end_year).to_numpy()
            & df[r_col].notna().to_numpy() & df[s_col].notna().to_numpy())
    if exclude_rotw:
        keep = keep & (df["region"] != "rotw").to_numpy()
    df = df[keep].reset_index(drop=True)
    # the columns as rows of one array (k, n), so the frame's values are the Fortran-ordered (n, k) array a
    # concatenation of columns gives: the estimators' matrix products see the same memory layout
    names, cols = [], []

    def add(name: str, values: np.ndarray) -> None:
        names.append(name)
        cols.append(values)

    rdexp = df[r_col].to_numpy() - df[r_col].mean()
    spil = df[s_col].to_numpy() - df[s_col].mean()
    pooled = estimator != "fe_poisson"
    if pooled:
        add("const", np.ones(len(df)))
    add("rdexp", rdexp)
    add("spil", spil)
    add("rdexp:spil", rdexp * spil)
    if region_slopes is not None:
        region = df["region"].to_numpy()
        others = [r for r in ("japan", "eu", "usa") if r != region_slopes]
        for v, values in (("spil", spil), ("rdexp", rdexp)):
            for r in others:
                add(f"{v}:{r}", values * (region == r).astype("float64"))
    if pooled:
        _add_dummies(add, _dummy_levels(df["sector_code"].astype("int64"), "sector"), drop_first=True)
        base = f"region_{region_slopes or 'usa'}"
        regs = _dummy_levels(df["region"].astype(str), "region")
        if base not in regs[1]:
            raise KeyError(f"['{base}'] not found in axis")  # as DataFrame.drop says
        _add_dummies(add, regs, drop=base)
    _add_dummies(add, _dummy_levels(df["year"].astype("int64"), "year"), drop_first=True)
    block = np.array(cols, dtype=np.float64).reshape(len(cols), len(df))
    X = pd.DataFrame(block.T, index=df.index, columns=pd.Index(names, dtype="str"), copy=False)
    return df["patent"], X, df["firm"], df


def _dummy_levels(values: pd.Series, prefix: str) -> tuple[np.ndarray, list[str]]:
    """(codes, column names) of ``pd.get_dummies(values, prefix=prefix)``: one column per sorted level."""
    if values.dtype == np.int64:  # integers sort as numbers, as get_dummies sorts them
        levels, codes = np.unique(values.to_numpy(), return_inverse=True)
    else:
        codes, levels = pd.factorize(values, sort=True)
    return codes, [f"{prefix}_{v}" for v in levels]


def _add_dummies(add, levels: tuple[np.ndarray, list[str]], *, drop_first: bool = False,
                 drop: str | None = None) -> None:
    """The 0/1 columns of ``pd.get_dummies(values, prefix=prefix, dtype="float64")`` in its order (``levels``:
    ``_dummy_levels(values, prefix)``), without its first column (``drop_first``) or the column named ``drop``."""
    codes, names = levels
    for j, name in enumerate(names):
        if (drop_first and j == 0) or name == drop:
            continue
        add(name, (codes == j).astype(np.float64))
