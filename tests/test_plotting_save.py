"""``plotting.save``: the PNG is exactly what ``savefig`` writes, and the SVG is cropped to the same tight box (the
one the PNG measured, so the SVG skips its own measuring pass)."""

from __future__ import annotations

import io
import re

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from PIL import Image

from analysis import plotting


def _figure() -> plt.Figure:
    """A house-style figure whose tight box is not the canvas: a long Japanese title, a legend outside the axes
    and a note under them."""
    fig, ax = plt.subplots()
    ax.plot([2000, 2010, 2020], [1.0, 2.5, 3.0], label="企業の研究者（FTE）")
    ax.set_title("産学官連携：企業の研究者数の推移（2000年＝100）、日本と主要国の比較")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    plotting.add_note(fig, "注：OECD MSTI。値は計算値（研究者数の指数）。" * 3)
    return fig


def _svg_size_pt(path) -> tuple[float, float]:
    head = re.search(r"<svg[^>]*>", path.read_text(encoding="utf-8")).group(0)
    return tuple(float(re.search(rf'{k}="([0-9.]+)pt"', head).group(1)) for k in ("width", "height"))


@pytest.fixture()
def styled():
    with matplotlib.rc_context():
        plotting.set_style()
        yield
    plt.close("all")


def test_png_is_savefig_and_svg_shares_its_tight_crop(styled, tmp_path):
    fig = _figure()
    paths = plotting.save(fig, pd.DataFrame({"year": [2000], "value": [1.0]}), tmp_path, "fig")
    assert "get_tightbbox" not in vars(fig)  # the measuring wrapper is gone again

    plain = io.BytesIO()
    fig.savefig(plain, format="png", metadata={"Software": None})
    assert paths["png"].read_bytes() == plain.getvalue()

    dpi = matplotlib.rcParams["savefig.dpi"]
    width_px, height_px = Image.open(paths["png"]).size
    width_pt, height_pt = _svg_size_pt(paths["svg"])
    assert abs(width_pt * dpi / 72 - width_px) <= 1 and abs(height_pt * dpi / 72 - height_px) <= 1
    canvas_pt = [v * 72 for v in fig.get_size_inches()]
    assert width_pt > canvas_pt[0] and height_pt > canvas_pt[1]  # the legend and the note are inside the crop

    # The SVG backend measures text without hinting, so its own tight box differs a little (2.1 pt at most over
    # the 42 SVGs of a reproduce, 2.3 pt here); well inside the 7.2 pt padding, so nothing is clipped.
    own = io.BytesIO()
    fig.savefig(own, format="svg", metadata={"Date": None, "Creator": None})
    own_path = tmp_path / "own.svg"
    own_path.write_bytes(own.getvalue())
    pad_pt = matplotlib.rcParams["savefig.pad_inches"] * 72
    for ours, theirs in zip((width_pt, height_pt), _svg_size_pt(own_path)):
        assert abs(ours - theirs) < pad_pt / 2


def test_a_failed_png_leaves_the_figure_as_it_was(styled, tmp_path, monkeypatch):
    fig = _figure()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fig.canvas, "print_png", broken)
    with pytest.raises(OSError, match="disk full"):
        plotting.save(fig, pd.DataFrame({"x": [1]}), tmp_path, "fig")
    assert "get_tightbbox" not in vars(fig)
    assert not list(tmp_path.iterdir())  # nothing half-written
