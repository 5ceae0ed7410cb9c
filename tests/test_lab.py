"""``./run.sh lab``: JupyterLab started the same way, headless on 127.0.0.1, serves every notebook with its kernel.

The server runs in its own process group with a token, a temporary runtime directory and a free local port; the
test reads /api/status, /api/contents and /api/kernelspecs, checks that the kernel every notebook names is listed
and runs this environment's Python, starts that kernel once through the server and runs code in it, loads /lab,
and always stops the server again. Nothing is requested outside 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.execution.layout import KERNEL_NAME
from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
START_TIMEOUT = 60.0
# The options ./run.sh lab passes (it adds --allow-root for root, as in containers), plus what keeps the test
# local: no update check, news feed or PyPI extension manager, and workspaces in the temporary directory.
LAB_ARGS = ["--notebook-dir", str(NOTEBOOKS), "--ip=127.0.0.1", "--no-browser",
            *(["--allow-root"] if os.geteuid() == 0 else [])]
QUIET_ARGS = ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
              "--LabApp.extension_manager=readonly"]


class Lab:
    """A running ``jupyter lab`` and a client for its REST API."""

    def __init__(self, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.proc = proc
        self.log = log

    def request(self, path: str, method: str = "GET", body: dict | None = None) -> tuple[int, bytes]:
        """Send one request with the token; return (status, body) also for HTTP errors."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, path: str, method: str = "GET", body: dict | None = None) -> dict | list:
        status, data = self.request(path, method, body)
        assert 200 <= status < 300, f"{method} {path}: HTTP {status}: {data[:300]!r}; server log {self.log}"
        return json.loads(data) if data else {}

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything in its process group: politely, then by force."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The leader may be gone while a child in its group lingers; make sure none is left.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TOKEN")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log = tmp / "jupyter-lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", *LAB_ARGS, f"--port={port}", "--port-retries=0",
             f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}", *QUIET_ARGS],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
            start_new_session=True)
    server = Lab(port, token, proc, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode} before answering:\n{server.log_tail()}")
            try:
                if server.request("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer /api/status within {START_TIMEOUT:.0f} s:\n"
                            f"{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        _stop(proc)


def _notebook_kernels() -> dict[str, str]:
    kernels = {}
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        spec = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {}).get("kernelspec", {})
        assert spec.get("name"), f"file {nb}: metadata.kernelspec.name missing"
        kernels[nb.name] = spec["name"]
    return kernels


def test_every_notebook_names_the_project_kernel():
    kernels = _notebook_kernels()
    assert len(kernels) >= 14, f"expected the 14 project notebooks in {NOTEBOOKS}, found {sorted(kernels)}"
    assert set(kernels.values()) == {KERNEL_NAME}, kernels


def test_server_lists_every_notebook(lab):
    listed = {item["name"] for item in lab.json("/api/contents/")["content"] if item["type"] == "notebook"}
    assert listed == set(_notebook_kernels())


def test_every_notebook_kernel_resolves_to_this_environment(lab):
    specs = lab.json("/api/kernelspecs")["kernelspecs"]
    for notebook, name in _notebook_kernels().items():
        assert name in specs, f"{notebook}: kernel {name!r} is not among the server's kernels {sorted(specs)}"
        argv = specs[name]["spec"]["argv"]
        # The kernel's interpreter must be this environment's: ask it for its sys.prefix and for the package.
        probe = subprocess.run([argv[0], "-c", "import sys, analysis; print(sys.prefix)"],
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0, f"{notebook}: kernel {name!r} runs {argv[0]}: {probe.stderr.strip()}"
        assert probe.stdout.strip() == sys.prefix, (
            f"{notebook}: kernel {name!r} runs {argv[0]} (prefix {probe.stdout.strip()}), "
            f"not this environment's Python {sys.executable}")


def _execute(lab: Lab, kernel_id: str, code: str) -> str:
    """Run code in a kernel over the server's websocket (Jupyter protocol 5.3, JSON frames); return its stdout."""
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{lab.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}"
                                     f"/channels?token={lab.token}", timeout=START_TIMEOUT, suppress_origin=True)
    try:
        msg_id, session = secrets.token_hex(8), secrets.token_hex(8)
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "session": session, "username": "test", "msg_type": "execute_request",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        # Output comes on iopub, the reply on shell, in no fixed order: done when both the reply and iopub's
        # "idle" for this request have arrived.
        out, replied, idle = [], False, False
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                pytest.fail(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            if replied and idle:
                return "".join(out)
        pytest.fail(f"no execute_reply within {START_TIMEOUT:.0f} s:\n{lab.log_tail()}")
    finally:
        ws.close()


def test_kernel_started_by_the_server_runs_in_this_environment(lab):
    kernel = lab.json("/api/kernels", "POST", {"name": KERNEL_NAME})
    try:
        out = _execute(lab, kernel["id"], "import sys, analysis; print(sys.prefix)")
        assert out.strip() == sys.prefix, f"kernel {KERNEL_NAME!r} runs in {out.strip()}, not in {sys.prefix}"
    finally:
        lab.request(f"/api/kernels/{kernel['id']}", "DELETE")


def test_lab_page_loads(lab):
    status, body = lab.request("/lab")
    assert status == 200, f"GET /lab: HTTP {status}"
    assert b"JupyterLab" in body
