"""nbval's sanitize rules: the output folder the notebooks print (``output/…`` in the checkout, an absolute path
when SANGAKU_OUTPUT points elsewhere) becomes one token, so the committed outputs match in any checkout."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CFG = ROOT / "tests" / "nbval_sanitize.cfg"


def _sanitize(text: str) -> str:
    cp = configparser.ConfigParser()
    cp.read(CFG, encoding="utf-8")
    for section in cp.sections():
        text = re.sub(cp[section]["regex"], cp[section]["replace"], text)
    return text


@pytest.mark.parametrize("printed", [
    "png: output/figures/fig02_joint_research/fig02_joint_research.png",
    "png: /tmp/elsewhere/out/figures/fig02_joint_research/fig02_joint_research.png",
    "png: build/out/figures/fig02_joint_research/fig02_joint_research.png",
])
def test_every_output_folder_gives_the_same_text(printed):
    assert _sanitize(printed) == "png: <OUTPUT>/figures/fig02_joint_research/fig02_joint_research.png"


def test_other_text_is_left_alone():
    for text in ("see output/figures/ for the files", "capital/output ratio", "tables: 3 rows"):
        assert _sanitize(text) == text


def test_every_printed_output_path_of_the_committed_notebooks_is_covered():
    covered = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                text = _sanitize("".join(out.get("text", "")))
                assert not re.search(r"(?:^|\s)output/(?:figures|tables)/\w", text), (path.name, text[:200])
                covered += text.count("<OUTPUT>/")
    assert covered >= 8  # the figure notebooks print where they wrote their files


@pytest.mark.skipif(not (ROOT / "data" / "processed").is_dir(), reason="needs `analysis data`")
def test_nbval_passes_with_the_output_folder_elsewhere(tmp_path):
    """Figure 8 re-executed under nbval with SANGAKU_OUTPUT outside the checkout: its printed paths are absolute
    and must still match the committed ones."""
    env = {**os.environ, "SANGAKU_OUTPUT": str(tmp_path / "elsewhere")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                           "--nbval-sanitize-with", str(CFG), "notebooks/fig08_university_startups.ipynb"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "elsewhere" / "figures" / "fig08_university_startups").is_dir()
