"""No code path opens a network connection; two builds give byte-identical processed files and figures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import build, paths, plotting
from tests.conftest import ROOT

GUARD = textwrap.dedent('''
    import os, socket
    _log = os.environ["SANGAKU_NET_LOG"]
    _orig_connect = socket.socket.connect
    _orig_connect_ex = socket.socket.connect_ex

    def _allowed(address):
        if isinstance(address, (str, bytes)):  # AF_UNIX
            return True
        host = address[0]
        return host in ("127.0.0.1", "::1", "localhost") or str(host).startswith("127.")

    def _guard(self, address, _orig):
        if not _allowed(address):
            with open(_log, "a") as fh:
                fh.write(f"{os.getpid()} {address!r}\\n")
            raise OSError("network access blocked by the offline test")
        return _orig(self, address)

    socket.socket.connect = lambda self, a: _guard(self, a, _orig_connect)
    socket.socket.connect_ex = lambda self, a: _guard(self, a, _orig_connect_ex)
''')


def _offline_env(tmp_path: Path) -> tuple[dict, Path, Path]:
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(ROOT / "data" / "raw")
    env = dict(os.environ, PYTHONPATH=f"{guard_dir}{os.pathsep}{ROOT / 'src'}", SANGAKU_NET_LOG=str(log),
               SANGAKU_ROOT=str(root), SANGAKU_OUTPUT=str(tmp_path / "output"))
    return env, log, root


@pytest.fixture()
def offline_env(tmp_path):
    return _offline_env(tmp_path)


@pytest.fixture(scope="module")
def offline_build(tmp_path_factory):
    """``analysis data`` run once under the socket guard into a scratch project: the offline test runs a notebook
    on it, and the determinism test compares it with a second build (one full build fewer than two per test)."""
    env, log, root = _offline_env(tmp_path_factory.mktemp("offline"))
    subprocess.run([sys.executable, "-m", "analysis.cli", "data"], env=env, check=True, capture_output=True)
    return env, log, root


def test_guard_blocks_and_records_a_real_attempt(offline_env):
    env, log, _ = offline_env
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "blocked by the offline test" in out.stdout
    assert "192.0.2.1" in log.read_text()


def test_data_build_and_a_notebook_run_offline(offline_build):
    env, log, root = offline_build
    assert (root / "data" / "processed" / "oecd_msti.parquet").exists()
    (root / "notebooks").mkdir()
    for name in ("fig01_business_researchers_index.ipynb", "notebooks.toml"):
        shutil.copy(ROOT / "notebooks" / name, root / "notebooks" / name)
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    # through the runner, as a user would: kernel on IPC sockets, so nothing but AF_UNIX is needed
    out = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "fig01", "--jobs", "1"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (Path(env["SANGAKU_OUTPUT"]) / "figures" / "fig01_business_researchers_index").is_dir()
    assert not log.exists(), f"network connections attempted: {log.read_text()}"


def _same_build(a: Path, b: Path) -> bool:
    """Whether ``a`` holds the build of ``b``: the same BUILD.json and byte-identical files."""
    try:
        ja, jb = json.loads((a / "BUILD.json").read_text()), json.loads((b / "BUILD.json").read_text())
        return ja == jb and all((a / name).read_bytes() == (b / name).read_bytes() for name in jb["outputs"])
    except (OSError, ValueError, KeyError):
        return False


def test_two_builds_are_byte_identical(offline_build, tmp_path):
    """Two builds in two processes agree: the command-line build of the offline test and the project's
    data/processed (``./run.sh test`` builds it first, in another process). When those differ (the project's
    build may be older than the code or raw files), a build made now in this process must equal the offline one."""
    a, b = paths.processed_dir(), offline_build[2] / "data" / "processed"
    if not _same_build(a, b):
        a = tmp_path / "a"
        build.build(out=a)
    ha = json.loads((a / "BUILD.json").read_text())["outputs"]
    hb = json.loads((b / "BUILD.json").read_text())["outputs"]
    assert ha == hb and len(ha) >= 2
    for name in ha:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert json.loads((a / "BUILD.json").read_text()) == json.loads((b / "BUILD.json").read_text())


def test_figure_files_are_byte_identical(tmp_path):
    plotting.set_style()
    outs = []
    for run in ("x", "y"):
        fig, ax = plt.subplots()
        ax.plot([2011, 2021], [100, 107.8], color=plotting.color("JPN"), label="日本")
        ax.set_title("各国の企業における研究者の伸び")
        ax.legend()
        outs.append(plotting.save(fig, pd.DataFrame({"year": [2011, 2021], "index": [100, 107.8]}),
                                  tmp_path / run, "fig"))
        plt.close(fig)
    for ext in ("png", "svg", "csv"):
        assert outs[0][ext].read_bytes() == outs[1][ext].read_bytes(), ext
