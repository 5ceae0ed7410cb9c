"""Shared fixtures: the real raw data, loaded once per test run."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Callable

import pytest

from analysis import paths

ROOT = Path(__file__).resolve().parents[1]


def shared_once(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], object]) -> object:
    """``compute()`` once per test run, even across xdist workers: the first worker pickles the result into the
    run's temporary folder (shared by its workers) under a lock, the others read it; each process keeps what it
    got (callers must not modify it). Without xdist, computes once per process."""
    import pandas as pd

    if name in _SHARED:
        return _SHARED[name]
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        _SHARED[name] = compute()
        return _SHARED[name]
    shared = tmp_path_factory.getbasetemp().parent  # pytest-N/, the parent of every worker's popen-gwK/
    path = shared / f"{name}.pkl"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            _SHARED[name] = pd.read_pickle(path)
            return _SHARED[name]
        value = compute()
        pd.to_pickle(value, shared / f".{name}.pkl.tmp")
        os.replace(shared / f".{name}.pkl.tmp", path)
        _SHARED[name] = value
        return value


_SHARED: dict[str, object] = {}


def shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder ``make(folder)`` fills once per test run, even across xdist workers (built under a lock in the
    run's temporary folder, which its workers share; a failed build leaves nothing). Read-only by convention:
    tests copy it (e.g. a scratch project copied per test instead of rebuilt per test)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            tmp = shared / f".{name}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            make(tmp)
            os.replace(tmp, folder)
    return folder


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return paths.raw_dir()


@pytest.fixture(scope="session")
def msti_tidy(raw_dir, tmp_path_factory):
    """``msti.load(raw_dir)``: the loader on the real raw file, run once per test run (the slowest source)."""
    from analysis.sources import msti
    return shared_once(tmp_path_factory, "msti_tidy", lambda: msti.load(raw_dir))


@pytest.fixture(scope="session")
def pwt_tidy(raw_dir, tmp_path_factory):
    """``pwt.load(raw_dir)``, once per test run."""
    from analysis.sources import pwt
    return shared_once(tmp_path_factory, "pwt_tidy", lambda: pwt.load(raw_dir))


@pytest.fixture(scope="session")
def japan_shared(raw_dir, tmp_path_factory):
    """``japan.load(raw_dir)``, once per test run (read by the figure 2/5/6/7/8 and deck tests); a module takes
    its own ``.copy()`` (``japan_copy``)."""
    from analysis.sources import japan
    return shared_once(tmp_path_factory, "japan_tidy", lambda: japan.load(raw_dir))


@pytest.fixture(scope="module")
def japan_copy(japan_shared):
    """A module's own copy of ``japan.load(raw_dir)`` (a test that changes it leaves the other modules' alone)."""
    return japan_shared.copy()


MSTI_RAW_COLS = ["REF_AREA", "MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION", "TIME_PERIOD", "OBS_VALUE",
                 "OBS_STATUS", "UNIT_MULT"]


@pytest.fixture(scope="session")
def raw_msti(raw_dir, tmp_path_factory):
    """The raw MSTI SDMX-CSV read directly with pandas as strings (independent of analysis.sources.msti),
    once per test run: the code columns, observation value and status."""
    import pandas as pd

    from analysis import vintages
    path = vintages.folder(raw_dir, "oecd_msti") / "msti_raw.csv.gz"
    return shared_once(tmp_path_factory, "raw_msti",
                       lambda: pd.read_csv(path, usecols=MSTI_RAW_COLS, dtype=str, keep_default_na=False))


@pytest.fixture()
def scratch_raw(tmp_path, raw_dir) -> Path:
    """A writable copy of data/raw (small sources only; MSTI and PWT are linked, not copied)."""
    dst = tmp_path / "raw"
    shutil.copytree(raw_dir, dst, copy_function=shutil.copy)
    return dst


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    """A scratch project of toy notebooks (tests/fixtures/nbfixtures) as SANGAKU_ROOT, output inside it.
    Test files with another toy project define their own ``project``."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "fixtures"))
    import nbfixtures

    root = nbfixtures.make_project(tmp_path / "proj")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    return root



# ------------------------------------------------------------------------------------------ order of the work
DURATIONS = Path(__file__).resolve().parent / "durations.toml"
AFTER_NOTEBOOKS = "after_notebooks"


@pytest.fixture(autouse=True)
def _default_sigint():
    """Every test starts with Python's own Ctrl-C handler and leaves it so. A test process whose SIGINT is ignored
    passes that on to every command it starts (an ignored signal stays ignored across exec, and Python then
    installs no KeyboardInterrupt handler), so a later Ctrl-C test on the same xdist worker would hang."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config: pytest.Config) -> None:
    import nbval_audit  # tests/ is on sys.path (pytest's rootdir-less conftest import)

    config.addinivalue_line("markers", f"{AFTER_NOTEBOOKS}: the file reads what this session's nbval runs of the "
                                       "notebooks recorded, so it is handed out after every notebook")
    nbval_audit.register(config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first (tests/durations.toml; a file's own items keep their order) and the files marked
    ``after_notebooks`` last. ``./run.sh test`` runs xdist with ``--dist loadfile --no-loadscope-reorder``, which
    hands whole files to the workers in this order: no long file starts at the end, and the read audit starts
    when every notebook is done or running on the other worker."""
    import tomllib

    table = tomllib.loads(DURATIONS.read_text(encoding="utf-8"))
    seconds, default = table["seconds"], table["DEFAULT"]
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def key(entry: tuple[str, list[pytest.Item]]) -> tuple[bool, float]:
        path, its = entry
        return any(it.get_closest_marker(AFTER_NOTEBOOKS) for it in its), -seconds.get(path, default)

    items[:] = [it for _, its in sorted(files.items(), key=key) for it in its]
