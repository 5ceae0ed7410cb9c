"""The notebook runner: parameter validation before any kernel, the content-addressed cache, failure isolation,
executor injection and byte-identical executed notebooks. Uses the tiny notebooks of tests/fixtures."""

from __future__ import annotations

import concurrent.futures as cf
import json
from dataclasses import replace
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import cli, paths
from analysis.execution import cache, delivery, executed, jobs, layout, params, pipeline, schedule, specs, worker
from analysis.errors import DataFileError, ParameterError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

EN = jobs.run_name("fig_toy", {"lang": "en"})  # reproduce also runs every figure notebook in English


@pytest.fixture()
def no_kernels(monkeypatch):
    """Fail loudly if anything tries to execute a notebook (validation must come first)."""
    def boom(job):
        raise AssertionError(f"a kernel was started for {job.name}")
    monkeypatch.setattr(worker, "execute_job", boom)


def _quiet(msg: str) -> None:
    pass


class CountingExecutor(cf.ThreadPoolExecutor):
    """A plain ThreadPoolExecutor that counts submissions (stands in for any Executor, e.g. Dask's)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.submitted: list[str] = []

    def submit(self, fn, *args, **kwargs):
        self.submitted.append(args[0].out_name)
        return super().submit(fn, *args, **kwargs)


# --------------------------------------------------------------------------------------- validation


def test_unknown_notebook_lists_valid_names(project, no_kernels):
    with pytest.raises(ParameterError) as ei:
        pipeline.run(["fig_nope"], progress=_quiet)
    assert ei.value.name == "notebook"
    assert ei.value.choices == ["fig_toy", "hyp_toy"]
    assert "fig_nope" in str(ei.value) and "fig_toy, hyp_toy" in str(ei.value)


def test_unique_prefix_names_a_notebook(project, no_kernels):
    assert specs.resolve_notebooks(["fig", "hyp_toy.ipynb", "notebooks/fig_toy.ipynb"]) == \
        [project / "notebooks" / "fig_toy.ipynb", project / "notebooks" / "hyp_toy.ipynb",
         project / "notebooks" / "fig_toy.ipynb"]
    nbfixtures.write_notebook(project / "notebooks" / "fig_two.ipynb", nbfixtures.hyp_notebook())
    with pytest.raises(ParameterError, match="ambiguous") as ei:
        specs.resolve_notebooks(["fig"])
    assert ei.value.choices == ["fig_toy", "fig_two"]


def test_unknown_parameter_lists_the_notebooks_parameters(project, no_kernels):
    with pytest.raises(ParameterError) as ei:
        pipeline.run(["fig_toy"], {"contry": "JPN"}, progress=_quiet)
    assert ei.value.name == "contry"
    assert ei.value.choices == ["country", "lang", "n", "output_dir", "scale", "show", "user_file"]


@pytest.mark.parametrize("name, text", [("n", "three"), ("scale", "big"), ("show", "maybe")])
def test_cli_value_of_wrong_type_names_the_expected_type(project, no_kernels, name, text):
    with pytest.raises(ParameterError) as ei:
        pipeline.run(["fig_toy"], {name: text}, cli_text=True, progress=_quiet)
    assert ei.value.name == name
    assert "like the default" in str(ei.value)


def test_parameters_with_trailing_comments_and_annotations_are_read(project):
    # papermill.inspect_notebook alone skips "n = 3  # bars"; the runner must still know n and its type
    nb = specs.load_notebook(specs.discover()["fig_toy"])
    assert nb.params == {"lang": "ja", "output_dir": "", "country": "JPN", "n": 3, "scale": 1.0, "show": True,
                         "user_file": ""}


def test_typed_values_must_match_the_default_type(project, no_kernels):
    nb = specs.load_notebook(specs.discover()["fig_toy"])
    with pytest.raises(ParameterError, match="expected an int like the default 3, got a str"):
        params.validate(nb, {"n": "3"})
    with pytest.raises(ParameterError, match="expected an int like the default 3, got a bool"):
        params.validate(nb, {"n": True})
    with pytest.raises(ParameterError, match="expected a float like the default 1.0, got a str"):
        params.validate(nb, {"scale": "x"})
    with pytest.raises(ParameterError, match="expected an int like the default 3$"):
        params.coerce_cli_value("n", "three", 3)
    # an int is a valid float; CLI text is converted to the default's type
    assert params.validate(nb, {"scale": 2}) == {"scale": 2.0}
    assert params.validate(nb, {"n": "4", "show": "false", "scale": "0.5"}, cli_text=True) == \
        {"n": 4, "show": False, "scale": 0.5}


def test_validate_hook_rejects_domain_values_before_any_kernel(project, no_kernels):
    with pytest.raises(ParameterError) as ei:
        pipeline.run(["fig_toy"], {"country": "XXX"}, progress=_quiet)
    assert ei.value.name == "country"
    assert ei.value.choices == nbfixtures.COUNTRIES
    assert not (paths.output_dir() / "runs").exists()


def test_unloadable_validate_hook_is_a_clear_error(project, no_kernels):
    nb = nbformat.read(project / "notebooks" / "fig_toy.ipynb", as_version=4)
    nb.metadata["sangaku"]["validate"] = "nbfixtures:no_such_function"
    nbfixtures.write_notebook(project / "notebooks" / "fig_toy.ipynb", nb)
    with pytest.raises(DataFileError, match="no_such_function"):
        pipeline.run(["fig_toy"], progress=_quiet)


def test_cli_reports_parameter_errors_with_exit_code_2(project, no_kernels, capsys):
    assert cli.main(["run", "fig_toy", "-p", "lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "parameter lang='fr'" in err and "valid choices: ja, en" in err
    assert cli.main(["run", "nope"]) == 2
    assert "valid choices: fig_toy, hyp_toy" in capsys.readouterr().err


def test_params_file_and_cli_are_combined(project, tmp_path, no_kernels, capsys):
    f = tmp_path / "p.yaml"
    f.write_text("country: USA\nn: 5\n")
    assert params.read_params_file(f) == {"country": "USA", "n": 5}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(DataFileError, match="mapping"):
        params.read_params_file(bad)
    assert cli.main(["run", "fig_toy", "--params", str(f), "-p", "country", "ZZZ"]) == 2
    assert "parameter country='ZZZ'" in capsys.readouterr().err
    f.write_text("n: five\n")
    assert cli.main(["run", "fig_toy", "--params", str(f)]) == 2
    assert "parameter n='five'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- cache and runs


def _ran(summary: schedule.Summary) -> list[str]:
    return sorted(r.name for r in summary.ran)


def test_cache_hits_and_misses(project):
    out = paths.output_dir()
    with CountingExecutor(max_workers=2) as ex:
        first = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
        assert first.ok and _ran(first) == ["fig_toy", EN, "hyp_toy"]
        assert (out / "figures" / "fig_toy" / "fig_toy.png").read_bytes()[:4] == b"\x89PNG"
        png = (out / "figures" / "fig_toy" / "fig_toy.png").read_bytes()
        assert (out / "runs" / EN / "fig_toy.png").read_bytes() == png
        injected = next(c for c in json.loads((out / "runs" / f"{EN}.ipynb").read_text())["cells"]
                        if c["id"] == "injected-parameters")
        # the parameters as the client passed them, not the worker's temporary paths
        assert "".join(injected["source"]) == f'# Parameters\nlang = "en"\noutput_dir = "{out / "runs" / EN}"\n'
        assert pipeline.language_outputs("fig_toy") == {"ja": out / "figures" / "fig_toy", "en": out / "runs" / EN}
        assert pipeline.language_notebooks("fig_toy") == {"ja": out / "notebooks" / "fig_toy.ipynb",
                                                          "en": out / "runs" / f"{EN}.ipynb"}
        assert pipeline.language_outputs("hyp_toy") == {"ja": out / "tables" / "hyp_toy"}  # not a figure

        again = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
        assert _ran(again) == [] and again.skipped == ["fig_toy", "hyp_toy", EN]

        # a processed file the figure reads changes -> only the figure reruns (the hypothesis reads none)
        nbfixtures.set_processed(project, "country,value\nJPN,4\n")
        msgs: list[str] = []
        data_change = pipeline.reproduce(data=False, site=False, executor=ex, progress=msgs.append)
        assert _ran(data_change) == ["fig_toy", EN]
        assert "  queued fig_toy (input processed:toy changed)" in msgs
        assert (out / "figures" / "fig_toy" / "fig_toy.csv").read_text() == "country,value\nJPN,4\n"

        # an edited notebook reruns
        nbfixtures.write_notebook(project / "notebooks" / "hyp_toy.ipynb",
                                  _edited(nbformat.read(project / "notebooks" / "hyp_toy.ipynb", as_version=4)))
        msgs.clear()
        assert _ran(pipeline.reproduce(data=False, site=False, executor=ex, progress=msgs.append)) == ["hyp_toy"]
        assert "  queued hyp_toy (notebook changed)" in msgs

        # outputs gone -> rerun even though the key is the same
        shutil.rmtree(out / "figures" / "fig_toy")
        assert _ran(pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)) == ["fig_toy"]
        (out / "runs" / EN / "fig_toy.csv").unlink()
        assert _ran(pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)) == [EN]
        (out / "notebooks" / "hyp_toy.ipynb").unlink()
        assert _ran(pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)) == ["hyp_toy"]

        # --force reruns everything
        assert _ran(pipeline.reproduce(data=False, site=False, executor=ex, force=True, progress=_quiet)) == \
            ["fig_toy", EN, "hyp_toy"]
    assert ex.submitted.count("fig_toy") == 4 and ex.submitted.count("hyp_toy") == 4
    assert ex.submitted.count(EN) == 4


def _edited(nb):
    nb.cells.append(nbformat.v4.new_markdown_cell("An added note."))
    nb.cells[-1]["id"] = "added"
    return nb


def test_kernel_name_matches_nbtools():
    from analysis import nbtools

    assert nbtools.KERNELSPEC["name"] == layout.KERNEL_NAME


def test_every_part_of_the_key_counts(project):
    nb = specs.load_notebook(specs.discover()["hyp_toy"])
    ctx = cache.Context.current()
    key = cache.notebook_key(nb, {}, ctx).digest
    assert key == cache.notebook_key(nb, {}, cache.Context.current()).digest
    assert cache.notebook_key(nb, {}, cache.Context({**ctx.versions, "pandas": "0.1"}, ctx.outputs)).digest != key
    assert cache.notebook_key(nb, {"lang": "en"}, ctx).digest != key
    assert cache.notebook_key(nb, {}, cache.Context(ctx.versions, ctx.outputs, kernel="other")).digest != key


def test_parameter_overrides_go_to_their_own_outputs_and_are_cached(project):
    out = paths.output_dir()
    with cf.ThreadPoolExecutor(max_workers=1) as ex:
        s = pipeline.run(["fig_toy"], {"n": 5}, executor=ex, progress=_quiet)
        assert s.ok and len(s.ran) == 1
        name = s.ran[0].name
        assert name.startswith("fig_toy__")
        assert (out / "runs" / f"{name}.ipynb").exists()
        png = (out / "runs" / name / "fig_toy.png").read_bytes()
        assert int.from_bytes(png[16:20], "big") == 50  # width 10 * n
        assert not (out / "notebooks" / "fig_toy.ipynb").exists()  # the default copy is untouched
        assert not (out / "figures").exists()

        assert pipeline.run(["fig_toy"], {"n": 5}, executor=ex, progress=_quiet).skipped == [name]
        other = pipeline.run(["fig_toy"], {"n": 6}, executor=ex, progress=_quiet)
        assert len(other.ran) == 1 and other.ran[0].name != name


def test_executed_notebooks_are_byte_identical_and_stripped(project):
    out = paths.output_dir()
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
        first = {p.name: p.read_bytes() for p in (out / "notebooks").glob("*.ipynb")}
        pipeline.reproduce(data=False, site=False, executor=ex, force=True, progress=_quiet)
        second = {p.name: p.read_bytes() for p in (out / "notebooks").glob("*.ipynb")}
    assert first == second and sorted(first) == ["fig_toy.ipynb", "hyp_toy.ipynb"]
    nb = json.loads(first["fig_toy.ipynb"])
    assert "papermill" not in nb["metadata"]
    assert all("execution" not in c["metadata"] for c in nb["cells"])
    assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
               for c in nb["cells"] for o in c.get("outputs", []))


def test_failure_is_isolated_named_and_kept(project, capsys):
    nbfixtures.write_notebook(project / "notebooks" / "bad_toy.ipynb", nbfixtures.bad_notebook())
    # the CLI path uses the default ProcessPoolExecutor
    code = cli.main(["reproduce", "--no-data", "--no-site", "--jobs", "2"])
    text = capsys.readouterr().out
    assert code == 1
    assert "bad_toy" in text and "cell 2" in text and "ValueError" in text and "boom: toy failure" in text
    out = paths.output_dir()
    failed = out / "notebooks" / "failed" / "bad_toy.ipynb"
    kept = nbformat.read(failed, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert not (out / "notebooks" / "bad_toy.ipynb").exists()
    for good in ("fig_toy", "hyp_toy"):
        assert (out / "notebooks" / f"{good}.ipynb").exists()
    # the failure is not cached: the next run tries again, the good ones are skipped
    s = pipeline.reproduce(data=False, site=False, progress=_quiet)
    assert [r.name for r in s.failed] == ["bad_toy", jobs.run_name("bad_toy", {"lang": "en"})]
    assert s.failed[0].cell_index == 2
    assert s.skipped == ["fig_toy", "hyp_toy", EN]


def _multiline_bad_notebook() -> nbformat.NotebookNode:
    """Fails on the third line of its third cell, inside a call into the standard library."""
    nb = nbfixtures.bad_notebook()
    nb.cells[2].source = "import json\nx = 2\njson.loads('{not json')\ny = 3"
    return nb


def test_failing_line_is_read_from_the_cell_frame_of_the_traceback():
    src = "import json\nx = 2\njson.loads('{bad')\ny = 3"
    tb = ["\x1b[31m----\x1b[39m",
          "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 3\x1b[39m\n----> 3 json.loads",
          "\x1b[36mFile \x1b[39m\x1b[32mjson/decoder.py:353\x1b[39m, in raw_decode",
          "JSONDecodeError: Expecting property name"]
    assert executed.failing_line(src, 2, tb) == (3, "json.loads('{bad')")
    # a function defined in an earlier cell: the innermost frame of *this* cell is the call site
    tb2 = ["Cell In[2], line 2\n----> 2 x = 2", "Cell In[1], line 5, in f()", "ValueError: x"]
    assert executed.failing_line(src, 2, tb2) == (2, "x = 2")
    # no frame of this cell (or an impossible line): nothing is quoted rather than a wrong line
    assert executed.failing_line(src, 2, ["Cell In[1], line 1", "ValueError: x"]) is None
    assert executed.failing_line(src, 2, ["Cell In[2], line 9"]) is None
    assert executed.failing_line(src, None, tb) is None


def test_failed_run_quotes_the_failing_line_and_points_to_the_kept_copy(project, capsys):
    nbfixtures.write_notebook(project / "notebooks" / "bad_toy.ipynb", _multiline_bad_notebook())
    assert cli.main(["run", "bad_toy", "-p", "lang", "en", "--jobs", "1"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    failure = next(ln for ln in lines if "FAILED after" in ln)
    assert "JSONDecodeError" in failure
    assert "at line 3: `json.loads('{not json')`" in failure, failure
    assert "import json" not in failure
    last = lines[-1]
    assert last.startswith("bad_toy__") and "FAILED" in last, last
    kept = Path(last.rsplit(": ", 1)[1])
    assert kept.parent == paths.output_dir() / "runs" / "failed" and kept.exists(), last
    assert not (paths.output_dir() / "runs" / kept.name).exists()
    # the default-parameter run points to output/notebooks/failed/
    assert cli.main(["run", "bad_toy", "--jobs", "1"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith(str(paths.output_dir() / "notebooks" / "failed" / "bad_toy.ipynb")), last
    assert Path(last.rsplit(": ", 1)[1]).exists()


def test_reproduce_builds_data_only_when_needed(project, monkeypatch):
    from analysis import build, manifest

    calls = []
    monkeypatch.setattr(manifest, "verify", lambda *a, **k: manifest.VerifyReport(1, 10))
    monkeypatch.setattr(build, "build", lambda **k: calls.append(1) or {})
    assert pipeline.prepare_data(progress=_quiet) is True
    assert pipeline.prepare_data(progress=_quiet) is False  # same manifest, code and processed files
    nbfixtures.set_processed(project, "country,value\nJPN,9\n")  # processed data touched by hand
    assert pipeline.prepare_data(progress=_quiet) is True
    assert pipeline.prepare_data(force=True, progress=_quiet) is True
    assert len(calls) == 3


def test_build_says_which_raw_files_it_verified(project, monkeypatch):
    """reproduce first verifies every raw file, then the build those of the sources it builds: say so."""
    from analysis import build, manifest

    class Stop(Exception):
        pass

    class Source:
        @staticmethod
        def load(raw):
            raise Stop

    monkeypatch.setattr(build, "_modules", lambda: {"a": Source, "b": Source, "c": Source})
    monkeypatch.setattr(manifest, "verify", lambda raw, sources=None: manifest.VerifyReport(44, 2_000_000))
    msgs: list[str] = []
    with pytest.raises(Stop):
        build.build(progress=msgs.append, sources=["a", "b"])
    assert msgs[-1] == "verified 44 raw files (2.0 MB) of the 2 sources it builds"  # after the vintages line


def test_kernels_are_started_ahead_once_per_notebook_and_cleaned_up(project, monkeypatch):
    started: list[str] = []
    real_start = worker._start_kernel

    def counting_start(task, ws=None):
        started.append(task.name)
        return real_start(task, ws)

    monkeypatch.setattr(worker, "_start_kernel", counting_start)
    ctx = cache.Context.current()
    fig, hyp = pipeline.plan(["fig_toy", "hyp_toy"], [{}])
    # as in the runner's own pool: the first task starts the next kernel ahead, the second uses it
    first = worker.execute_job(*delivery.pack(replace(fig, prewarm=True), ctx, embed=False))
    assert first.ok and len(started) == 2 and len(worker._WARM) == 1
    second = worker.execute_job(*delivery.pack(hyp, ctx, embed=False))
    assert second.ok and len(started) == 2, "the kernel started ahead was not used"
    assert worker._WARM == {} and worker._SPACES == {}  # nothing left running, no directory left
    # any other executor gets no kernel started ahead: one kernel per notebook
    started.clear()
    with CountingExecutor(max_workers=1) as ex:
        s = pipeline.reproduce(data=False, site=False, executor=ex, progress=_quiet)
    assert s.ok and _ran(s) == ["fig_toy", EN, "hyp_toy"]
    assert len(started) == 3 and worker._WARM == {} and worker._SPACES == {}


def test_split_streams_are_merged_so_outputs_do_not_depend_on_flush_timing():
    cell = {"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": ["b\n", "c\n"]},
        {"output_type": "stream", "name": "stderr", "text": "w\n"},
        {"output_type": "stream", "name": "stdout", "text": "d\n"},
        {"output_type": "display_data", "data": {}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "e\n"}]}
    executed.coalesce_streams(cell)
    assert [(o.get("name"), o.get("text")) for o in cell["outputs"]] == [
        ("stdout", "a\nb\nc\n"), ("stderr", "w\n"), ("stdout", "d\n"), (None, None), ("stdout", "e\n")]


def test_committing_uses_the_runner_and_is_byte_identical(project):
    from analysis import nbtools

    nb_path = project / "notebooks" / "hyp_toy.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[-1].source += "\nimport sys\nfor i in range(3):\n    print(i, flush=True)\n    sys.stdout.flush()"
    nbfixtures.write_notebook(nb_path, nb)
    assert nbtools.main(["commit", str(nb_path)]) == 0
    first = nb_path.read_bytes()
    assert nbtools.main(["commit", str(nb_path)]) == 0
    assert nb_path.read_bytes() == first
    outs = [o for c in json.loads(first)["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert len(outs) == 1 and "".join(outs[0]["text"]).endswith("0\n1\n2\n")
    # declared inputs are enforced in a commit too
    nbfixtures.write_spec(project, "hyp_toy", {"kind": "hypothesis", "outputs": "tables/hyp_toy"})
    assert nbtools.main(["commit", str(nb_path)]) == 2
    assert nb_path.read_bytes() == first  # a failed commit leaves the notebook as it was


def test_run_with_vintage_pins_it_and_builds_the_data_first(project, monkeypatch, capsys):
    """``analysis run NB --vintage SOURCE=VINTAGE``, as reproduce: an unknown vintage is refused before anything
    runs; a committed one is pinned (workers and kernels inherit it) and the data are prepared before the run."""
    from analysis import vintages

    monkeypatch.setenv(vintages.ENV_PINS, "")  # restored after the test (pin_for_run sets it)
    monkeypatch.setattr(worker, "execute_job", lambda *a: (_ for _ in ()).throw(AssertionError("ran")))
    assert cli.main(["run", "fig_toy", "--vintage", "toy_source=1999-01"]) == 2
    assert "no such committed vintage" in capsys.readouterr().err
    seen = []
    monkeypatch.setattr(vintages, "available", lambda raw, source: ["2026-01"])
    monkeypatch.setattr(pipeline, "prepare_data", lambda **k: seen.append(vintages.os.environ[vintages.ENV_PINS]))
    monkeypatch.setattr(pipeline, "execute", lambda jobs, **k: seen.append([j.name for j in jobs]) or
                        schedule.Summary())
    assert cli.main(["run", "fig_toy", "--vintage", "toy_source=2026-01"]) == 0
    assert seen == ["toy_source=2026-01", ["fig_toy"]]
