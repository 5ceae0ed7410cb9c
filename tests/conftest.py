"""Shared fixtures: the real raw data, loaded once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return paths.raw_dir()


@pytest.fixture(scope="session")
def msti_tidy(raw_dir):
    from analysis.sources import msti
    return msti.load(raw_dir)


@pytest.fixture()
def scratch_raw(tmp_path, raw_dir) -> Path:
    """A writable copy of data/raw (small sources only; MSTI and PWT are linked, not copied)."""
    dst = tmp_path / "raw"
    shutil.copytree(raw_dir, dst, copy_function=shutil.copy)
    return dst
