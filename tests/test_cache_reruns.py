"""End to end on the fixture project: edited inputs re-run exactly the affected notebooks and show the new
values; undeclared reads fail with the line to add; one run at a time; interrupted and killed runs leave
nothing running."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from analysis import cli, paths
from analysis.execution import jobs, pipeline

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402


def _quiet(msg: str) -> None:
    pass


def _outputs(name: str) -> str:
    nb = json.loads((paths.output_dir() / "notebooks" / f"{name}.ipynb").read_text())
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def test_a_raw_file_read_directly_reruns_its_notebook_with_the_new_value(project):
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
        assert "raw value 3" in _outputs("hyp_toy")
        (project / "data" / "raw" / "toy_source" / "toy.csv").write_text("country,value\nJPN,7\n")
        msgs: list[str] = []
        s = pipeline.reproduce(data=False, site=False, executor=ex, progress=msgs.append)
    assert [r.name for r in s.ran] == ["hyp_toy"] and s.skipped == ["fig_toy", jobs.run_name("fig_toy", {"lang": "en"})]
    assert "  queued hyp_toy (input raw:toy_source/toy.csv changed)" in msgs
    assert "raw value 7" in _outputs("hyp_toy")


def test_a_file_parameter_is_keyed_by_its_content(project, tmp_path, monkeypatch):
    user = tmp_path / "work" / "my.csv"
    user.parent.mkdir()
    user.write_text("USER,1\n")
    monkeypatch.chdir(user.parent)  # a relative path is taken from the working directory
    with cf.ThreadPoolExecutor(max_workers=1) as ex:
        first = pipeline.run(["fig_toy"], {"user_file": "my.csv"}, executor=ex, progress=_quiet)
        name = first.ran[0].name
        folder = paths.output_dir() / "runs" / name
        assert (folder / "fig_toy.csv").read_text().endswith("USER,1\n")
        assert pipeline.run(["fig_toy"], {"user_file": "my.csv"}, executor=ex, progress=_quiet).skipped == [name]
        user.write_text("USER,2\n")
        msgs: list[str] = []
        again = pipeline.run(["fig_toy"], {"user_file": "my.csv"}, executor=ex, progress=msgs.append)
    assert [r.name for r in again.ran] == [name]
    assert f"  queued {name} (input file:user_file changed)" in msgs
    assert (folder / "fig_toy.csv").read_text().endswith("USER,2\n")
    record = json.loads((folder / "PARAMETERS.json").read_text())
    assert record["parameters"]["user_file"] == str(user) and record["notebook"] == "fig_toy"


def test_a_missing_file_parameter_is_rejected_before_any_kernel(project, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "fig_toy", "-p", "user_file", "nope.csv"]) == 2
    err = capsys.readouterr().err
    assert "parameter user_file='nope.csv'" in err and str(tmp_path / "nope.csv") in err
    assert not (paths.output_dir() / "runs").exists()


def test_an_undeclared_read_fails_with_the_line_to_add(project):
    nb = nbfixtures.hyp_notebook()
    nbfixtures.write_notebook(project / "notebooks" / "sneaky_toy.ipynb", nb)  # declared: reads nothing
    with cf.ThreadPoolExecutor(max_workers=1) as ex:
        s = pipeline.run(["sneaky_toy"], executor=ex, progress=_quiet)
    assert not s.ok
    msg = s.failed[0].message
    assert "UndeclaredInputError" in msg and "toy_source/toy.csv" in msg
    assert "add it as a dependency" in msg and "[sneaky_toy]" in msg


def test_one_run_at_a_time_and_stale_temporaries_are_cleaned(project, capsys):
    out = paths.output_dir()
    stale = out / "notebooks" / ".fig_toy.123.456.running.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    with pipeline.output_lock():
        assert not stale.exists()
        assert cli.main(["reproduce", "--no-data", "--no-site"]) == 2
        err = capsys.readouterr().err
        assert "another analysis run is writing" in err and f"pid {os.getpid()}" in err
    assert cli.main(["reproduce", "--no-data", "--no-site", "--jobs", "1"]) == 0


def test_an_output_folder_that_cannot_be_written_is_one_line_before_data_are_built(project, tmp_path,
                                                                                     monkeypatch, capsys):
    from analysis import build

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SANGAKU_OUTPUT", str(blocker / "output"))
    monkeypatch.setattr(build, "build", lambda **k: pytest.fail("data were built before the output check"))
    assert cli.main(["reproduce"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not writable" in err[0] and "SANGAKU_OUTPUT" in err[0]


# ----------------------------------------------------------------------------- interrupts and kills


def _slow_project(root: Path, pid_file: Path) -> None:
    nb = nbfixtures.bad_notebook()
    nb.cells[2].source = (f"import os, time\nopen({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')\n"
                          "time.sleep(120)")
    nbfixtures.write_notebook(root / "notebooks" / "slow_toy.ipynb", nb)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _start(project: Path, pid_file: Path) -> tuple[subprocess.Popen, int, int]:
    env = {**os.environ, "SANGAKU_ROOT": str(project), "PYTHONPATH": str(FIXTURES)}
    env.pop("SANGAKU_OUTPUT", None)
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "run", "slow_toy", "--jobs", "1", "--force"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the slow notebook never started"
        time.sleep(0.2)
    kernel, worker = map(int, pid_file.read_text().split())
    return proc, kernel, worker


def _gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if _alive(p)]


def test_ctrl_c_stops_workers_and_kernels_and_says_what_finished(project, tmp_path):
    pid_file = tmp_path / "pids"
    _slow_project(project, pid_file)
    proc, kernel, worker = _start(project, pid_file)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground group on Ctrl-C
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert time.monotonic() - t0 < 15
    assert "interrupted:" in out and "not finished (slow_toy)" in out, out
    assert "Traceback" not in out, out
    assert _gone([kernel, worker], 10) == []
    assert not list((paths.output_dir()).rglob("*.running.ipynb"))


def test_a_killed_run_leaves_no_worker_or_kernel_behind(project, tmp_path):
    pid_file = tmp_path / "pids"
    _slow_project(project, pid_file)
    proc, kernel, worker = _start(project, pid_file)
    proc.kill()  # SIGKILL: no handler runs in the parent
    proc.communicate(timeout=30)
    assert _gone([kernel, worker], 15) == []


def test_a_run_prints_progress_and_results_not_transport_warnings(project):
    env = {**os.environ, "SANGAKU_ROOT": str(project), "PYTHONPATH": str(FIXTURES)}
    env.pop("SANGAKU_OUTPUT", None)
    out = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "hyp_toy", "-p", "lang", "en", "--jobs", "1"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stdout + out.stderr and "without encryption" not in out.stdout + out.stderr
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("hyp_toy__") and "figures and tables in " in last, last
    folder = Path(last.rsplit("figures and tables in ", 1)[1])
    assert (folder / "hyp_toy.csv").is_file() and (folder / "PARAMETERS.json").is_file()
