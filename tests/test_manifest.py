"""The raw-data manifest: every file listed, hashes checked, README statement in sync."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

import pytest

from analysis import manifest, vintages
from analysis.errors import ChecksumError, DataFileError
from tests.conftest import ROOT


def test_every_raw_file_matches_manifest(raw_dir):
    rep = manifest.verify(raw_dir)
    assert rep.checked == len(manifest.load(raw_dir)["files"])
    assert rep.checked >= 40


def test_every_source_folder_has_source_md_and_metadata(raw_dir):
    doc = manifest.load(raw_dir)
    folders = {p.name for p in raw_dir.iterdir() if p.is_dir()}
    assert folders == set(doc["sources"])
    for name in folders:  # every vintage folder carries its own SOURCE.md and is listed with its vintage
        committed = vintages.available(raw_dir, name)
        assert committed, name
        for v in committed:
            assert (raw_dir / name / v / "SOURCE.md").exists(), (name, v)
            assert any(e["vintage"] == v and e["path"] == f"{name}/{v}/SOURCE.md" for e in doc["files"]), (name, v)


def test_compressed_msti_keeps_original_sha256(raw_dir):
    entry = next(e for e in manifest.load(raw_dir)["files"] if e["path"] == "oecd_msti/2025-03/msti_raw.csv.gz")
    # The sha256 published in the source's SOURCE.md for the uncompressed extract.
    assert entry["original"]["sha256"] == "5055c0a8dec3151785a184306ab3ffdef7e744f15193838a030b7534fb343470"
    assert entry["original"]["bytes"] == 69_752_569
    h = hashlib.sha256()
    with gzip.open(raw_dir / entry["path"], "rb") as fh:
        h.update(fh.read())
    assert h.hexdigest() == entry["original"]["sha256"]


def test_changed_file_names_file_and_both_hashes(scratch_raw):
    target = vintages.folder(scratch_raw, "cincera1997") / "PatentsRD.csv"
    expected = next(e["sha256"] for e in manifest.load(scratch_raw)["files"] if e["path"] == "cincera1997/1997/PatentsRD.csv")
    target.write_text(target.read_text().replace("1983,1,4,3,18", "1983,1,4,3,19"))
    with pytest.raises(ChecksumError) as exc:
        manifest.verify(scratch_raw)
    msg = str(exc.value)
    assert "PatentsRD.csv" in msg and expected in msg and exc.value.actual in msg
    assert exc.value.actual != expected


def test_missing_and_unlisted_files_are_errors(scratch_raw):
    (vintages.folder(scratch_raw, "japan") / "extra.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataFileError, match="extra.csv.*not in the manifest"):
        manifest.verify(scratch_raw)
    (vintages.folder(scratch_raw, "japan") / "extra.csv").unlink()
    (vintages.folder(scratch_raw, "pwt") / "pwt10.01.csv.gz").unlink()
    with pytest.raises(DataFileError, match="pwt10.01.csv.gz.*missing"):
        manifest.verify(scratch_raw)


def test_refresh_records_a_deliberate_update(scratch_raw):
    target = vintages.folder(scratch_raw, "japan") / "autm_unitt.csv"
    target.write_text(target.read_text() + "")  # unchanged content keeps the hash
    before = manifest.load(scratch_raw)
    target.write_bytes(target.read_bytes() + b"\n")
    with pytest.raises(ChecksumError):
        manifest.verify(scratch_raw)
    after = manifest.refresh(scratch_raw)
    assert after["sources"] == before["sources"]
    assert manifest.verify(scratch_raw).checked == len(after["files"])


def test_refresh_refuses_folder_without_provenance(scratch_raw):
    (scratch_raw / "newsource" / "2026-01").mkdir(parents=True)
    (scratch_raw / "newsource" / "2026-01" / "x.csv").write_text("a\n1\n")
    with pytest.raises(DataFileError, match="newsource.*no entry"):
        manifest.refresh(scratch_raw)


def test_readme_availability_statement_is_generated_from_manifest(raw_dir):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- BEGIN availability.*?-->\n(.*?)<!-- END availability -->", readme, re.S)
    assert m, "README lacks the availability block"
    assert m.group(1) == manifest.availability_statement(raw_dir), \
        "README statement differs from the manifest: paste `analysis manifest --statement` into it"


def test_manifest_is_valid_json_with_required_fields(raw_dir):
    doc = json.loads((raw_dir / "manifest.json").read_text())
    for e in doc["files"]:
        assert set(e) >= {"path", "source", "sha256", "bytes"}
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"])
