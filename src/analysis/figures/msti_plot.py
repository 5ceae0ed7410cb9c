"""Drawing helpers shared by the OECD MSTI line figures (1 and 4): one line per economy with its OECD flags,
labels at series ends that avoid the lines, readable year ticks and the legend of the flags shown.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.text import Annotation, Text

from .. import labels, plotting

class EndLabel(Annotation):
    """Label of a series' last point that picks, when drawn, the side of the point where it covers no line.

    Candidate places are tried in order (right, upper/lower right, above, below, left, further out); the first
    one whose text box stays inside the axes and touches no drawn line, marker or already placed label wins,
    else the one touching least. A label placed further out gets a thin leader to its point. Placement happens
    at draw time, so it follows the final axis limits and size.
    """

    # offset from the point in points, horizontal and vertical alignment
    CANDIDATES = ((6, 0, "left", "center"), (5, 7, "left", "bottom"), (5, -7, "left", "top"),
                  (0, 9, "center", "bottom"), (0, -9, "center", "top"), (-5, 7, "right", "bottom"),
                  (-5, -7, "right", "top"), (6, 20, "left", "bottom"), (6, -20, "left", "top"),
                  (0, 24, "center", "bottom"), (0, -24, "center", "top"))
    NEAR = 7  # candidates before this index sit next to the point; later ones get a leader line

    def __init__(self, text: str, xy: tuple[float, float], **kw: Any) -> None:
        super().__init__(text, xy, xytext=self.CANDIDATES[0][:2], textcoords="offset points",
                         ha=self.CANDIDATES[0][2], va=self.CANDIDATES[0][3],
                         arrowprops={"arrowstyle": "-", "color": kw.get("color", "#333333"), "lw": 0.9,
                                     "shrinkA": 1, "shrinkB": 4}, **kw)
        self.placed = False

    def text_extent(self, renderer):
        """Box of the text alone (without the leader line) at the current offset."""
        self._renderer = renderer
        self.update_positions(renderer)
        return Text.get_window_extent(self, renderer)

    def _obstacles(self, renderer) -> tuple[np.ndarray, list]:
        ax = self.axes
        pts = []
        for line in ax.get_lines():
            if not line.get_visible():
                continue
            xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
            pts.append(xy[np.isfinite(xy).all(axis=1)])  # vertices and markers
            if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:  # points along each segment
                a, b = xy[:-1], xy[1:]
                ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
                t = np.linspace(0.0, 1.0, 25)[:, None, None]
                pts.append((a[ok] + t * (b[ok] - a[ok])).reshape(-1, 2))
        boxes = [t.get_window_extent(renderer) for t in ax.texts
                 if t is not self and t.get_visible() and (not isinstance(t, EndLabel) or t.placed)]
        boxes += [a.text_extent(renderer) for a in ax.artists
                  if a is not self and isinstance(a, EndLabel) and a.placed]
        return (np.concatenate(pts) if pts else np.empty((0, 2))), boxes

    def _place(self, renderer) -> None:
        pts, boxes = self._obstacles(renderer)
        frame = self.axes.get_window_extent(renderer)
        pad = renderer.points_to_pixels(2.0)
        best = None
        for k, (dx, dy, ha, va) in enumerate(self.CANDIDATES):
            self.xyann = (dx, dy)
            self.set_horizontalalignment(ha)
            self.set_verticalalignment(va)
            bb = self.text_extent(renderer)
            x0, y0, x1, y1 = bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad
            hits = int(((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)).sum())
            hits += sum(10 for b in boxes if b.x0 < x1 and b.x1 > x0 and b.y0 < y1 and b.y1 > y0)
            if bb.x0 < frame.x0 or bb.x1 > frame.x1 or bb.y0 < frame.y0 or bb.y1 > frame.y1:
                hits += 1000
            if best is None or hits < best[0]:
                best = (hits, k)
            if hits == 0:
                break
        dx, dy, ha, va = self.CANDIDATES[best[1]]
        self.xyann = (dx, dy)
        self.set_horizontalalignment(ha)
        self.set_verticalalignment(va)
        self.arrow_patch.set_visible(best[1] >= self.NEAR)
        self.placed = True

    def draw(self, renderer) -> None:
        if renderer is not None and self.get_visible() and self.axes is not None:
            self._place(renderer)
        super().draw(renderer)


def draw_series(ax: plt.Axes, frame: pd.DataFrame, ycol: str, lang: str) -> None:
    """One line per country from a ``complete_grid``-style frame with flag booleans.

    NaN rows stay in the series so the line breaks at a gap. Filled dots = plain observations, open dots =
    estimate/provisional, black-edged diamond labelled 'B' = break in series; a series that stops before the
    last year of the frame is labelled 'to YYYY'.
    """
    end = int(frame["year"].max())
    for code in dict.fromkeys(frame["entity"]):
        f = frame[frame["entity"] == code].sort_values("year")
        col = plotting.color(code)
        ax.plot(f["year"], f[ycol], color=col, lw=2.4, label=labels.area_name(code, lang), zorder=2)
        obs = f[f[ycol].notna()]
        if obs.empty:
            continue
        plain = obs[~(obs["estimate"] | obs["provisional"] | obs["break"])]
        ax.plot(plain["year"], plain[ycol], "o", color=col, ms=5, zorder=3)
        ep = obs[(obs["estimate"] | obs["provisional"]) & ~obs["break"]]
        ax.plot(ep["year"], ep[ycol], "o", mfc="white", mec=col, mew=1.8, ms=7, zorder=4)
        br = obs[obs["break"]]
        ax.plot(br["year"], br[ycol], "D", mfc=col, mec="black", mew=1.5, ms=9, zorder=5)
        for y, v in zip(br["year"], br[ycol]):
            ax.annotate("B", (y, v), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=12,
                        zorder=6)
        last_year, last_value = int(obs["year"].iloc[-1]), obs[ycol].iloc[-1]
        if last_year < end:
            ax.add_artist(EndLabel(labels.text(f"to {last_year}", f"{last_year}年まで", lang),
                                   (last_year, last_value), fontsize=11, color=col, zorder=6))


def year_ticks(start: int, end: int) -> list[int]:
    """Readable x ticks: every year for short spans, every 2nd or 5th year for long ones."""
    span = end - start
    step = 1 if span <= 14 else 2 if span <= 28 else 5
    first = start if step < 5 else start + (-start) % 5
    return list(range(first, end + 1, step))


def flag_legend(ax: plt.Axes, frame: pd.DataFrame, ycol: str, lang: str,
                extra: list[tuple[Any, str]] | None = None) -> None:
    """Legend of countries plus the flag markers that actually appear, outside the axes on the right;
    ``extra`` (handle, label) pairs go last (e.g. the vintage compared)."""
    from matplotlib.lines import Line2D

    handles, names = ax.get_legend_handles_labels()
    shown = frame[ycol].notna()
    if ((frame["estimate"] | frame["provisional"]) & shown).any():
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="#333333", mew=1.8, ms=7))
        names.append(labels.text("estimate / provisional (E/P)", "推計値・暫定値（E/P）", lang))
    if (frame["break"] & shown).any():
        handles.append(Line2D([], [], ls="", marker="D", mfc="#999999", mec="black", mew=1.5, ms=9))
        names.append(labels.text("break in series (B)", "系列の断層（B）", lang))
    for handle, label in extra or []:
        handles.append(handle)
        names.append(label)
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=13)

