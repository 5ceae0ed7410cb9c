"""nbval's runs of the committed notebooks, recorded for the read audit (tests/test_read_audit.py).

``./run.sh test`` re-executes every notebook under nbval, and the read audit needs every notebook executed with
its declared inputs enforced and a read log. One execution serves both: before nbval starts a committed notebook's
kernel, the plugin points ``$SANGAKU_DECLARED`` at the spec the runner's kernels get (built by the runner's own
``analysis.execution.jobs.declared_inputs``, so an undeclared read fails the cell as it would in a reproduce),
with a read log of that notebook in the run's shared temporary folder. When the notebook's last cell has been torn
down (its kernel stopped), ``<notebook>.done`` records whether every cell passed. The audit reads the logs of the
notebooks nbval ran completely in this session, waiting for those still running on another xdist worker; it
executes the others through the runner itself (a session without nbval, a notebook that failed under nbval).

One notebook, ``OUTPUT_ELSEWHERE``, runs with ``$SANGAKU_OUTPUT`` outside the checkout (``output_elsewhere()``),
so its printed output paths are absolute: tests/test_nbval_sanitize.py checks that this run passed, instead of
re-executing it under nbval a second time; the other notebooks print the checkout's ``output/…``.

nbval's kernels are forks of one template per pytest process (``TemplateKernels``), as the runner's kernels are:
the heavy imports are paid once per process instead of once per notebook; ``SANGAKU_NBVAL_FRESH_KERNELS=1``
gives each notebook a fresh interpreter instead.

The plugin is registered by tests/conftest.py (a conftest's hooks would only see items under tests/).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PLUGIN_NAME = "sangaku-nbval-audit"
OUTPUT_ELSEWHERE = "fig08_university_startups"


def run_shared_dir(config: pytest.Config) -> Path:
    """A folder shared by every process of this test run: pytest-N/ (the parent of each xdist worker's folder)."""
    base = config._tmp_path_factory.getbasetemp()  # noqa: SLF001 - the attribute pytest keeps for plugins
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def reads_dir(config: pytest.Config) -> Path:
    """Where nbval's kernels write ``<notebook>.jsonl`` (their read log) and ``<notebook>.done``."""
    folder = run_shared_dir(config) / "nbval_reads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def output_elsewhere(config: pytest.Config) -> Path:
    """``$SANGAKU_OUTPUT`` of the nbval run of ``OUTPUT_ELSEWHERE``: outside the checkout."""
    return run_shared_dir(config) / "output_elsewhere"


def committed_notebook(item: pytest.Item) -> str | None:
    """The name of the committed notebook (notebooks/NAME.ipynb) whose cell ``item`` is under nbval, else None."""
    parent = item.parent
    if not hasattr(parent, "kernel") or not hasattr(item, "cell_num"):
        return None
    path = Path(str(parent.fspath)).resolve()
    return path.stem if path.suffix == ".ipynb" and path.parent == NOTEBOOKS else None



class TemplateKernels:
    """nbval's kernels forked from a template (``analysis.execution.template``), as the runner's are: this process
    starts one template (the heavy imports once), and each committed notebook's kernel is a fork of it, a clean
    kernel with nothing executed, instead of a fresh interpreter importing them again (1.5-2 s a notebook). While
    nbval starts a kernel, ``$JUPYTER_PATH`` puts first a kernelspec ``sangaku`` whose command is the template's
    launcher; other tests' kernels are untouched (the template is not in the runner's ``template.RUNNING``).
    ``SANGAKU_NBVAL_FRESH_KERNELS=1`` gives nbval fresh kernels."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.proc, self.sock = folder, None, ""

    def start(self) -> None:
        import subprocess
        import sys
        import uuid

        if self.proc is not None or os.environ.get("SANGAKU_NBVAL_FRESH_KERNELS") == "1":
            return
        from analysis.execution import layout, template

        self.sock = str(Path("/tmp") / f"sangaku-nbval-template-{uuid.uuid4().hex[:16]}")
        # Started as the runner starts it (the file as a script): it imports no ``analysis`` module, so each fork
        # imports (and its read log records) every ``analysis`` module as a fresh kernel does.
        self.proc = subprocess.Popen([sys.executable, "-c", template.RUN_AS_SCRIPT, template.__file__, "serve",
                                      self.sock, str(os.getpid())], start_new_session=True, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spec = self.folder / "kernels" / layout.KERNEL_NAME / "kernel.json"
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(json.dumps({"argv": [sys.executable, "-I", "-S", template.__file__, "launch", self.sock,
                                             "-f", "{connection_file}"],
                                    "display_name": "Python (sangaku)", "language": "python"}), encoding="utf-8")

    def jupyter_path(self, timeout: float = 60.0) -> str | None:
        """``$JUPYTER_PATH`` for a kernel forked from the template once it is ready; None (a fresh kernel, now and
        for the next notebooks) when there is no template or it failed or did not get ready within ``timeout``."""
        if self.proc is None:
            return None
        deadline = time.monotonic() + timeout
        while not Path(self.sock + ".ready").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                return None
            time.sleep(0.02)
        return os.pathsep.join(p for p in (str(self.folder), os.environ.get("JUPYTER_PATH", "")) if p)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no kernel forked from the template is left (one exits within 0.2 s of its launcher, which
        nbval kills): a test that compares this process's children before and after sees no kernel ending."""
        if self.proc is None or self.proc.poll() is not None:
            return
        import psutil

        deadline = time.monotonic() + timeout
        try:
            while psutil.Process(self.proc.pid).children() and time.monotonic() < deadline:
                time.sleep(0.02)
        except psutil.Error:
            pass

    def stop(self) -> None:
        if self.proc is not None:
            import signal
            import subprocess

            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):  # already gone
                pass
            for f in (self.sock, self.sock + ".ready"):
                Path(f).unlink(missing_ok=True)
            self.proc = None


