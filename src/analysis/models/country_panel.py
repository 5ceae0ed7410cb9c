"""The country-year panel of the country models and the estimation sample of each model.

Processed OECD MSTI series (each next to its status flags) and PWT TFP growth become one row per economy and
year; a model's sample keeps complete cases only, lags by exact calendar years and marks observations on a
series break (``B``). Importable from :mod:`analysis.models.country`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import DataFileError, ParameterError
from .country_specs import COUNTRIES, SPECS, Spec

# panel column -> MSTI series (MEASURE.UNIT.PRICE.TRANSFORMATION)
MSTI_SERIES: dict[str, str] = {
    "triadic": "P_TRIAD.PATN._Z._Z",
    "pct": "P_PCT.PATN._Z._Z",
    "berd": "B.USD_PPP.Q._Z",
    "herd": "H.USD_PPP.Q._Z",
    "berd_gdp": "B.PT_B1GQ._Z._Z",
    "herd_gdp": "H.PT_B1GQ._Z._Z",
    "herd_fb": "H_FB.PT_HERD._Z._Z",
    "bres": "B_RS.FTE._Z._Z",
    "emp": "TOT_EMP.PS._Z._Z",
}
# derived column -> the panel columns whose flags it inherits
DERIVED_FROM: dict[str, list[str]] = {
    "log_triadic": ["triadic"], "log_pct": ["pct"], "log_berd": ["berd"], "log_herd": ["herd"],
    "bres_per_1000emp": ["bres", "emp"], "tfp_growth": [],
}


def _wide(tidy_df: pd.DataFrame, series: dict[str, str], what: str) -> pd.DataFrame:
    sub = tidy_df[tidy_df["indicator"].isin(series.values()) & (tidy_df["entity_type"] == "country")]
    rename = {v: k for k, v in series.items()}
    w = sub.pivot(index=["entity", "year"], columns="indicator", values=what).rename(columns=rename)
    return w


def build_panel(msti: pd.DataFrame, pwt: pd.DataFrame | None = None) -> pd.DataFrame:
    """Country-year panel: MSTI variables (with ``<var>_flags``), derived variables, and PWT TFP growth.

    ``msti`` and ``pwt`` are the processed tidy frames (``data.load("oecd_msti")``, ``data.load("pwt")``).
    Derived: ``log_*`` of the counts and constant-price expenditures (non-positive values give a gap),
    ``bres_per_1000emp`` = B_RS.FTE / TOT_EMP.PS x 1000 (both in persons after UNIT_MULT), and
    ``tfp_growth`` = 100 x (ln rtfpna_t - ln rtfpna_{t-1}) from PWT (consecutive years only; ends 2019).
    Aggregates (OECD, EU27_2020) are left out.
    """
    missing = [s for s in MSTI_SERIES.values() if not (msti["indicator"] == s).any()]
    if missing:
        raise DataFileError("<processed oecd_msti>", f"series {missing[0]} missing", column="indicator",
                            hint="rebuild with `analysis data`")
    vals = _wide(msti, MSTI_SERIES, "value")
    flags = _wide(msti, MSTI_SERIES, "flags").astype("string")
    flags.columns = [f"{c}_flags" for c in flags.columns]
    panel = vals.join(flags).reset_index()
    panel["year"] = panel["year"].astype("int64")
    for c in MSTI_SERIES:
        panel[f"{c}_flags"] = panel[f"{c}_flags"].fillna("")
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in ("triadic", "pct", "berd", "herd"):
            v = panel[c].astype(float)
            panel[f"log_{c}"] = np.where(v > 0, np.log(v.where(v > 0)), np.nan)
        panel["bres_per_1000emp"] = panel["bres"] / panel["emp"] * 1000.0
    for d, srcs in DERIVED_FROM.items():
        if srcs:
            panel[f"{d}_flags"] = _concat(panel, [f"{s}_flags" for s in srcs])
    panel["tfp"] = np.nan
    panel["tfp_growth"] = np.nan
    if pwt is not None:
        tfp = pwt[pwt["indicator"] == "rtfpna"][["entity", "year", "value"]].rename(columns={"value": "tfp"})
        tfp = tfp.assign(year=tfp["year"].astype("int64"))
        prev = tfp.assign(year=tfp["year"] + 1).rename(columns={"tfp": "tfp_prev"})
        tfp = tfp.merge(prev, on=["entity", "year"], how="left")
        tfp["tfp_growth"] = 100.0 * (np.log(tfp["tfp"]) - np.log(tfp["tfp_prev"]))
        panel = panel.drop(columns=["tfp", "tfp_growth"]).merge(
            tfp[["entity", "year", "tfp", "tfp_growth"]], on=["entity", "year"], how="left")
    panel["tfp_growth_flags"] = ""
    panel["tfp_flags"] = ""
    panel["entity"] = panel["entity"].astype(str)
    return panel.sort_values(["entity", "year"], kind="mergesort").reset_index(drop=True)


def _concat(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Row-wise concatenation of flag columns (vectorised; '' for missing)."""
    out = pd.Series("", index=df.index, dtype="string")
    for c in cols:
        out = out + df[c].astype("string").fillna("")
    return out


