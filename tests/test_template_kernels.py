"""Template kernels: after a worker's template has imported the heavy modules once, each kernel is a fork of it —
faster, yet a clean kernel whose executed notebook and files are byte-identical to those of a fresh kernel, and
nothing is left running afterwards. Uses the matplotlib version of the fixture figure."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from pathlib import Path

import psutil
import pytest

from analysis.execution import cache, delivery, pipeline, worker

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

PARENT = "import os\nprint('kernel parent', os.getppid())\n"


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    root = nbfixtures.make_project(tmp_path / "proj")
    nbfixtures.write_notebook(root / "notebooks" / "fig_toy.ipynb", nbfixtures.fig_notebook(matplotlib=True,
                                                                                          extra=PARENT))
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    monkeypatch.syspath_prepend(str(FIXTURES))
    yield root
    worker.shutdown_warm_kernels()


def _printed(res) -> str:
    return "".join("".join(o.get("text", "")) for c in json.loads(res.notebook)["cells"] for o in c.get("outputs", []))


def _run(job, ctx, prewarm: bool):
    res = worker.execute_job(*delivery.pack(dataclasses.replace(job, prewarm=prewarm), ctx, embed=False))
    assert res.ok, res.message
    return res


def test_kernels_forked_from_the_template_give_the_same_bytes_and_leave_nothing(project):
    ctx = cache.Context.current()
    [job] = pipeline.plan(["fig_toy"], [{"n": 4}])
    fresh = _run(job, ctx, prewarm=False)  # a single run: no template is started
    assert worker._TEMPLATES == {}
    _run(job, ctx, prewarm=True)  # more follow: the template starts in the background
    [(proc, sock)] = worker._TEMPLATES.values()
    deadline = time.monotonic() + 120
    while not Path(sock + ".ready").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the template never became ready"
        time.sleep(0.2)
    _run(job, ctx, prewarm=True)  # its kernel started ahead comes from the template...
    forked = _run(job, ctx, prewarm=False)  # ...and runs this one
    assert f"kernel parent {proc.pid}\n" in _printed(forked)  # a fork of the template
    assert f"kernel parent {proc.pid}\n" not in _printed(fresh)
    strip = lambda text: re.sub(r"kernel parent \d+", "", text)  # noqa: E731
    assert strip(forked.notebook) == strip(fresh.notebook) and forked.files == fresh.files
    worker.shutdown_warm_kernels()
    assert psutil.Process().children(recursive=True) == [] and worker._TEMPLATES == {}
    assert not Path(sock).exists() and worker._SPACES == {}
