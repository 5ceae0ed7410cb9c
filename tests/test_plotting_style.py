"""The house style without seaborn: the rcParams it applies equal seaborn's set_theme (whitegrid, talk, deep)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis import plotting
from analysis.errors import DataFileError

# Each variant runs in a fresh interpreter: rcParams are process-global, and importing seaborn must not leak in.
_DUMP = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
if sys.argv[1] == "seaborn":
    import seaborn as sns
    sns.set_theme(style="whitegrid", context="talk", font="IPAexGothic", rc={
        "font.family": ["IPAexGothic", "DejaVu Sans"], "axes.unicode_minus": False, "figure.figsize": (11, 6.2),
        "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight", "svg.hashsalt": "sangaku",
        "svg.fonttype": "path", "legend.frameon": False, "axes.titleweight": "normal"})
else:
    from analysis import plotting
    plotting.set_style()
print(json.dumps({k: repr(v) for k, v in sorted(matplotlib.rcParams.items())}))
print("seaborn" in sys.modules, "scipy.stats" in sys.modules)
"""


def _rc(variant: str) -> tuple[dict, str]:
    out = subprocess.run([sys.executable, "-c", _DUMP, variant], capture_output=True, text=True, check=True)
    import json
    rc_json, loaded = out.stdout.strip().splitlines()
    return json.loads(rc_json), loaded


def test_house_style_equals_seaborn_theme_without_importing_seaborn():
    ours, loaded = _rc("ours")
    theirs, _ = _rc("seaborn")
    differ = {k for k in theirs if theirs[k] != ours[k]}
    # the "rocket" colour map is seaborn's own and no figure draws an image (see plotting_style.toml)
    assert differ == {"image.cmap"}
    assert ours["axes.prop_cycle"].startswith("cycler('color', [(0.298")  # deep palette as RGB tuples
    assert loaded == "False False"  # neither seaborn nor scipy.stats is imported for the style


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