def _lagged(panel: pd.DataFrame, cols: list[str], k: int) -> pd.DataFrame:
    """``cols`` (and their flags) taken from year t-k of the same economy; exact years only."""
    if k == 0:
        return panel[["entity", "year", *cols, *[f"{c}_flags" for c in cols]]]
    src = panel[["entity", "year", *cols, *[f"{c}_flags" for c in cols]]].copy()
    src["year"] = src["year"] + k
    return panel[["entity", "year"]].merge(src, on=["entity", "year"], how="left")


@dataclass
class ModelFrame:
    """The estimation sample of one model and how it was drawn."""

    spec: Spec
    data: pd.DataFrame  # entity, year, outcome, regressors (centred), count level, has_break
    lag: int
    sample: str
    means: dict[str, float] = field(default_factory=dict)
    n_breaks: int = 0


def _rows_lagged(panel: pd.DataFrame, k: int) -> np.ndarray | None:
    """For each panel row, the row of the same economy in year t-k (-1 if there is none); None if an
    economy-year occurs twice (then only the merge of ``_lagged`` says what a lag is)."""
    codes = pd.factorize(panel["entity"])[0].astype(np.int64)
    year = panel["year"].to_numpy(dtype=np.int64)
    key = (codes << 20) + year
    order = np.argsort(key, kind="stable")
    skey = key[order]
    if len(skey) > 1 and not (skey[1:] > skey[:-1]).all():
        return None
    pos = np.minimum(np.searchsorted(skey, key - k), max(len(skey) - 1, 0))
    return np.where(skey[pos] == key - k, order[pos], -1) if len(skey) else pos


def _has_b(flags: pd.Series) -> np.ndarray:
    """Whether each flag string carries the break flag B ('' for missing)."""
    return flags.astype("string").fillna("").str.contains("B", regex=False).to_numpy(dtype=bool)


def complete_cases(panel: pd.DataFrame, spec: Spec, lag: int) -> pd.DataFrame:
    """``model_frame``'s sample of ``spec`` at ``lag`` on every economy and year, before any selection: complete
    cases of the outcome and the (lagged) regressors, ``has_break`` from the flags of the values used, not
    centred; the columns of ``ModelFrame.data``, index the panel's row numbers. Every later step of
    ``model_frame`` is row-wise, so one such frame serves every selection of economies, years and breaks.

    The lag is a row lookup (same economy, year t-k) instead of ``_lagged``'s merge, with the same values;
    ``_complete_cases_merge`` is the merge path (used if an economy-year occurs twice)."""
    y = spec.outcome
    xs = list(spec.regressors)
    src = _rows_lagged(panel, lag) if lag else np.arange(len(panel))
    if src is None:
        return _complete_cases_merge(panel, spec, lag)
    found = src >= 0
    take = np.where(found, src, 0)
    keep = panel[y].notna().to_numpy(dtype=bool) & found
    brk = _has_b(panel[f"{y}_flags"])
    lagged = {}
    for x in xs:
        v = panel[x].to_numpy(dtype=float)[take]
        keep &= ~np.isnan(v)
        lagged[x] = v
        brk = brk | _has_b(panel[f"{x}_flags"])[take]
    rows = np.flatnonzero(keep)
    out = panel[["entity", "year", y]].iloc[rows]
    out.index = pd.Index(rows)
    for x in xs:
        out[x] = lagged[x][rows]
    out["has_break"] = brk[rows]
    if spec.count:
        out[spec.count] = panel[spec.count].to_numpy()[rows]
    return out


def _complete_cases_merge(panel: pd.DataFrame, spec: Spec, lag: int) -> pd.DataFrame:
    """``complete_cases`` by ``_lagged``'s merge (the definition of a lag by exact calendar years)."""
    y = spec.outcome
    xs = list(spec.regressors)
    base = panel[["entity", "year", y, f"{y}_flags"] + ([spec.count] if spec.count else [])]
    lagged = _lagged(panel, xs, lag).drop(columns=["entity", "year"])
    df = pd.concat([base.reset_index(drop=True), lagged.reset_index(drop=True)], axis=1)
    df = df.dropna(subset=[y, *xs])
    flag_cols = [f"{y}_flags", *[f"{x}_flags" for x in xs]]
    df = df.assign(has_break=_concat(df, flag_cols).str.contains("B", regex=False).astype(bool))
    return df[["entity", "year", y, *xs, "has_break"] + ([spec.count] if spec.count else [])]


