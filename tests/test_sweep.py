"""``analysis sweep``: the product of parameter values as cached runs, checked before any kernel starts, and the
index of the runs that the site lists. Uses the tiny notebooks of tests/fixtures."""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import json
import sys
from pathlib import Path

import pytest

from analysis import cli, paths
from analysis.errors import DataFileError, ParameterError
from analysis.execution import specs, sweep, worker

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402


@pytest.fixture()
def no_kernels(monkeypatch):
    def boom(task, blobs=None):
        raise AssertionError(f"a kernel was started for {task.name}")
    monkeypatch.setattr(worker, "execute_job", boom)


def _quiet(msg: str) -> None:
    pass


def test_values_split_at_top_level_commas_and_ranges(project):
    assert sweep.split_values('["JPN","USA"],["KOR"]') == ['["JPN","USA"]', '["KOR"]']
    assert sweep.split_values("a, 'b,c' ,d") == ["a", "'b,c'", "d"]
    nb = specs.load_notebook(specs.discover()["fig_toy"])
    assert sweep.cli_values(nb, "n", "2..5") == [2, 3, 4, 5]
    assert sweep.cli_values(nb, "scale", "0.5,2") == [0.5, 2.0]
    assert sweep.cli_values(nb, "show", "true,false") == [True, False]
    with pytest.raises(ParameterError, match="empty range"):
        sweep.cli_values(nb, "n", "5..2")
    with pytest.raises(ParameterError, match="expected an int like the default 3"):
        sweep.cli_values(nb, "n", "2,three")
    assert sweep.combinations({"n": [1, 2, 1], "lang": ["ja", "en"]}) == [
        {"n": 1, "lang": "ja"}, {"n": 1, "lang": "en"}, {"n": 2, "lang": "ja"}, {"n": 2, "lang": "en"}]


