"""The self-contained task: a worker runs from what the task carries (bytes by sha256), checks them and its own
package against the client's key, and returns the notebook and files; the client writes them. Tiny fixtures."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.execution import cache, delivery, pipeline, worker

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402


def _nowhere(task):
    """The task as a remote worker sees it: the client's paths do not exist there."""
    return dataclasses.replace(task, inputs=tuple(dataclasses.replace(i, source="/nonexistent/" + i.dest)
                                                  for i in task.inputs))


def test_a_task_carries_its_inputs_and_the_client_writes_the_results(project):
    [job] = pipeline.plan(["hyp_toy"], [{"lang": "en"}])
    ctx = cache.Context.current()
    task, blobs = delivery.pack(job, ctx, embed=True)
    assert [i.dest for i in task.inputs] == ["data/raw/toy_source/toy.csv"]
    assert blobs == {task.inputs[0].sha256: (project / "data" / "raw" / "toy_source" / "toy.csv").read_bytes()}
    assert str(project) not in task.notebook  # the notebook text, not its path
    res = worker.execute_job(_nowhere(task), blobs)
    assert res.ok, res.message
    assert sorted(res.files) == ["hyp_toy.csv"] and "raw value 3" in res.notebook
    assert not Path(job.output_path).exists()  # the worker wrote nothing of the client's
    delivery.deliver(job, res)
    assert Path(job.output_path).read_text() == res.notebook
    assert (Path(job.folder) / "hyp_toy.csv").read_bytes() == res.files["hyp_toy.csv"]
    assert (Path(job.folder) / "PARAMETERS.json").is_file()
    assert worker._SPACES == {}


def test_missing_or_corrupt_inputs_and_another_package_are_refused(project):
    [job] = pipeline.plan(["hyp_toy"], [{}])
    task, blobs = delivery.pack(job, cache.Context.current(), embed=True)
    missing = worker.execute_job(_nowhere(task), {})
    assert not missing.ok and "is neither in the task nor at /nonexistent/" in missing.message
    corrupt = worker.execute_job(_nowhere(task), {h: b + b"x" for h, b in blobs.items()})
    assert not corrupt.ok and "does not match its sha256" in corrupt.message
    other = dataclasses.replace(task, code={**task.code, "inputs.py": "0" * 64})
    res = worker.execute_job(other, blobs)
    assert not res.ok and "analysis package differs from the client's in inputs.py" in res.message
    assert "inputs.py" in task.code and "__init__.py" in task.code  # the modules the key holds are checked
    assert not (paths.output_dir() / "tables").exists() and worker._SPACES == {}


def test_a_worker_cannot_write_outside_the_jobs_folder(project):
    [job] = pipeline.plan(["hyp_toy"], [{}])
    res = worker.Result("hyp_toy", True, 0.1, notebook="{}\n", files={"../../escape.txt": b"x"})
    out = delivery.deliver(job, res)
    assert not out.ok and "outside its output folder" in out.message
    assert not (paths.output_dir() / "escape.txt").exists() and not Path(job.output_path).exists()
