"""Notebooks on a real ``distributed.LocalCluster`` (127.0.0.1) whose workers see none of the project's files:
they start in another directory without ``SANGAKU_ROOT``, so everything a notebook reads comes with its job and
everything it writes comes back to the client, which writes and caches it. Nothing is left running on a worker
and no worker's environment is changed. Uses the tiny notebooks of tests/fixtures."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from analysis import cli, paths
from analysis.execution import executors, jobs, pipeline

distributed = pytest.importorskip("distributed")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

EN = jobs.run_name("fig_toy", {"lang": "en"})
# printed by the fixture figure from inside its kernel: is the kernel's project the worker's own directory?
WHERE = ("print('kernel project:', 'own' if paths.project_root().name.startswith('sangaku-job-') "
         "else paths.project_root())\n")


def _quiet(msg: str) -> None:
    pass


def _worker_state() -> dict:
    """Run on each worker: its directory, the variables a job could have set, kernels and job directories left."""
    import psutil

    from analysis.execution import worker

    me = psutil.Process()
    return {"cwd": os.getcwd(), "tmp": tempfile.gettempdir(), "env": {k: os.environ.get(k) for k in ("SANGAKU_ROOT", "SANGAKU_OUTPUT",
                                                                       "SANGAKU_DECLARED", "OMP_NUM_THREADS")},
            "children": [" ".join(p.cmdline()) for p in me.children(recursive=True)],
            "live": len(worker._LIVE), "warm": len(worker._WARM),
            "spaces": [str(p) for p in worker._SPACES.values()]}


@pytest.fixture(scope="module")
def cluster_client(tmp_path_factory):
    """One LocalCluster for the module (starting one takes seconds), its workers spawned elsewhere."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    # the workers' temporary folder of their own: what a job leaves there is theirs, not another test's run
    worker_tmp = tmp_path_factory.mktemp("dasktmp")
    tempfile.gettempdir()  # this process's own folder is decided (and cached) before $TMPDIR is changed
    with pytest.MonkeyPatch.context() as m:  # what the worker processes inherit when they are spawned
        for var in ("SANGAKU_ROOT", "SANGAKU_OUTPUT", "OMP_NUM_THREADS", "SANGAKU_READ_LOG"):
            m.delenv(var, raising=False)
        m.setenv("TMPDIR", str(worker_tmp))
        m.chdir(elsewhere)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=":0", silence_logs=40)
    client = distributed.Client(cluster)
    try:
        yield client, elsewhere, worker_tmp
    finally:
        client.close()
        cluster.close()


@pytest.fixture()
def project(tmp_path, monkeypatch, cluster_client) -> Path:
    root = nbfixtures.make_project(tmp_path / "proj")
    nbfixtures.write_notebook(root / "notebooks" / "fig_toy.ipynb", nbfixtures.fig_notebook(extra=WHERE))
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    monkeypatch.syspath_prepend(str(FIXTURES))
    return root


def test_a_local_cluster_runs_self_contained_jobs_caches_them_and_leaves_nothing(project, cluster_client):
    client, elsewhere, tmp = cluster_client
    before = client.run(_worker_state)
    assert len(before) == 2
    for state in before.values():  # the workers know nothing of the project
        assert state["cwd"] == str(elsewhere) and state["env"]["SANGAKU_ROOT"] is None
    out = paths.output_dir()
    ex = executors.DaskExecutor(client)
    first = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
    assert first.ok, [r.message for r in first.failed]
    assert sorted(r.name for r in first.ran) == ["fig_toy", EN, "hyp_toy"]

    # outputs came back and were written by the client: the processed data and the raw value, read in the kernel
    assert (out / "figures" / "fig_toy" / "fig_toy.csv").read_text() == "country,value\nJPN,3\nUSA,2\n"
    assert (out / "figures" / "fig_toy" / "fig_toy.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "runs" / EN / "fig_toy.png").is_file() and (out / "runs" / EN / "PARAMETERS.json").is_file()
    texts = {n: "".join("".join(o.get("text", "")) for c in json.loads((out / "notebooks" / f"{n}.ipynb").read_text())
                        ["cells"] for o in c.get("outputs", [])) for n in ("fig_toy", "hyp_toy")}
    assert "kernel project: own" in texts["fig_toy"], texts["fig_toy"]
    assert "raw value 3" in texts["hyp_toy"]

    # cached: a second run executes nothing
    again = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
    assert again.ran == [] and sorted(again.skipped) == ["fig_toy", EN, "hyp_toy"]
    # an edited input reaches the workers by its new content
    nbfixtures.set_processed(project, "country,value\nJPN,4\n")
    changed = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
    assert sorted(r.name for r in changed.ran) == ["fig_toy", EN]
    assert (out / "figures" / "fig_toy" / "fig_toy.csv").read_text() == "country,value\nJPN,4\n"
    ex.shutdown()

    # nothing left running, no variable set, no directory left on any worker
    after = client.run(_worker_state)
    for addr, state in after.items():
        assert state["children"] == [] and state["live"] == 0 and state["warm"] == 0 and state["spaces"] == []
        # (distributed itself sets OMP_NUM_THREADS=1 before it spawns a worker; the jobs set nothing)
        assert state["env"] == before[addr]["env"] and state["env"]["SANGAKU_DECLARED"] is None
    assert all(Path(state["tmp"]) == tmp for state in after.values())
    assert list(tmp.glob("sangaku-job-*")) == []


def test_a_failure_on_the_cluster_is_reported_with_its_kept_copy(project, cluster_client):
    client, _, _ = cluster_client
    nbfixtures.write_notebook(project / "notebooks" / "bad_toy.ipynb", nbfixtures.bad_notebook())
    s = pipeline.run(["bad_toy"], executor=executors.DaskExecutor(client), progress=_quiet)
    assert [r.name for r in s.failed] == ["bad_toy"]
    assert "boom: toy failure" in s.failed[0].message and s.failed[0].cell_index == 2
    kept = paths.output_dir() / "notebooks" / "failed" / "bad_toy.ipynb"
    assert s.failed[0].failed_path == str(kept) and "boom: toy failure" in kept.read_text()


def test_a_bad_dask_address_is_one_clear_error():
    with pytest.raises(executors.ExecutorError, match="expected 'local'"):
        with executors.open_executor("localhost"):
            pass


def test_the_command_line_starts_and_closes_its_own_local_cluster(project, capsys):
    import psutil

    def children() -> set[int]:
        return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}

    before = children()  # the module's cluster
    assert cli.main(["run", "hyp_toy", "-p", "lang", "en", "--dask", "local", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "[dask] LocalCluster with 1 worker(s) at tcp://127.0.0.1:" in out
    name = jobs.run_name("hyp_toy", {"lang": "en"})
    assert (paths.output_dir() / "runs" / name / "hyp_toy.csv").is_file()
    assert out.strip().splitlines()[-1].startswith(f"{name}: notebook ")
    assert children() == before  # its scheduler's workers and their kernels are gone
    # the same command again: cached, so no cluster is started at all
    assert cli.main(["run", "hyp_toy", "-p", "lang", "en", "--dask", "local", "--jobs", "1"]) == 0
    again = capsys.readouterr().out
    assert "[dask]" not in again and f"cached, not re-run (1): {name}" in again