def test_a_sweep_runs_the_product_once_and_indexes_every_run(project, capsys):
    out = paths.output_dir()
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        path, s = sweep.sweep("fig_toy", cli=[("n", "2,3"), ("lang", "ja,en")], executor=ex, progress=_quiet)
        assert s.ok and len(s.ran) == 4 and s.skipped == []
        doc = json.loads(path.read_text())
        assert path.parent == out / "runs" / "sweeps" and path.name.startswith("fig_toy__")
        assert doc["format"] == "sangaku-sweep/1" and doc["notebook"] == "fig_toy"
        assert doc["grid"] == {"n": [2, 3], "lang": ["ja", "en"]}
        assert doc["command"] == "analysis sweep fig_toy -p n 2,3 -p lang ja,en"
        assert [r["parameters"] for r in doc["runs"]] == [
            {"n": 2, "lang": "ja"}, {"n": 2, "lang": "en"}, {"n": 3, "lang": "ja"}, {"n": 3, "lang": "en"}]
        for row in doc["runs"]:
            assert row["ok"] and row["message"] == ""
            folder, executed = out / row["folder"], out / row["notebook"]
            assert folder == out / "runs" / row["run"] and executed == out / "runs" / f"{row['run']}.ipynb"
            assert executed.is_file()
            png = (folder / "fig_toy.png").read_bytes()
            assert int.from_bytes(png[16:20], "big") == 10 * row["parameters"]["n"]  # the run's own parameters
            assert row["files"]["fig_toy.png"] == hashlib.sha256(png).hexdigest()
            assert json.loads((folder / "PARAMETERS.json").read_text())["parameters"]["lang"] == \
                row["parameters"]["lang"]
        rows = list(csv.DictReader(path.with_suffix(".csv").open(encoding="utf-8")))
        assert [(r["n"], r["lang"], r["ok"]) for r in rows] == [("2", "ja", "true"), ("2", "en", "true"),
                                                                ("3", "ja", "true"), ("3", "en", "true")]
        assert rows[0]["files"] == "PARAMETERS.json;fig_toy.csv;fig_toy.png"
        first = path.read_bytes()

        # the same sweep again: everything cached, the same index, byte for byte
        path2, again = sweep.sweep("fig_toy", cli=[("n", "2,3"), ("lang", "ja,en")], executor=ex, progress=_quiet)
        assert path2 == path and again.ran == [] and len(again.skipped) == 4 and path.read_bytes() == first
        # an extended sweep runs only the new combinations; a run of `analysis run` is the same cached run
        _, more = sweep.sweep("fig_toy", cli=[("n", "2..4"), ("lang", "ja,en")], executor=ex, progress=_quiet)
        assert len(more.ran) == 2 and len(more.skipped) == 4
    # the command line on the cached sweep starts no kernel (no pool either: nothing to run)
    assert cli.main(["sweep", "fig_toy", "-p", "n", "2,3", "-p", "lang", "ja,en"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"index: {path} and {path.with_suffix('.csv')}")
    assert sweep.indexes() == sorted((out / "runs" / "sweeps").glob("*.json")) and len(sweep.indexes()) == 2
    assert sweep.read_index(path)["runs"][0]["run"] == json.loads(first)["runs"][0]["run"]


def test_a_bad_value_stops_the_sweep_before_any_kernel(project, no_kernels, capsys):
    with pytest.raises(ParameterError) as ei:  # the validate hook, for the runs the cache does not hold
        sweep.sweep("fig_toy", cli=[("country", "JPN,XXX"), ("n", "2,3")], progress=_quiet)
    assert ei.value.name == "country" and ei.value.choices == nbfixtures.COUNTRIES
    assert cli.main(["sweep", "fig_toy", "-p", "n", "2,three"]) == 2  # a type, from the command line
    assert "parameter n='three'" in capsys.readouterr().err
    assert cli.main(["sweep", "fig_toy", "-p", "colour", "red"]) == 2
    assert "notebook fig_toy has no such parameter" in capsys.readouterr().err
    assert cli.main(["sweep", "fig_toy"]) == 2
    assert "nothing to sweep" in capsys.readouterr().err
    assert not (paths.output_dir() / "runs").exists()  # nothing run, no index written


def test_a_grid_file_gives_the_same_runs(project, tmp_path, no_kernels):
    grid = tmp_path / "grid.toml"
    grid.write_text('[parameters]\nn = [2, 3]\nlang = "en"\n')
    nb, typed, runs = sweep.plan("fig_toy", grid_file=str(grid))
    assert typed == {"n": [2, 3], "lang": ["en"]}
    assert [combo for combo, _ in runs] == [{"n": 2, "lang": "en"}, {"n": 3, "lang": "en"}]
    _, _, same = sweep.plan("fig_toy", cli=[("n", "2,3"), ("lang", "en")])
    assert [j.out_name for _, j in runs] == [j.out_name for _, j in same]
    grid.write_text('[parameters]\nn = ["two"]\n')
    with pytest.raises(ParameterError, match="expected an int"):
        sweep.plan("fig_toy", grid_file=str(grid))
    grid.write_text("n = [2, 3]\n")
    with pytest.raises(DataFileError, match=r"\[parameters\]"):
        sweep.plan("fig_toy", grid_file=str(grid))


class _HookingExecutor(cf.ThreadPoolExecutor):
    """An executor that runs the validate hooks itself, as the warm server does (``warm.WarmExecutor``)."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.checked: list[list[str]] = []

    def check_hooks(self, todo):
        self.checked.append(sorted(job.out_name for job in todo))
        if any(job.overrides.get("country") == "XXX" for job in todo):
            raise ParameterError("country", "XXX", "checked by the executor", nbfixtures.COUNTRIES)


def test_an_executor_with_check_hooks_validates_the_sweep_itself(project, monkeypatch):
    def local_hook(params):
        raise AssertionError("the hook ran in the client although the executor checks hooks")
    monkeypatch.setattr(nbfixtures, "validate_toy", local_hook)
    with _HookingExecutor() as ex:
        _, s = sweep.sweep("fig_toy", cli=[("n", "2,3")], executor=ex, progress=_quiet)
        assert s.ok and len(s.ran) == 2
        assert len(ex.checked) == 1 and len(ex.checked[0]) == 2 and all(n.startswith("fig_toy__") for n in ex.checked[0])
        with pytest.raises(ParameterError, match="checked by the executor"):
            sweep.sweep("fig_toy", cli=[("country", "XXX"), ("n", "2,5")], executor=ex, progress=_quiet)
        _, again = sweep.sweep("fig_toy", cli=[("n", "2,3")], executor=ex, progress=_quiet)
        assert again.ran == [] and ex.checked[-1] == []  # cached runs need no hook
