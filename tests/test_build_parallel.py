"""The parallel data build writes the same files as a build in one process; CSV copies only when asked."""

from __future__ import annotations

import json

import pytest

from analysis import build, manifest, vintages
from analysis.errors import DataFileError

SMALL = ["cincera1997", "ehs2013_rdspillovers", "japan"]  # one with a panel, real files, a few seconds


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_parallel_and_sequential_builds_are_byte_identical(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    h1 = build.build(out=one, sources=SMALL, jobs=1)
    msgs: list[str] = []
    h2 = build.build(out=two, sources=SMALL, jobs=2, progress=msgs.append)
    assert h1 == h2 and _files(one) == _files(two)
    assert set(h1) == {"cincera1997.parquet", "cincera1997_panel.parquet", "ehs2013_panel.parquet",
                       "ehs2013_rdspillovers.parquet", "japan.parquet"}
    assert [m.split(":")[0] for m in msgs if m.startswith("loaded")] == [f"loaded {s}" for s in SMALL]
    assert "2 workers; peak memory" in msgs[-1] and "MiB in the largest worker" in msgs[-1]


def test_csv_copies_only_when_asked_and_never_stale(tmp_path):
    out = tmp_path / "p"
    with_csv = build.build(out=out, sources=["cincera1997"], csv=True)
    assert {"cincera1997.csv", "cincera1997_panel.csv"} <= set(with_csv)
    assert (out / "cincera1997.csv").read_text().startswith("entity,entity_type,year,")
    listed = json.loads((out / "BUILD.json").read_text())["outputs"]
    assert listed["cincera1997.csv"] == with_csv["cincera1997.csv"]
    without = build.build(out=out, sources=["cincera1997"])
    assert not any(f.endswith(".csv") for f in without)
    assert not list(out.glob("*.csv"))  # an old copy would no longer match the Parquet file
    assert not any(f.endswith(".csv") for f in json.loads((out / "BUILD.json").read_text())["outputs"])


def test_failing_worker_leaves_no_temporary_file_and_names_the_row(scratch_raw, tmp_path):
    out = tmp_path / "p"
    build.build(scratch_raw, out, sources=["cincera1997", "japan"], jobs=2)
    before = _files(out)
    bad = vintages.folder(scratch_raw, "japan") / "autm_unitt.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[2] = "about 90"
    lines[3] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest.refresh(scratch_raw)
    with pytest.raises(DataFileError, match=r"autm_unitt.csv, column 'value', row 4: non-numeric value 'about 90'"):
        build.build(scratch_raw, out, sources=["cincera1997", "japan"], jobs=2)
    assert _files(out) == before  # nothing replaced, no .tmp left beside the processed files
