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

import nbval_audit

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


@pytest.mark.after_notebooks  # reads this session's nbval run of the notebook, when there is one
@pytest.mark.skipif(not (ROOT / "data" / "processed").is_dir(), reason="needs `analysis data`")
def test_nbval_passes_with_the_output_folder_elsewhere(request, tmp_path):
    """Figure 8 re-executed under nbval with SANGAKU_OUTPUT outside the checkout: its printed paths are absolute
    and must still match the committed ones. When this session's nbval runs figure 8 it runs it that way
    (tests/nbval_audit.py) and that run is the one checked; otherwise nbval is run here."""
    name = nbval_audit.OUTPUT_ELSEWHERE
    session_run = nbval_audit.outcomes(request.config, {name})
    if name in session_run:
        assert session_run[name], f"nbval failed on notebooks/{name}.ipynb with SANGAKU_OUTPUT outside the checkout"
        elsewhere = nbval_audit.output_elsewhere(request.config)
    else:
        elsewhere = tmp_path / "elsewhere"
        env = {**os.environ, "SANGAKU_OUTPUT": str(elsewhere)}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                               "--nbval-sanitize-with", str(CFG), f"notebooks/{name}.ipynb"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:]
    assert (elsewhere / "figures" / name).is_dir()
