"""The house style without seaborn: the rcParams it applies equal seaborn's set_theme (whitegrid, talk, deep)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis import plotting
from analysis.errors import DataFileError

# One fresh interpreter (rcParams are process-global): the house style first, noting whether seaborn or
# scipy.stats got imported, then matplotlib's defaults again and seaborn's set_theme with the project's overrides.
_DUMP = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
from analysis import plotting
plotting.set_style()
ours = {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())}
loaded = ["seaborn" in sys.modules, "scipy.stats" in sys.modules]
matplotlib.rcdefaults()
import seaborn as sns
sns.set_theme(style="whitegrid", context="talk", font="IPAexGothic", rc={
    "font.family": ["IPAexGothic", "DejaVu Sans"], "axes.unicode_minus": False, "figure.figsize": (11, 6.2),
    "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight", "svg.hashsalt": "sangaku",
    "svg.fonttype": "path", "legend.frameon": False, "axes.titleweight": "normal"})
theirs = {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())}
print(json.dumps({"ours": ours, "theirs": theirs, "loaded": loaded}))
"""


def test_house_style_equals_seaborn_theme_without_importing_seaborn():
    import json
    out = subprocess.run([sys.executable, "-c", _DUMP], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    ours, theirs = doc["ours"], doc["theirs"]
    differ = {k for k in theirs if theirs[k] != ours[k]}
    # the "rocket" colour map is seaborn's own and no figure draws an image (see plotting_style.toml)
    assert differ == {"image.cmap"}
    assert ours["axes.prop_cycle"].startswith("cycler('color', [(0.298")  # deep palette as RGB tuples
    assert doc["loaded"] == [False, False]  # neither seaborn nor scipy.stats is imported for the style


def test_malformed_style_file_names_the_file(tmp_path: Path):
    bad = tmp_path / "plotting_style.toml"
    bad.write_text((plotting.STYLE_FILE.read_text(encoding="utf-8")).replace("[palette]", "[palette"))
    with pytest.raises(DataFileError, match=r"plotting_style.toml: cannot read the house style"):
        plotting.style_rc(bad)
    bad.write_text("[style]\n[context]\n[palette]\n[house]\n\"axes.no_such_param\" = 1\n")
    with pytest.raises(DataFileError, match=r"not a matplotlib rcParam: axes.no_such_param"):
        plotting.style_rc(bad)
    bad.write_text("[style]\n[context]\n[house]\n")
    with pytest.raises(DataFileError, match=r"table \[palette\] is missing"):
        plotting.style_rc(bad)
