"""The interactive loop: a cached ``analysis run`` checks the cache before anything heavy — no papermill,
nbformat, kernel client or validate hook is imported (checked in a fresh interpreter)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import subprocess
import sys
from pathlib import Path

from analysis.execution import pipeline

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

HEAVY = ("papermill", "nbformat", "jsonschema", "jupyter_client", "nbfixtures", "pandas", "distributed")
PROBE = ("import json, sys\nfrom analysis import cli\nrc = cli.main(sys.argv[1:])\n"
         f"print(json.dumps({{'rc': rc, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))")


def _probe(root: Path, *args: str) -> dict:
    env = {**os.environ, "SANGAKU_ROOT": str(root), "PYTHONPATH": str(FIXTURES)}
    env.pop("SANGAKU_OUTPUT", None)
    out = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_cached_run_imports_nothing_heavy(tmp_path, monkeypatch):
    root = nbfixtures.make_project(tmp_path / "proj")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    monkeypatch.syspath_prepend(str(FIXTURES))
    with cf.ThreadPoolExecutor(max_workers=1) as ex:
        assert pipeline.run(["fig_toy"], {"n": 5}, executor=ex, progress=lambda m: None).ok
    probe = _probe(root, "run", "fig_toy", "-p", "n", "5")
    assert probe == {"rc": 0, "heavy": []}
    # a bad value is still refused (types are checked on every run), also without those imports
    assert _probe(root, "run", "fig_toy", "-p", "n", "five") == {"rc": 2, "heavy": []}
