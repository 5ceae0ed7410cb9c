"""A run with no more notebooks than workers has no template: each worker of the runner's pool starts a plain
kernel while the client runs the validate hooks, and the notebook runs in it. The kernel runs no notebook code
before the hooks pass, and a failing hook leaves no kernel behind."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from analysis.execution import pipeline, schedule, worker

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

PID = "import os\nprint('kernel pid', os.getpid())\n"


@pytest.fixture()
def project(project: Path) -> Path:
    """The conftest's toy project, whose figure notebook prints its kernel's pid."""
    nbfixtures.write_notebook(project / "notebooks" / "fig_toy.ipynb", nbfixtures.fig_notebook(extra=PID))
    yield project
    worker.shutdown_warm_kernels()


def _marked_job(mark: str):
    (job,) = pipeline.plan(["fig_toy"], [{}])
    return dataclasses.replace(job, env={**job.env, "SANGAKU_TEST_MARK": mark})


def _kernels(mark: str) -> list[int]:
    """Processes started with this test's mark in their environment (kernels and their launchers)."""
    pids = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.environ().get("SANGAKU_TEST_MARK") == mark and "ipykernel" in " ".join(p.cmdline()):
                pids.append(p.pid)
        except (psutil.Error, OSError):
            continue
    return pids


def _wait_for(cond, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    return cond()


def test_the_notebook_runs_in_the_kernel_started_while_the_hooks_ran(project):
    mark = uuid.uuid4().hex
    job = _marked_job(mark)
    ahead: list[int] = []

    def hooks(jobs):
        assert [j.out_name for j in jobs] == ["fig_toy"]
        ahead.extend(_wait_for(lambda: _kernels(mark)))  # started before any notebook was submitted

    summary = schedule.run_jobs([job], force=True, max_workers=2, before_start=hooks, progress=lambda m: None)
    assert summary.ok and ahead, "no kernel was started while the hooks ran"
    nb = json.loads(Path(job.output_path).read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    ran_in = int(printed.split("kernel pid ")[1].split()[0])
    assert ran_in in ahead
    assert _wait_for(lambda: not _kernels(mark), 10), "a kernel outlived the run"


def test_a_failing_hook_leaves_no_kernel_behind(project):
    mark = uuid.uuid4().hex
    job = _marked_job(mark)

    class HookFailed(Exception):
        pass

    def hooks(jobs):
        assert _wait_for(lambda: _kernels(mark)), "no kernel was started while the hooks ran"
        raise HookFailed

    with pytest.raises(HookFailed):
        schedule.run_jobs([job], force=True, max_workers=2, before_start=hooks, progress=lambda m: None)
    assert _wait_for(lambda: not _kernels(mark), 10), "the kernel started ahead outlived the failed hook"
    assert not Path(job.output_path).exists()  # no notebook ran
