"""Warm kernels (``analysis warm``): a real notebook run on the warm server is byte-identical to the cold path,
a server refuses (and exits) once the package it loaded changed on disk, refuses another environment, exits
when idle, lets in only a client with its key, runs the validate hooks with the same ParameterError before any
kernel starts, and a client that goes away cancels its own jobs, not the server. Every server started here is
stopped in a ``finally``."""

from __future__ import annotations

import copy
import json
import multiprocessing.connection as mpc
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from analysis import cli, paths
from analysis.errors import ParameterError
from analysis.execution import cache, delivery, pipeline, warm, worker
from analysis.execution import warm_identity as ident
from analysis.execution.jobs import make_job
from analysis.execution.specs import load_notebook, resolve_notebooks

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SRC = Path(__file__).resolve().parents[1] / "src"
FIG01 = "fig01_business_researchers_index"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait(cond, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _kill_server(folder: Path) -> None:
    """The ``finally`` of every test: stop the server of ``folder`` whatever state it is in."""
    try:
        pid = int(json.loads((folder / "server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return
    try:
        warm.stop()
    except Exception:
        pass
    if _alive(pid):
        os.kill(pid, 9)


@pytest.fixture(scope="module")
def real_output():
    """A short output folder of its own for the real project (the socket path must stay short)."""
    out = tempfile.mkdtemp(prefix="sw-")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_OUTPUT", out)
        mp.delenv(warm.ENV_DISABLE, raising=False)
        yield Path(out)
        _kill_server(Path(out) / ".cache" / "warm")
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def real_server(real_output):
    """One warm server (one worker) for the real project, shared by the tests below: the one the first test
    started (``warm.start`` keeps a current server), else a new one; stopped with ``real_output``."""
    folder = real_output / ".cache" / "warm"
    try:
        info = warm.start(1, 10, progress=lambda m: None)
        yield info
    finally:
        _kill_server(folder)


def _outputs(out_name: str) -> dict[str, bytes]:
    nb = paths.output_dir() / "runs" / f"{out_name}.ipynb"
    folder = paths.output_dir() / "runs" / out_name
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"notebook": nb.read_bytes(), **files}


def test_warm_run_is_byte_identical_to_the_cold_run(real_output, capsys):
    [job] = pipeline.plan([FIG01], [{"base_year": 2016}])
    assert warm.attach(progress=lambda m: None) is None  # no server yet: the cold path
    assert cli.main(["run", FIG01, "-p", "base_year", "2016"]) == 0
    cold = _outputs(job.out_name)
    assert "warm:" not in capsys.readouterr().out
    assert any(name.endswith(".png") for name in cold) and any(name.endswith(".csv") for name in cold)
    try:
        warm.start(1, 10, progress=lambda m: None)  # the module's server: ``real_server`` finds it running
        assert cli.main(["run", FIG01, "-p", "base_year", "2016", "--force"]) == 0
        out = capsys.readouterr().out
        assert "warm: running on the warm server" in out and "on WarmExecutor" in out
        hot = _outputs(job.out_name)
        assert sorted(hot) == sorted(cold)
        for name in cold:
            assert hot[name] == cold[name], f"{name} differs between the warm and the cold run"
        rec = cache.read_record(cache.record_path(job.out_name))
        assert rec["key"] == job.key.digest  # recorded by the client as after a cold run
        info, reasons = warm.status()
        assert reasons == [] and info["done"] >= 1
    except BaseException:
        _kill_server(real_output / ".cache" / "warm")  # the next tests start a server of their own
        raise


def test_private_files_and_a_wrong_key_is_refused(real_server):
    folder = ident.folder()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(ident.key_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(ident.socket_path().stat().st_mode) == 0o600
    with pytest.raises(mpc.AuthenticationError):
        mpc.Client(str(ident.socket_path()), family="AF_UNIX", authkey=b"x" * 32)
    info, reasons = warm.status()  # still serving a client with the key
    assert info["pid"] == real_server["pid"] and reasons == []
    os.chmod(ident.key_path(), 0o644)
    try:
        with pytest.raises(ident.WarmError, match="not private"):
            warm.connect()
    finally:
        os.chmod(ident.key_path(), 0o600)


def test_status_names_the_server_and_says_current(real_server, capsys):
    assert cli.main(["warm", "status"]) == 0
    out = capsys.readouterr().out
    assert f"server pid {real_server['pid']}" in out and "current" in out and "1 workers (1 ready)" in out


def test_a_failing_validate_hook_gives_the_same_error_before_any_kernel(real_server, capsys):
    done = warm.status()[0]["done"]
    assert cli.main(["run", FIG01, "-p", "base_year", "2010"]) == 2
    err = capsys.readouterr().err
    assert "parameter base_year=2010" in err and "valid choices: 2011" in err
    [job] = pipeline.plan([FIG01], [{"base_year": 2010}])
    ex = warm.attach(progress=lambda m: None)
    try:
        with pytest.raises(ParameterError) as remote:
            ex.check_hooks([job])
    finally:
        ex.shutdown()
    with pytest.raises(ParameterError) as local:
        pipeline.hook_check({FIG01: load_notebook(resolve_notebooks([FIG01])[0])})([job])
    assert str(remote.value) == str(local.value) and remote.value.name == local.value.name == "base_year"
    assert remote.value.choices == local.value.choices
    assert warm.status()[0]["done"] == done  # nothing was executed


def test_another_environment_is_refused_and_the_server_stays(real_server, monkeypatch, capsys):
    monkeypatch.setenv("SANGAKU_VINTAGES", "oecd_msti=2025-03")  # as `--vintage` sets it
    assert warm.attach() is None
    assert "was started in another environment (environment: SANGAKU_VINTAGES)" in capsys.readouterr().out
    assert _alive(real_server["pid"])
    monkeypatch.delenv("SANGAKU_VINTAGES")
    assert warm.status()[1] == []


def test_a_client_that_goes_away_cancels_its_job_not_the_server(real_server):
    ctx = cache.Context.current()
    nb = load_notebook(resolve_notebooks([FIG01])[0])
    job = make_job(nb, {"base_year": 2013}, ctx)
    ex = warm.attach(progress=lambda m: None)
    fut = ex.submit(worker.execute_job, *delivery.pack(job, ctx, embed=False))
    _wait(lambda: warm.status()[0]["running"] == 1, 30, "the job to start")
    ex.shutdown()  # as after Ctrl-C: the job is cancelled on the server
    _wait(lambda: warm.status()[0]["running"] == 0, 30, "the job to be cancelled")
    assert fut.cancelled()
    info = warm.status()[0]
    assert info["pid"] == real_server["pid"] and _alive(info["pid"])
    _wait(lambda: warm.status()[0]["ready"] == 1, 120, "a replacement worker")
    assert not (paths.output_dir() / "runs" / f"{job.out_name}.ipynb").exists()


def test_the_server_exits_when_idle(monkeypatch):
    out = Path(tempfile.mkdtemp(prefix="sw-"))
    monkeypatch.setenv("SANGAKU_OUTPUT", str(out))
    folder = out / ".cache" / "warm"
    try:
        info = warm.start(1, 0.01, progress=lambda m: None)  # 0.6 s once its worker is ready
        _wait(lambda: not _alive(info["pid"]), 60, "the idle server to exit")
        assert not ident.socket_path().exists() and not ident.key_path().exists()
        assert warm.attach() is None
    finally:
        _kill_server(folder)
        shutil.rmtree(out, ignore_errors=True)


def test_a_server_refuses_and_exits_once_its_package_changed_on_disk(tmp_path):
    """The server and its clients load a copy of the package; editing one module of the copy makes the next
    command refuse the server (which exits) and run without it."""
    src = tmp_path / "src"
    shutil.copytree(SRC / "analysis", src / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    out = Path(tempfile.mkdtemp(prefix="sw-"))
    env = {**os.environ, "PYTHONPATH": str(src), "SANGAKU_ROOT": str(SRC.parent), "SANGAKU_OUTPUT": str(out)}
    env.pop(warm.ENV_DISABLE, None)

    def analysis(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "analysis.cli", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    # one interpreter per step: `analysis warm status` (its exit code and text), then what the next command does
    probe = ("import contextlib, io\nfrom analysis import cli\nfrom analysis.execution import warm\n"
             "import analysis\nprint(analysis.__file__)\nbuf = io.StringIO()\n"
             "with contextlib.redirect_stdout(buf):\n    code = cli.main(['warm', 'status'])\n"
             "print('status', code, buf.getvalue().replace(chr(10), ' '))\nprint(warm.attach() is not None)\n")

    def step() -> list[str]:
        used = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
        assert used.returncode == 0, used.stderr
        return used.stdout.splitlines()

    pid = None
    try:
        started = analysis("warm", "start", "--jobs", "1")
        assert started.returncode == 0, started.stderr
        pid = int(json.loads((out / ".cache" / "warm" / "server.json").read_text())["pid"])
        lines = step()
        assert lines[0].startswith(str(src))  # the copy's package
        assert lines[1].startswith("status 0 ") and "current" in lines[1], lines
        assert lines[-1] == "True"
        labels = src / "analysis" / "labels.py"
        labels.write_text(labels.read_text() + "\n# edited after the server started\n")
        lines = step()
        assert lines[1].startswith("status 1 ") and "OUT OF DATE (package files: labels.py)" in lines[1], lines
        assert any("is out of date and exits (package files: labels.py); running without it" in line
                   for line in lines[2:]), lines
        assert lines[-1] == "False"
        _wait(lambda: not _alive(pid), 30, "the stale server to exit")
    finally:
        if pid is None or _alive(pid):  # a failed step: stop it as a user would, then make sure
            subprocess.run([sys.executable, "-m", "analysis.cli", "warm", "stop"], env=env, capture_output=True)
        try:
            pid = int(json.loads((out / ".cache" / "warm" / "server.json").read_text())["pid"])
            if _alive(pid):
                os.kill(pid, 9)
        except (OSError, ValueError, KeyError):
            pass
        shutil.rmtree(out, ignore_errors=True)


def test_the_primed_kernel_environment_is_the_one_jobs_get(monkeypatch):
    nb = load_notebook(resolve_notebooks([FIG01])[0])
    ctx = cache.Context.current()
    for value in (None, "4"):
        if value is None:
            monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        else:
            monkeypatch.setenv("OMP_NUM_THREADS", value)
        assert ident.kernel_env() == make_job(nb, {"base_year": 2015}, ctx).env


def test_differences_say_what_changed_and_which_are_stale():
    fp = {"package files": {"a.py": "1", "b.toml": "2"}, "environment": {"HOME": "/h"}, "kernel spec": "k"}
    other = copy.deepcopy(fp)
    assert ident.differences(fp, other) == []
    other["environment"]["SANGAKU_VINTAGES"] = "msti=2025-03"
    assert ident.differences(fp, other) == ["environment: SANGAKU_VINTAGES"]
    assert not ident.is_stale(ident.differences(fp, other))
    other["package files"]["b.toml"] = "3"
    other["kernel spec"] = "k2"
    reasons = ident.differences(fp, other)
    assert reasons == ["environment: SANGAKU_VINTAGES", "kernel spec differs", "package files: b.toml"]
    assert ident.is_stale(reasons)