class NbvalAudit:
    """The hooks (global, unlike a conftest's): declared inputs and a read log for each committed notebook."""

    def __init__(self) -> None:
        self.complete: set[str] = set()  # notebooks whose every code cell nbval executes in this session
        self.failed: set[str] = set()  # notebooks with a failed cell (in this process)
        self.templates: TemplateKernels | None = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.templates is not None:
            self.templates.stop()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        cells: dict[str, set[int]] = {}
        parents = {}
        for item in session.items:
            name = committed_notebook(item)
            if name is not None:
                cells.setdefault(name, set()).add(item.cell_num)
                parents[name] = item.parent
        for name, nums in cells.items():
            if nums == set(range(sum(c.cell_type == "code" for c in parents[name].nb.cells))):
                self.complete.add(name)
        if cells:  # the template imports while the first tests run
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            self.templates = TemplateKernels(run_shared_dir(session.config) / f"nbval_kernels_{worker}")
            self.templates.start()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        name = committed_notebook(item)
        if name is None or item.parent.kernel is not None:  # not nbval's, or its kernel already runs
            yield
            return
        from analysis import inputs
        from analysis.execution import jobs, specs

        folder = reads_dir(item.config)
        for stale in (folder / f"{name}.jsonl", folder / f"{name}.done"):
            stale.unlink(missing_ok=True)
        try:
            nb = specs.load_notebook(NOTEBOOKS / f"{name}.ipynb", specs.load_specs(NOTEBOOKS / "notebooks.toml"))
            declared = {**jobs.declared_inputs(nb, {}), "read_log": str(folder / f"{name}.jsonl")}
        except Exception:  # noqa: BLE001 - a bad spec fails the audit (and the cache rules), not every cell:
            declared = None  # plain nbval; without a read log the audit runs the notebook itself and names the error
        if declared is None:
            yield
            return
        spec_file = folder / f"{name}.declared.json"
        spec_file.write_text(json.dumps(declared, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        env = {inputs.ENV_DECLARED: str(spec_file)}
        forked = self.templates.jupyter_path() if self.templates is not None else None
        if forked is not None:
            env["JUPYTER_PATH"] = forked
        if name == OUTPUT_ELSEWHERE:
            env["SANGAKU_OUTPUT"] = str(output_elsewhere(item.config))
        before = {var: os.environ.get(var) for var in env}
        os.environ.update(env)  # the kernel nbval starts now inherits them
        try:
            yield
        finally:
            for var, value in before.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path, _, cell = report.nodeid.partition("::")
        if report.failed and cell and path.startswith("notebooks/") and path.endswith(".ipynb"):
            self.failed.add(Path(path).stem)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None):
        yield
        name = committed_notebook(item)
        if name is None or (nextitem is not None and nextitem.parent is item.parent):
            return
        if self.templates is not None:
            self.templates.wait_idle()
        done = reads_dir(item.config) / f"{name}.done"
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps({"passed": name not in self.failed}), encoding="utf-8")
        os.replace(tmp, done)


def register(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(NbvalAudit(), PLUGIN_NAME)


def outcomes(config: pytest.Config, names: set[str], timeout: float = 1800.0) -> dict[str, bool]:
    """Whether every cell passed, for each of ``names`` that nbval runs completely in this session, waiting (up to
    ``timeout`` seconds) for those still running in another worker. Notebooks nbval does not run in this session,
    or whose run never finished, are left out: the caller executes them itself."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        return {}
    folder = reads_dir(config)
    pending = set(names) & plugin.complete
    done: dict[str, bool] = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            if (folder / f"{name}.done").exists():
                pending.discard(name)
                done[name] = json.loads((folder / f"{name}.done").read_text(encoding="utf-8"))["passed"]
        if pending:
            time.sleep(0.5)
    return done


def recorded_runs(config: pytest.Config, names: set[str], timeout: float = 1800.0) -> dict[str, list[dict]]:
    """The read-log records of each of ``names`` that nbval ran completely and passed in this session (see
    ``outcomes``); the others are left out."""
    folder = reads_dir(config)
    return {name: [json.loads(line) for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
            for name, passed in outcomes(config, names, timeout).items()
            if passed and (folder / f"{name}.jsonl").exists()}
