"""Every raw source carries its provenance: a SOURCE.md beside its vintage folders and one in each vintage."""

from __future__ import annotations

import json
import shutil

import pytest

from analysis import manifest, paths, vintages
from analysis.errors import DataFileError


def test_every_source_and_every_vintage_has_a_source_md():
    raw = paths.raw_dir()
    doc = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))
    listed = {e["path"]: e for e in doc["files"]}
    for source in doc["sources"]:
        assert (raw / source / "SOURCE.md").is_file(), source
        assert listed[f"{source}/SOURCE.md"]["vintage"] == ""
        for v in vintages.available(raw, source):
            assert (raw / source / v / "SOURCE.md").is_file(), f"{source}/{v}"
    assert all(r["vintage"] for r in doc["vintages"]), "the source-level SOURCE.md is not a vintage"


def test_refresh_keeps_the_source_level_source_md_but_refuses_other_files_there(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(paths.raw_dir(), raw)
    doc = manifest.refresh(raw)
    assert {e["path"] for e in doc["files"] if e["vintage"] == ""} == {f"{s}/SOURCE.md" for s in doc["sources"]}
    (raw / "pwt" / "notes.txt").write_text("x", encoding="utf-8")
    before = (raw / "manifest.json").read_bytes()
    with pytest.raises(DataFileError, match="notes.txt.*not inside a vintage folder"):
        manifest.refresh(raw)
    assert (raw / "manifest.json").read_bytes() == before
