"""``compare_vintage``: the MSTI figures (1, 3, 4) drawn over the same values from another committed vintage.

The parameter is "" (nothing overlaid), a committed vintage of ``oecd_msti`` (``"2025-03"``) or ``"previous"``
(the committed vintage before the one built); :mod:`analysis.vintage_params` resolves it, and the notebooks
declare it in ``notebooks/notebooks.toml`` (``vintage_params = ["compare_vintage:oecd_msti/msti_raw.csv.gz"]``),
so the runner keys the cache on that vintage's raw file and lets the kernel open it. The old vintage is read with
the MSTI loader from its own folder and goes through the figure's own frame function, so the old and the current
values are computed by the same code. In the figure CSV the old values get columns ``<column>_vintage_<v>``
(e.g. ``index_vintage_2025-03``, with ``flags_vintage_2025-03``); a value the old vintage lacks stays empty.
The parameter's name and check are in :mod:`msti_compare_params`, which the validate hooks import without the
drawing code.
"""

from __future__ import annotations

from typing import Any, Callable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

from .. import inputs, labels, plotting
from ..errors import ParameterError
from ..sources import msti
from .msti_compare_params import PARAM, RAW_FILE, SOURCE, check  # noqa: F401  (the figures and tests use them here)

FAINT = {"alpha": 0.35, "lw": 1.4, "zorder": 1.5}  # lines of the other vintage: thin, pale, under the current ones
GHOST = "#555555"
GHOST_MARKER = {"marker": "D", "mfc": "none", "mec": GHOST, "mew": 1.4, "ms": 8, "zorder": 4}


def load(value: Any) -> tuple[str, pd.DataFrame] | None:
    """(vintage, tidy MSTI frame of that vintage) for a set ``compare_vintage``, else None.

    The file is opened through :func:`analysis.inputs.raw` under its vintage's path, which the runner declares
    when the parameter is set."""
    vintage = check(value)
    if vintage is None:
        return None
    path = inputs.raw(f"{SOURCE}/{vintage}/{RAW_FILE}")
    return vintage, msti.clean(msti.read_raw(path), path)


def column(name: str, vintage: str) -> str:
    """The CSV column of ``name`` in the other vintage: ``index`` -> ``index_vintage_2025-03``."""
    return f"{name}_vintage_{vintage}"


def label(vintage: str, lang: str) -> str:
    """The legend entry: "vintage 2025-03" / 「2025-03版」."""
    return labels.text(f"vintage {vintage}", f"{vintage}版", lang)


def checked(vintage: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()`` on the other vintage; a parameter it cannot draw is reported against ``compare_vintage``."""
    try:
        return compute()
    except ParameterError as exc:
        raise ParameterError(PARAM, vintage, f"vintage {vintage} cannot draw this figure with the same "
                             f"parameters: {exc}") from None


def year_span(tidy: pd.DataFrame, indicator: str, countries: list[str], vintage: str) -> tuple[int, int]:
    """First and last year of ``indicator`` for ``countries`` in the other vintage."""
    years = tidy.loc[(tidy["indicator"] == indicator) & tidy["entity"].isin(countries), "year"]
    if years.empty:
        raise ParameterError(PARAM, vintage, f"vintage {vintage} has no {indicator} value for "
                             f"{', '.join(countries)}")
    return int(years.min()), int(years.max())


def add_columns(frame: pd.DataFrame, old: pd.DataFrame, on: list[str], cols: list[str],
                vintage: str) -> pd.DataFrame:
    """``frame`` with ``cols`` of ``old`` (matched on ``on``) as ``<col>_vintage_<v>``; rows stay ``frame``'s."""
    part = old[on + cols].rename(columns={c: column(c, vintage) for c in cols})
    out = frame.merge(part, on=on, how="left", validate="one_to_one")
    for c in cols:
        if c.endswith("flags"):
            out[column(c, vintage)] = out[column(c, vintage)].fillna("").astype(str)
    return out


def draw_lines(ax: plt.Axes, frame: pd.DataFrame, ycol: str, vintage: str) -> None:
    """The other vintage's series as faint lines with small markers, one per economy, in its colour."""
    col = column(ycol, vintage)
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code].sort_values("year")
        ax.plot(f["year"], f[col], color=plotting.color(code), marker="o", ms=3, **FAINT)


def changed(frame: pd.DataFrame, ycol: str, vintage: str) -> pd.DataFrame:
    """Rows whose drawn value differs between the vintages (either side missing counts)."""
    new, old = frame[ycol], frame[column(ycol, vintage)]
    return frame[(new.isna() != old.isna()) | ((new - old).abs() > 1e-9 * old.abs())]


def ghost_markers(ax: plt.Axes, values: pd.Series, ypos: Any) -> None:
    """The other vintage's value of each horizontal bar as an open diamond (figure 3)."""
    ax.plot(values, ypos, ls="", **GHOST_MARKER)


def legend_entries(vintage: str | None, lang: str, markers: bool = False) -> list[tuple[Any, str]]:
    """The legend entry of the faint lines, or with ``markers`` of the ghost markers ([] without a vintage)."""
    if vintage is None:
        return []
    handle = (Line2D([], [], ls="", **GHOST_MARKER) if markers
              else Line2D([], [], color=GHOST, marker="o", ms=3, **FAINT))
    return [(handle, label(vintage, lang))]


def note_line(frame: pd.DataFrame, cols: list[str], vintage: str, lang: str, markers: bool = False) -> str:
    """What the overlay shows, and how many of the values drawn the other vintage has differently."""
    n = sum(len(changed(frame, c, vintage)) for c in cols)
    total = sum(int(frame[c].notna().sum()) for c in cols)
    what = labels.text("Open diamonds" if markers else "Faint lines", "白抜きの菱形" if markers else "薄い線", lang)
    return labels.text(
        f"{what}: the same values computed the same way from MSTI vintage {vintage}; {n} of the {total} values "
        f"drawn differ (columns *_vintage_{vintage} of the CSV).",
        f"{what}：MSTIの{vintage}版から同じ方法で計算した同じ値。描画した{total}値のうち{n}値が異なる"
        f"（CSVの *_vintage_{vintage} 列）。", lang)
