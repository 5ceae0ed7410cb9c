"""A planning step asks for the same spec table, module closures, companion files and folders many times; each
is remembered only as long as what it was read from is unchanged. None may ever serve a stale answer."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from analysis import paths
from analysis.errors import DataFileError
from analysis.execution import codegraph, specs
from tests.conftest import ROOT


def _spec_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "notebooks.toml"
    shutil.copy(ROOT / "notebooks" / "notebooks.toml", dst)
    return dst


def test_edited_spec_table_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(specs, "RACY_SECONDS", 0.0)
    path = _spec_copy(tmp_path)
    first = specs.load_specs(path)
    assert first["h5_summary_all_hypotheses"].after  # h5 waits for the hypotheses it summarises
    assert os.path.abspath(path) in specs._SPECS  # remembered
    time.sleep(0.05)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[fig01_business_researchers_index]", "[fig01_renamed]", 1), encoding="utf-8")
    second = specs.load_specs(path)
    assert "fig01_renamed" in second and "fig01_business_researchers_index" not in second
    time.sleep(0.05)
    path.write_text("[broken\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid TOML"):
        specs.load_specs(path)


def test_spec_table_is_the_callers_own(tmp_path, monkeypatch):
    monkeypatch.setattr(specs, "RACY_SECONDS", 0.0)
    path = _spec_copy(tmp_path)
    table = specs.load_specs(path)
    table.pop("fig01_business_researchers_index")
    assert "fig01_business_researchers_index" in specs.load_specs(path)


def test_fresh_spec_table_is_not_remembered(tmp_path):
    path = _spec_copy(tmp_path)  # written just now: inside the racy window
    specs.load_specs(path)
    assert os.path.abspath(path) not in specs._SPECS


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "analysis"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "a.py").write_text("from . import b\n", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("import analysis.sub.c\n", encoding="utf-8")
    (pkg / "sub" / "c.py").write_text("x = 1\n", encoding="utf-8")
    return pkg


def test_closure_with_memo_equals_closure_without(tmp_path):
    pkg = _package(tmp_path)
    memo: dict = {}
    plain = codegraph.closure(["analysis.sub.a"], package_dir=pkg)
    assert set(plain) == {"analysis", "analysis.sub", "analysis.sub.a", "analysis.sub.b", "analysis.sub.c"}
    assert codegraph.closure(["analysis.sub.a"], package_dir=pkg, memo=memo) == plain
    assert codegraph.closure(["analysis.sub.b"], package_dir=pkg, memo=memo) == {
        k: v for k, v in plain.items() if k != "analysis.sub.a"}
    # the real package: a notebook's closure is the same walked alone or after every other notebook's
    memo = {}
    for hook in ("analysis.figures.business_researchers", "analysis.multiverse.engine"):
        codegraph.closure([hook], memo=memo)
    assert codegraph.closure(["analysis.figures.tech_transfer_us_jp"], memo=memo) == codegraph.closure(
        ["analysis.figures.tech_transfer_us_jp"])


def test_companion_added_or_removed_is_seen(tmp_path):
    module = tmp_path / "japan.py"
    module.write_text("", encoding="utf-8")
    assert codegraph.companions(module) == []
    os.utime(tmp_path, ns=(1, 1))  # an old folder time, so that the next change surely moves it
    (tmp_path / "japan_series.toml").write_text("", encoding="utf-8")
    assert codegraph.companions(module) == [tmp_path / "japan_series.toml"]
    (tmp_path / "japan_series.toml").rename(tmp_path / "japan_other.toml")
    assert codegraph.companions(module) == [tmp_path / "japan_other.toml"]
    (tmp_path / "japan_other.toml").unlink()
    assert codegraph.companions(module) == []


def test_output_dir_follows_the_environment_and_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "one"))
    assert paths.output_dir() == (tmp_path / "one").resolve()
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "two"))
    assert paths.output_dir() == (tmp_path / "two").resolve()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv("SANGAKU_OUTPUT", "out")  # relative: against the working directory of the moment
    monkeypatch.chdir(tmp_path / "a")
    assert paths.output_dir() == (tmp_path / "a" / "out").resolve()
    monkeypatch.chdir(tmp_path / "b")
    assert paths.output_dir() == (tmp_path / "b" / "out").resolve()
    monkeypatch.delenv("SANGAKU_OUTPUT")
    assert paths.output_dir() == ROOT.resolve() / "output"
