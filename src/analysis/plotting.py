"""House style for every figure, and saving a figure with the exact data behind it.

Japanese text uses IPAex Gothic, shipped by the ``matplotlib-fontja`` package, so labels render on any machine
that installs the project. SVG and PNG are written without dates and with a fixed SVG id salt so that a rerun
gives byte-identical files.
"""

from __future__ import annotations

import functools
import io as _io
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic)
from cycler import cycler  # noqa: E402

from . import io  # noqa: E402
from .errors import DataFileError  # noqa: E402

if TYPE_CHECKING:  # only for annotations: save() receives a frame, and pandas is loaded by its caller
    import pandas as pd

FONT = "IPAexGothic"
# Width of a note line in em at the note's font size, for the default 11-inch-wide figure.
NOTE_EM = 68.0
# One colour per economy, stable across figures (Japan always red, as in the deck).
COUNTRY_COLORS = {
    "JPN": "#d62728", "USA": "#1f77b4", "DEU": "#2ca02c", "FRA": "#9467bd", "GBR": "#8c564b",
    "CHN": "#ff7f0e", "KOR": "#17becf", "TWN": "#e377c2", "SGP": "#bcbd22", "OECD": "#7f7f7f",
    "EU27_2020": "#393b79",
}


# The rcParams of the house style (seaborn's whitegrid/talk/deep theme and the project's own settings) are data.
STYLE_FILE = Path(__file__).with_name("plotting_style.toml")
STYLE_TABLES = ("style", "context", "palette", "house")


@functools.lru_cache(maxsize=2)
def style_rc(path: Path = STYLE_FILE) -> dict[str, Any]:
    """The house style's rcParams from ``plotting_style.toml`` (tables applied in order, later keys win)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the house style: {exc}") from exc
    rc: dict[str, Any] = {}
    for table in STYLE_TABLES:
        if not isinstance(doc.get(table), dict):
            raise DataFileError(path, f"table [{table}] is missing", hint=f"tables: {', '.join(STYLE_TABLES)}")
        rc.update(doc[table])
    unknown = sorted(set(rc) - set(matplotlib.rcParams))
    if unknown:
        raise DataFileError(path, f"not a matplotlib rcParam: {', '.join(unknown)}")
    if "axes.prop_cycle" in rc:
        # as RGB tuples, exactly as seaborn sets them
        rc["axes.prop_cycle"] = cycler(color=[matplotlib.colors.to_rgb(c) for c in rc["axes.prop_cycle"]])
    return rc


def set_style() -> None:
    """Apply the house style (seaborn's whitegrid theme at talk size, Japanese-capable font, slide-readable sizes)."""
    matplotlib.rcParams.update(style_rc())


def color(code: str) -> str:
    """Colour of an economy; others get a neutral grey."""
    return COUNTRY_COLORS.get(code, "#555555")


def _em(ch: str) -> float:
    """Approximate advance width of a character in em (CJK full width 1, Latin about 0.55)."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55


def wrap_note(text: str, width_em: float = NOTE_EM) -> str:
    """Wrap a note by rendered width, not by character count.

    ``textwrap`` only breaks at spaces, which leaves Japanese lines (no spaces) badly ragged; here a line may
    break before any full-width character or at a space, and Latin words are kept whole.
    """
    out: list[str] = []
    for para in text.split("\n"):
        tokens = re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+|\s+", para)
        line, w = "", 0.0
        for tok in tokens:
            tw = sum(_em(c) for c in tok)
            if line and w + tw > width_em and not tok.isspace():
                out.append(line.rstrip())
                line, w = "", 0.0
            if not line and tok.isspace():
                continue
            line += tok
            w += tw
        out.append(line.rstrip())
    return "\n".join(out)


def add_note(fig: plt.Figure, note: str, width_em: float = NOTE_EM) -> None:
    """Print a source/coverage note under the axes, wrapped to ``width_em`` (see ``wrap_note``)."""
    fig.text(0.01, -0.02, wrap_note(note, width_em), ha="left", va="top", fontsize=10, color="#333333")


def _png_measuring_its_bbox(fig: plt.Figure) -> tuple[bytes, Any]:
    """The PNG as ``savefig`` writes it, and the tight bounding box (inches, unpadded) it measured on the way, or
    None when ``savefig.bbox`` is not "tight". savefig lays out every text once to measure that box and once more
    to draw; keeping the box spares the SVG the measuring pass (a third of its time), and the two files share
    one crop."""
    measured: list = []
    get_tightbbox = fig.get_tightbbox

    def measuring(*args: Any, **kwargs: Any) -> Any:
        box = get_tightbbox(*args, **kwargs)
        measured.append(box)
        return box

    buf = _io.BytesIO()
    fig.get_tightbbox = measuring  # this figure only, for this call
    try:
        fig.savefig(buf, format="png", metadata={"Software": None})
    finally:
        del fig.get_tightbbox
    if matplotlib.rcParams["savefig.bbox"] != "tight" or not measured:
        return buf.getvalue(), None
    return buf.getvalue(), measured[-1]


def save(fig: plt.Figure, data: pd.DataFrame, outdir: str | Path, stem: str) -> dict[str, Path]:
    """Write ``stem.png``, ``stem.svg`` and ``stem.csv`` (the data behind the figure) atomically."""
    outdir = Path(outdir)
    paths = {ext: outdir / f"{stem}.{ext}" for ext in ("png", "svg", "csv")}
    png, box = _png_measuring_its_bbox(fig)
    io.write_bytes(paths["png"], png)
    crop = {} if box is None else {"bbox_inches": box.padded(matplotlib.rcParams["savefig.pad_inches"])}
    buf = _io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, **crop)
    io.write_bytes(paths["svg"], buf.getvalue())
    io.write_csv(paths["csv"], data)
    return paths
