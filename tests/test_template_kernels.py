"""Template kernels: after a worker's template has imported the heavy modules once, each kernel is a fork of it —
faster, yet a clean kernel whose executed notebook and files are byte-identical to those of a fresh kernel, and
nothing is left running afterwards. Uses the matplotlib version of the fixture figure."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
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
TEMPLATE_FILE = "analysis/execution/template.py"  # templates and launchers run the file as a script


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
    left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)]
    # the runner's templates and their launchers name their socket so (nbval's own template, started by this
    # pytest process when it re-executes notebooks, has another name and stays)
    assert [c for c in left if "sangaku-template-" in c or "ipykernel" in c] == []
    assert worker._TEMPLATES == {}
    assert not Path(sock).exists() and worker._SPACES == {}


# A fixture notebook that waits (in its kernel) until its worker's template is ready, so that the kernels started
# after it are forks of the template.
WAIT_FOR_TEMPLATE = '''
import os, time
from pathlib import Path
import psutil
worker_pid = os.getppid()
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    cmds = [p.cmdline() for p in psutil.Process(worker_pid).children()]
    socks = [c[c.index("serve") + 1] for c in cmds if "serve" in c]
    if socks and Path(socks[0] + ".ready").exists():
        break
    time.sleep(0.2)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_ctrl_c_stops_forked_kernels_and_the_template(project, tmp_path):
    waiting = nbfixtures.hyp_notebook()
    waiting.cells[-1].source += WAIT_FOR_TEMPLATE
    nbfixtures.write_notebook(project / "notebooks" / "a_wait.ipynb", waiting)
    for name in ("a_wait", "b_fast", "c_fast"):
        if name != "a_wait":
            nbfixtures.write_notebook(project / "notebooks" / f"{name}.ipynb", nbfixtures.hyp_notebook())
        nbfixtures.write_spec(project, name, {"kind": "hypothesis", "outputs": f"tables/{name}",
                                              "raw": ["toy_source/toy.csv"]})
    pid_file = tmp_path / "pids"
    slow = nbfixtures.bad_notebook()
    slow.cells[2].source = (f"import os, time\nopen({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} "
                            "{os.getppid()}')\ntime.sleep(120)")
    nbfixtures.write_notebook(project / "notebooks" / "z_slow.ipynb", slow)
    env = {**os.environ, "SANGAKU_ROOT": str(project), "PYTHONPATH": str(FIXTURES)}
    env.pop("SANGAKU_OUTPUT", None)
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "run", "a_wait", "b_fast", "c_fast", "z_slow",
                             "--jobs", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the slow notebook never started"
        time.sleep(0.2)
    kernel, template = map(int, pid_file.read_text().split())
    assert TEMPLATE_FILE in " ".join(psutil.Process(template).cmdline())  # a forked kernel
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "not finished (z_slow)" in out, out
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (_alive(kernel) or _alive(template)):
        time.sleep(0.2)
    assert not _alive(kernel) and not _alive(template)


def test_a_task_waits_for_a_template_that_is_starting_and_its_kernel_is_a_fork(project):
    """The runner's pool starts each worker's template with the worker (``init_pool_worker``); the first task
    then waits for its imports instead of starting a kernel that imports them again."""
    ctx = cache.Context.current()
    [job] = pipeline.plan(["fig_toy"], [{"n": 4}])
    fresh = _run(job, ctx, prewarm=False)
    worker.start_template(dict(job.env))
    [(proc, sock)] = worker._TEMPLATES.values()
    worker.start_template(dict(job.env))  # one per environment
    assert list(worker._TEMPLATES.values()) == [(proc, sock)]
    forked = _run(job, ctx, prewarm=False)  # no wait of its own: the task waits for the template
    assert f"kernel parent {proc.pid}\n" in _printed(forked)
    strip = lambda text: re.sub(r"kernel parent \d+", "", text)  # noqa: E731
    assert strip(forked.notebook) == strip(fresh.notebook) and forked.files == fresh.files


def test_a_failed_template_gives_a_kernel_of_its_own(project):
    ctx = cache.Context.current()
    [job] = pipeline.plan(["fig_toy"], [{"n": 4}])
    worker.start_template(dict(job.env))
    [(proc, sock)] = worker._TEMPLATES.values()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    res = _run(job, ctx, prewarm=False)
    assert f"kernel parent {proc.pid}\n" not in _printed(res) and "kernel parent" in _printed(res)


def test_kernel_clients_are_ready_connected_and_closed_with_their_kernel(project):
    """The ready client sees the kernel's output (IOPub connected when it returns), raises when the kernel has
    died, and every client a manager handed out is closed when its kernel stops: many notebooks in one worker
    leave no thread behind."""
    from jupyter_core.utils import run_sync

    [job] = pipeline.plan(["fig_toy"], [{"n": 4}])
    task, _ = delivery.pack(job, cache.Context.current(), embed=False)
    ws = worker._workspace()
    (ws / ".declared.json").write_text(json.dumps(task.declared))
    km = worker._start_kernel(task, ws)
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=120)
    seen: list[str] = []
    reply = run_sync(kc.execute_interactive)("print('from the kernel')", timeout=60, output_hook=lambda m: (
        seen.append(m["content"]["text"]) if m["msg_type"] == "stream" else None))
    assert reply["content"]["status"] == "ok" and seen == ["from the kernel\n"]
    worker._stop_kernel(km)
    assert not kc.channels_running and kc.context.closed and km.handed_out == []
    dead = km.client()
    dead.start_channels()
    with pytest.raises(RuntimeError, match="died before replying"):
        run_sync(dead.wait_for_ready)(timeout=30)
    dead.stop_channels()
    ctx = cache.Context.current()
    _run(job, ctx, prewarm=False)
    threads = len(psutil.Process().threads())
    for _ in range(3):
        _run(job, ctx, prewarm=False)
    assert len(psutil.Process().threads()) <= threads


def test_a_template_whose_worker_is_gone_exits_at_once(tmp_path):
    """A worker killed while its template starts (a pool stopped by a failing validate hook) leaves none behind:
    the template checks that its parent is still the worker that started it."""
    sock = str(tmp_path / "template")
    res = subprocess.run([sys.executable, "-m", "analysis.execution.template", "serve", sock, "1"], timeout=120)
    assert res.returncode == 0 and not Path(sock).exists() and not Path(sock + ".ready").exists()


PRELOADED = ("import sys\nprint('preloaded analysis modules:', "
             "sorted(m for m in sys.modules if m == 'analysis' or m.startswith('analysis.')))\n")


def test_a_forked_kernel_has_no_analysis_module_before_the_notebook_imports_one(project):
    """The template imports third-party modules only: a notebook's ``import analysis...`` runs our code afresh
    (as edited since the template started) and is seen by the read audit."""
    from nbformat.v4 import new_code_cell

    nb = nbfixtures.fig_notebook(extra=PARENT)
    nb.cells.insert(1, new_code_cell(PRELOADED))
    nbfixtures.write_notebook(project / "notebooks" / "fig_toy.ipynb", nb)
    ctx = cache.Context.current()
    [job] = pipeline.plan(["fig_toy"], [{"n": 5}])
    worker.start_template(dict(job.env))
    [(proc, _)] = worker._TEMPLATES.values()
    printed = _printed(_run(job, ctx, prewarm=False))  # waits for the template, then runs in a fork of it
    assert f"kernel parent {proc.pid}\n" in printed
    assert "preloaded analysis modules: []\n" in printed
