"""Shared fixtures: the real raw data, loaded once per test run."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from analysis import paths

ROOT = Path(__file__).resolve().parents[1]


def shared_once(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], object]) -> object:
    """``compute()`` once per test run, even across xdist workers: the first worker pickles the result into the
    run's temporary folder (shared by its workers) under a lock, the others read it. Without xdist, computes."""
    import pandas as pd

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute()
    shared = tmp_path_factory.getbasetemp().parent  # pytest-N/, the parent of every worker's popen-gwK/
    path = shared / f"{name}.pkl"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pd.read_pickle(path)
        value = compute()
        pd.to_pickle(value, shared / f".{name}.pkl.tmp")
        os.replace(shared / f".{name}.pkl.tmp", path)
        return value


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