def select(cases: pd.DataFrame, spec: Spec, *, lag: int, countries: list[str] | None = None,
           exclude: list[str] | None = None, years: tuple[int, int] | list[int] | None = None,
           drop_breaks: bool = False, centre: bool = True) -> ModelFrame:
    """``model_frame`` from the ``complete_cases`` frame of ``spec`` and ``lag`` (see ``model_frame``)."""
    df = cases
    keep = np.ones(len(df), dtype=bool)
    if countries:
        keep &= df["entity"].isin(countries).to_numpy(dtype=bool)
    if exclude:
        keep &= ~df["entity"].isin(exclude).to_numpy(dtype=bool)
    if years is not None:
        keep &= ((df["year"] >= years[0]) & (df["year"] <= years[1])).to_numpy(dtype=bool)
    if not keep.all():
        df = df[keep]
    n_breaks = int(df["has_break"].sum())
    if drop_breaks:
        df = df[~df["has_break"]]
    entities = df["entity"].nunique()
    if entities < 2:
        raise ParameterError("countries", countries, f"model {spec.name!r} has data for fewer than 2 economies "
                             f"in this selection (years {years}, lag {lag})", COUNTRIES)
    df = df.reset_index(drop=True)
    means = {}
    if centre and spec.interaction:
        for x in spec.regressors[:2]:
            means[x] = float(df[x].mean())
            df[x] = df[x] - means[x]
    yrs = f"{int(df['year'].min())}-{int(df['year'].max())}"
    what = "breaks dropped" if drop_breaks else "all observations"
    sample = (f"{entities} economies, {yrs}, lag {lag}, {what}"
              + (f", without {', '.join(exclude)}" if exclude else ""))
    return ModelFrame(spec, df, lag, sample, means, n_breaks)


def model_frame(panel: pd.DataFrame, spec: Spec, *, lag: int = 0, countries: list[str] | None = None,
                exclude: list[str] | None = None, years: tuple[int, int] | list[int] | None = None,
                drop_breaks: bool = False, centre: bool = True) -> ModelFrame:
    """Estimation sample of ``spec``: complete cases, ``has_break`` from the flags of the values used.

    ``lag`` is the lag of the regressors in years (``spec.fixed_lag`` if the model registers one and ``lag`` is
    None). Regressors entering an interaction are centred on their sample means (after all drops), so main
    effects are effects at the mean of the other variable; the interaction coefficient is unaffected.
    """
    return select(complete_cases(panel, spec, lag), spec, lag=lag, countries=countries, exclude=exclude,
                  years=years, drop_breaks=drop_breaks, centre=centre)


class Samples:
    """``model_frame`` and ``ppml_frame`` of one panel, each model's ``complete_cases`` at a lag built once."""

    def __init__(self, panel: pd.DataFrame):
        self.panel = panel
        self._cases: dict[tuple, pd.DataFrame] = {}

    def cases(self, spec: Spec, lag: int) -> pd.DataFrame:
        key = (spec.outcome, spec.regressors, spec.count, lag)
        if key not in self._cases:
            self._cases[key] = complete_cases(self.panel, spec, lag)
        return self._cases[key]

    def model_frame(self, spec: Spec, *, lag: int, **sel) -> ModelFrame:
        """``model_frame(self.panel, spec, lag=lag, **sel)``."""
        return select(self.cases(spec, lag), spec, lag=lag, **sel)

    def ppml_frame(self, spec: Spec, *, lag: int, **sel) -> ModelFrame:
        """``ppml_frame(self.panel, spec, lag=lag, **sel)``."""
        _check_count(spec)
        cspec = replace(spec, outcome=spec.count, count=None)
        return _ppml_of(spec, select(self.cases(cspec, lag), cspec, lag=lag, **sel))


def _check_count(spec: Spec) -> None:
    if spec.count is None:
        raise ParameterError("spec", spec.name, "has no count outcome for PPML", [s.name for s in SPECS if s.count])


def _ppml_of(spec: Spec, mf: ModelFrame) -> ModelFrame:
    d = mf.data
    d = d[d.groupby("entity")[spec.count].transform("sum") > 0].reset_index(drop=True)
    return ModelFrame(spec, d, mf.lag, mf.sample, mf.means, mf.n_breaks)


def ppml_frame(panel: pd.DataFrame, spec: Spec, **kwargs) -> ModelFrame:
    """Estimation sample for the PPML variant: the count in levels, so zero counts stay in (OLS on logs drops
    them). Economies whose count is zero in every year carry no information under country effects and are
    dropped."""
    _check_count(spec)
    return _ppml_of(spec, model_frame(panel, replace(spec, outcome=spec.count, count=None), **kwargs))
