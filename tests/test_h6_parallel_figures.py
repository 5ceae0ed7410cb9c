"""h6's specification curves drawn in forked worker processes (analysis.multiverse.curves): the same files to the
byte as the serial path, in the same order, and a failing figure named by its hypothesis with nothing
half-written. The multiverse is a small real one (F1, C2a, I1 on the real panels, 36 specifications)."""

from __future__ import annotations

import os
import struct

import pandas as pd
import pytest

from analysis import io as io_mod
from analysis.multiverse import curves, engine, figure

HYPOTHESES = ["I1", "F1", "C2a"]  # not the registry's order: the output must follow the order asked for
SMALL = (["F1", "C2a", "I1"],
         {"window": ["1983-1991", "1987-1991", "all", "1980-2005"], "controls": "sector_region_year",
          "firms": ["all", "no_top5"], "flags": "keep", "exclude": ["none", "CHN"], "effects": "twoway",
          "elasticities": "convention_70_30", "intensity": "rdk_output", "countries": "all", "rd_lag": 1})

needs_fork = pytest.mark.skipif(engine.start_method() != "fork",
                                reason="the failure is injected into this process and inherited by forked workers")


@pytest.fixture(scope="module")
def mv():
    return engine.run(*SMALL, reps=99, workers=1)


@pytest.fixture(scope="module")
def serial(mv, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return out, curves.save_all(mv, HYPOTHESES, "ja", out, workers=1)


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_parallel_files_are_byte_identical_to_the_serial_ones(mv, serial, tmp_path):
    serial_dir, serial_paths = serial
    saved = curves.save_all(mv, HYPOTHESES, "ja", tmp_path, workers=2)
    assert [p["png"].name for p in saved] == [f"spec_curve_{h}.png" for h in HYPOTHESES]
    assert [p["png"].name for p in serial_paths] == [f"spec_curve_{h}.png" for h in HYPOTHESES]
    expected = {f"spec_curve_{h}.{ext}" for h in HYPOTHESES for ext in ("png", "svg", "csv")}
    a, b = _files(serial_dir), _files(tmp_path)
    assert set(a) == set(b) == expected  # no temporary file left beside them
    for name in sorted(expected):
        assert a[name] == b[name], f"{name} differs between the serial and the parallel path"
    # the files are the figures of these hypotheses: the CSV holds each estimated specification, sorted
    for h in HYPOTHESES:
        csv = pd.read_csv(tmp_path / f"spec_curve_{h}.csv")
        curve = figure.curve_data(mv.table, h)
        assert csv["spec_id"].tolist() == curve["spec_id"].tolist() and len(csv) > 0
        assert csv["estimate"].is_monotonic_increasing
        png = b[f"spec_curve_{h}.png"]
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 12 * 150 and height > 800  # 13 inches at savefig.dpi 150 (tight box), a panel per row


def test_one_worker_draws_in_this_process(mv, serial, tmp_path, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("workers=1 must not start a process pool")

    monkeypatch.setattr(engine, "default_executor", no_pool)
    saved = curves.save_all(mv, HYPOTHESES, "ja", tmp_path, workers=1)
    assert [p["svg"] for p in saved] == [tmp_path / f"spec_curve_{h}.svg" for h in HYPOTHESES]
    assert _files(tmp_path) == _files(serial[0])


@needs_fork
def test_a_failure_in_a_worker_names_the_hypothesis_and_leaves_no_half_written_file(mv, serial, tmp_path,
                                                                                    monkeypatch):
    """C2a's SVG fails half-way through its write (in the worker): the error names C2a and carries the cause;
    no C2a SVG and no temporary file exist; the figures that finished are complete and equal the serial ones."""
    write_bytes = io_mod.write_bytes

    def half_then_fail(path, data):
        if str(path).endswith("spec_curve_C2a.svg"):
            with io_mod.atomic_path(path) as tmp:
                tmp.write_bytes(data[: len(data) // 2])
                raise OSError(28, "No space left on device (injected)")
        write_bytes(path, data)

    monkeypatch.setattr(io_mod, "write_bytes", half_then_fail)  # inherited by the forked workers
    with pytest.raises(curves.CurveError, match=r"specification curve of C2a: OSError: .*injected") as info:
        curves.save_all(mv, HYPOTHESES, "ja", tmp_path, workers=2)
    assert info.value.hypothesis == "C2a"
    assert "injected" in repr(info.value.__cause__)
    names = set(os.listdir(tmp_path))
    assert "spec_curve_C2a.svg" not in names
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")], names
    ref = _files(serial[0])
    for name in names:
        assert (tmp_path / name).read_bytes() == ref[name], f"{name} is not the complete figure file"
    # I1 and F1 come before C2a: their figures were all written
    assert {f"spec_curve_{h}.{e}" for h in ("I1", "F1") for e in ("png", "svg", "csv")} <= names


@needs_fork
def test_a_worker_that_dies_is_reported_with_the_unfinished_hypotheses(mv, tmp_path, monkeypatch):
    plot = figure.plot

    def die_on_f1(m, hypothesis, lang="ja"):
        if hypothesis == "F1":
            os._exit(3)
        return plot(m, hypothesis, lang)

    monkeypatch.setattr(figure, "plot", die_on_f1)
    with pytest.raises(curves.CurveError, match=r"a worker process died while the figures of .*F1") as info:
        curves.save_all(mv, HYPOTHESES, "ja", tmp_path, workers=2)
    assert info.value.hypothesis in ("I1", "F1")  # I1 may still have been running when F1's worker died
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_a_failure_in_the_serial_path_names_the_hypothesis(mv, tmp_path):
    broken = engine.Multiverse(mv.table[mv.table["hypothesis"] != "F1"], mv.tests, mv.accounting, {}, {},
                               mv.params)
    with pytest.raises(curves.CurveError, match=r"^specification curve of F1: ") as info:
        curves.save_all(broken, HYPOTHESES, "ja", tmp_path, workers=1)
    assert info.value.hypothesis == "F1"
    assert sorted(os.listdir(tmp_path)) == ["spec_curve_I1.csv", "spec_curve_I1.png", "spec_curve_I1.svg"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_whole_number_of_at_least_one(mv, tmp_path, bad):
    with pytest.raises(ValueError, match="workers must be a whole number >= 1"):
        curves.save_all(mv, HYPOTHESES, "ja", tmp_path, workers=bad)
    assert os.listdir(tmp_path) == []
