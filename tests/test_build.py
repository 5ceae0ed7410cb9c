"""The processed-data build: all sources validated before anything is written; a failure loses nothing."""

from __future__ import annotations

import pytest

from analysis import build, manifest, vintages
from analysis.errors import ChecksumError, DataFileError


def test_failed_build_leaves_previous_processed_files_untouched(scratch_raw, tmp_path):
    out = tmp_path / "processed"
    build.build(scratch_raw, out, sources=["cincera1997", "japan"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # A deliberate but broken data update: the manifest is refreshed, the file has text in a numeric column.
    bad = vintages.folder(scratch_raw, "japan") / "autm_unitt.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[2] = "about 90"
    lines[3] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest.refresh(scratch_raw)
    with pytest.raises(DataFileError, match=r"autm_unitt.csv, column 'value', row 4: non-numeric value 'about 90'"):
        build.build(scratch_raw, out, sources=["cincera1997", "japan"])
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


def test_build_refuses_a_changed_raw_file(scratch_raw, tmp_path):
    target = vintages.folder(scratch_raw, "cincera1997") / "PatentsRD.csv"
    target.write_bytes(target.read_bytes().replace(b"1983,1,4,3,18", b"1983,1,4,3,81"))
    with pytest.raises(ChecksumError, match="PatentsRD.csv"):
        build.build(scratch_raw, tmp_path / "p", sources=["cincera1997"])
    assert not (tmp_path / "p").exists()


def test_unknown_source_is_a_parameter_error(tmp_path):
    from analysis.errors import ParameterError
    with pytest.raises(ParameterError, match="sources.*valid choices"):
        build.build(out=tmp_path, sources=["no_such_source"])
