"""Scheduling: the longest critical path starts first, ``after`` holds a job until its predecessors finish, a
job's cache is shared with the client's on this machine, and bad scheduling fields are refused by name."""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading

import pytest

from analysis.errors import DataFileError
from analysis.execution import cache, layout, pipeline, schedule, worker
from analysis.execution.jobs import Result
from analysis.execution.specs import load_specs


def _quiet(msg: str) -> None:
    pass


def _spec_with(project, name: str, **fields) -> None:
    import nbfixtures

    entry = dict(nbfixtures.SPECS[name])
    entry.update(fields)
    nbfixtures.write_spec(project, name, entry)


class RecordingExecutor(cf.Executor):
    """Runs nothing: records the order of submission and which jobs were still running at each submission;
    each job finishes 0.5 s after it was submitted."""

    def __init__(self):
        self.order: list[str] = []
        self.running_at_submit: dict[str, list[str]] = {}
        self._futures: list[tuple[cf.Future, str]] = []

    def submit(self, fn, task, blobs=None):
        fut: cf.Future = cf.Future()
        self.running_at_submit[task.out_name] = [name for f, name in self._futures if not f.done()]
        self.order.append(task.out_name)
        self._futures.append((fut, task.out_name))
        threading.Timer(0.5, fut.set_result, [Result(task.out_name, True, 0.1, notebook="{}\n")]).start()
        return fut


def test_after_holds_a_job_until_its_predecessor_finished(project):
    _spec_with(project, "fig_toy", after=["hyp_toy"])
    jobs = pipeline.plan(["fig_toy", "hyp_toy"], [{}])
    ex = RecordingExecutor()
    summary = schedule.run_jobs(jobs, force=True, executor=ex, progress=_quiet)
    assert summary.ok and sorted(r.name for r in summary.ran) == ["fig_toy", "hyp_toy"]
    # alphabetically fig_toy would go first; it waits for hyp_toy, which was no longer running when it went
    assert ex.order == ["hyp_toy", "fig_toy"]
    assert ex.running_at_submit["fig_toy"] == []


def test_without_after_both_go_at_once_in_priority_order(project, monkeypatch):
    jobs = pipeline.plan(["fig_toy", "hyp_toy"], [{}])
    monkeypatch.setattr(cache, "last_seconds", lambda name: {"fig_toy": 1.0, "hyp_toy": 30.0}[name])
    ex = RecordingExecutor()
    assert schedule.run_jobs(jobs, force=True, executor=ex, progress=_quiet).ok
    assert ex.order == ["hyp_toy", "fig_toy"]  # the longest first
    assert ex.running_at_submit["fig_toy"] == ["hyp_toy"]  # not held back: no after declared


def test_priority_is_the_critical_path_recorded_or_declared(project, monkeypatch):
    _spec_with(project, "fig_toy", after=["hyp_toy"], expected_seconds=40)
    _spec_with(project, "hyp_toy", expected_seconds=5)
    fig, hyp = pipeline.plan(["fig_toy", "hyp_toy"], [{}])
    assert (fig.after, fig.expected_seconds, hyp.after) == (("hyp_toy",), 40.0, ())
    # nothing recorded yet: the declared durations; hyp_toy carries the 40 s of the job that follows it
    assert schedule.priorities([fig, hyp]) == {"fig_toy": 40.0, "hyp_toy": 45.0}
    monkeypatch.setattr(cache, "last_seconds", lambda name: {"fig_toy": 2.0, "hyp_toy": 0.0}[name])
    assert schedule.priorities([fig, hyp]) == {"fig_toy": 2.0, "hyp_toy": 7.0}  # recorded beats declared
    # scheduling fields are not part of the cache key
    _spec_with(project, "fig_toy")
    plain, _ = pipeline.plan(["fig_toy", "hyp_toy"], [{}])
    assert plain.key.digest == fig.key.digest


@pytest.mark.parametrize("fields, words", [
    ({"after": ["no_such_notebook"]}, "after names undeclared notebooks ['no_such_notebook']"),
    ({"after": "hyp_toy"}, "after must be a list of notebook names"),
    ({"expected_seconds": -1}, "expected_seconds must be a number >= 0"),
    ({"expected_seconds": "long"}, "expected_seconds must be a number >= 0"),
])
def test_bad_scheduling_fields_are_refused_by_name(project, fields, words):
    _spec_with(project, "fig_toy", **fields)
    with pytest.raises(DataFileError, match=r"\[fig_toy\] " + words.replace("[", r"\[").replace("]", r"\]")):
        load_specs()


def test_a_cycle_of_after_is_refused_naming_it(project):
    _spec_with(project, "fig_toy", after=["hyp_toy"])
    _spec_with(project, "hyp_toy", after=["fig_toy"])
    with pytest.raises(DataFileError, match="after forms a cycle: fig_toy -> hyp_toy -> fig_toy"):
        load_specs()


def test_a_kernel_writes_its_shared_cache_into_the_clients_and_force_clears_it(project):
    """A notebook that writes output/.cache/multiverse/<x> in its kernel leaves it in the client's folder."""
    import nbfixtures
    from nbformat.v4 import new_code_cell, new_notebook

    code = ("import os, pathlib\n"
            "d = pathlib.Path(os.environ['SANGAKU_OUTPUT']) / '.cache' / 'multiverse'\n"
            "seen = sorted(p.name for p in d.iterdir()) if d.is_dir() else []\n"
            "(d / 'entry').parent.mkdir(parents=True, exist_ok=True)\n"
            "(d / 'entry').write_text('estimated once')\n"
            "print(seen)")
    nbfixtures.write_notebook(project / "notebooks" / "memo_toy.ipynb", new_notebook(cells=[new_code_cell(code)]))
    shared = layout.cache_dir() / "multiverse"
    shared.mkdir(parents=True)
    (shared / "old").write_text("from an earlier run")
    with cf.ThreadPoolExecutor(max_workers=1) as ex:
        assert pipeline.run(["memo_toy"], executor=ex, progress=_quiet).ok
        assert sorted(p.name for p in shared.iterdir()) == ["entry", "old"]
        executed = json.loads((layout.executed_dir() / "memo_toy.ipynb").read_text())
        assert "['old']" in "".join(executed["cells"][0]["outputs"][0]["text"])  # it saw the client's entries
        # --force ignores every cache: the shared one is emptied before the run
        assert pipeline.run(["memo_toy"], force=True, executor=ex, progress=_quiet).ok
    assert sorted(p.name for p in shared.iterdir()) == ["entry"]
    assert worker._SPACES == {} and not shared.is_symlink()
