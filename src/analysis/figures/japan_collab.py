"""Deck figures 2, 5 and 8: university-industry collaboration in Japan by fiscal year (MEXT, NISTEP, JPO, METI).

- Figure 2 (``fig2_frame``/``make_fig2``): 大学と国内民間企業との共同・受託研究実績 (amount and count of joint and
  contract research with private companies; MEXT headlines, NISTEP 表5-4-5 for the broader 民間企業等 amount)
  and 大学等における1件当たり共同研究費 (MEXT's published amount per project; where MEXT gives none, amount ÷
  count from one and the same release, marked as computed).
- Figure 5 (``fig5_frame``/``make_fig5``): 特許権実施等の実績 (patent licensing count and income) by 国立/公立/私立
  where the data have it; the FY2012 change in how MEXT counts licences is drawn as a break.
- Figure 8 (``fig8_frame``/``make_fig8``): 大学発ベンチャー (METI cumulative start-up counts, 2025 速報 marked;
  MEXT counts of start-ups founded in the fiscal year).

One value per fiscal year is taken with :func:`analysis.sources.japan.best` (reliability order); the other
sources stay visible in the data columns ``n_sources``/``alternatives``. A year without a value stays NaN
(status ``gap``): lines break there and a small × marks it on the axis. Nothing is interpolated and year-on-year
changes quoted by the sources are never turned into levels.

Users can add rows with ``user_file``: a CSV in the format of ``data/raw/japan/*.csv`` (columns ``series, year,
value, unit, source_id, reliability, note``), read with the same validating loader; user rows are marked, and a
user row that is not drawn is listed in the note with the reason (``result["unused"]``).

This module is the figures' entry point (``make_fig2/5/8`` and every public name); the data, parameters and
frames are in :mod:`japan_collab_data`, the notes and narrative in :mod:`japan_collab_text`, the drawing in
:mod:`japan_collab_plot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from .. import plotting
from .common import relative, resolve_output_dir
from .japan_collab_data import (COMMON_PARAMS, DATA_NAME, DEFAULT_INSTITUTION_TYPES, DEFAULT_RANGES,  # noqa: F401
                                FIG2_SERIES, FIG8_SERIES, FRAME_COLS, INSTITUTION_TYPES, MAN, OKU, SOURCES_FIG2,
                                STEMS, TYPE_COLORS, check_institution_types, fig2_frame, fig5_frame, fig8_frame,
                                load_data, per_project_computed, read_user_file, series, unused_user_rows,
                                validate_fig2, validate_fig5, validate_fig8, with_user_rows)
from .japan_collab_plot import plot_fig2, plot_fig5, plot_fig8
from .japan_collab_text import coverage_text, fig2_note, fig5_note, fig8_note  # noqa: F401


def _save(fig: plt.Figure, frame: pd.DataFrame, fignum: int, lang: str, output_dir: str | Path) -> dict[str, Path]:
    stem = STEMS[fignum] if lang == "ja" else f"{STEMS[fignum]}_{lang}"
    outdir = resolve_output_dir(output_dir, "figures", STEMS[fignum])
    return plotting.save(fig, frame, outdir, stem)


def _data(user_file: str | Path, tidy: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figure's input (japan data plus user rows) and the user rows alone."""
    user = read_user_file(user_file)
    return with_user_rows(tidy, user), user


def _result(fignum: int, frame: pd.DataFrame, user: pd.DataFrame, lang: str, output_dir: str | Path,
            plot, note) -> dict[str, Any]:
    unused = unused_user_rows(user, frame)
    fig = plot(frame, lang, unused)
    return {"data": frame, "figure": fig, "note": note(frame, lang, unused), "unused": unused,
            "paths": _save(fig, frame, fignum, lang, output_dir)}


def make_fig2(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 2004, end_fy: int = 2023,
              user_file: str = "", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 2. Returns {'data', 'figure', 'note', 'unused', 'paths'}; ``unused`` are
    the user-file rows not drawn, with the reason."""
    validate_fig2({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "user_file": user_file,
                   "output_dir": output_dir})
    data, user = _data(user_file, tidy)
    return _result(2, fig2_frame(data, start_fy, end_fy), user, lang, output_dir, plot_fig2, fig2_note)


def make_fig5(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 1999, end_fy: int = 2023,
              institution_types: list[str] | None = None, user_file: str = "",
              output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 5. Returns {'data', 'figure', 'note', 'unused', 'paths'}."""
    types = DEFAULT_INSTITUTION_TYPES if institution_types is None else institution_types
    validate_fig5({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "institution_types": types,
                   "user_file": user_file, "output_dir": output_dir})
    data, user = _data(user_file, tidy)
    return _result(5, fig5_frame(data, start_fy, end_fy, types), user, lang, output_dir, plot_fig5, fig5_note)


def make_fig8(tidy: pd.DataFrame | None = None, lang: str = "ja", start_fy: int = 2010, end_fy: int = 2025,
              user_file: str = "", output_dir: str | Path = "") -> dict[str, Any]:
    """Compute, draw and save figure 8. Returns {'data', 'figure', 'note', 'unused', 'paths'}."""
    validate_fig8({"lang": lang, "start_fy": start_fy, "end_fy": end_fy, "user_file": user_file,
                   "output_dir": output_dir})
    data, user = _data(user_file, tidy)
    return _result(8, fig8_frame(data, start_fy, end_fy), user, lang, output_dir, plot_fig8, fig8_note)


__all__ = ["fig2_frame", "fig5_frame", "fig8_frame", "make_fig2", "make_fig5", "make_fig8", "validate_fig2",
           "validate_fig5", "validate_fig8", "series", "per_project_computed", "read_user_file", "load_data",
           "relative", "coverage_text", "unused_user_rows", "plot_fig2", "plot_fig5", "plot_fig8"]
