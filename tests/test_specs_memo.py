"""A command reads each notebook several times (plan, English runs, site): ``specs.load_notebook`` keeps what it
parsed while the file's stat is unchanged, and the site keeps each executed notebook's metadata by its sha256.
Neither may ever serve a stale notebook."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from analysis.execution import filehash, specs
from analysis.site import collect
from tests.conftest import ROOT

NAME = "fig01_business_researchers_index"


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / f"{NAME}.ipynb"
    shutil.copy(ROOT / "notebooks" / f"{NAME}.ipynb", dst)
    return dst


def _set_base_year(path: Path, year: int) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"])
            new = re.sub(r"^base_year = \d+", f"base_year = {year}", src, count=1, flags=re.M)
            assert new != src or f"base_year = {year}" in src
            cell["source"] = new
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_edited_notebook_is_read_again(tmp_path, monkeypatch):
    path = _copy(tmp_path)
    spec_table = specs.load_specs(ROOT / "notebooks" / "notebooks.toml")
    assert specs.load_notebook(path, spec_table).params["base_year"] == 2011
    _set_base_year(path, 2015)  # same process, a fresh write: must be parsed again
    assert specs.load_notebook(path, spec_table).params["base_year"] == 2015
    # with the racy window off the file is remembered; an edit changes its size or times, so it is read again
    monkeypatch.setattr(specs, "RACY_SECONDS", 0.0)
    _set_base_year(path, 2016)
    assert specs.load_notebook(path, spec_table).params["base_year"] == 2016
    assert specs._PARSED[os.path.abspath(path)][2]["base_year"] == 2016  # remembered once old enough
    time.sleep(0.05)  # a later clock tick: what the 2 s window guarantees in real use
    _set_base_year(path, 2017)
    assert specs.load_notebook(path, spec_table).params["base_year"] == 2017


def test_remembered_notebook_is_a_fresh_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(specs, "RACY_SECONDS", 0.0)
    path = _copy(tmp_path)
    spec_table = specs.load_specs(ROOT / "notebooks" / "notebooks.toml")
    first = specs.load_notebook(path, spec_table)
    first.params["countries"].append("XXX")
    first.meta["title_en"] = "changed by a caller"
    first.cells.clear()
    again = specs.load_notebook(path, spec_table)
    assert "XXX" not in again.params["countries"]
    assert again.meta["title_en"] != "changed by a caller"
    assert again.cells and again.cells[0][0] in ("code", "markdown")


def test_site_metadata_cache_follows_the_file(tmp_path):
    path = _copy(tmp_path)
    known: dict[str, list] = {}
    meta = collect.sangaku_metadata(path, known)
    assert meta["kind"] == "figure" and known[path.name][0] == filehash.sha256(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["sangaku"]["title_en"] = "A new title"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    assert collect.sangaku_metadata(path, known)["title_en"] == "A new title"  # new sha: parsed again
    assert known[path.name][1]["title_en"] == "A new title"
    # a remembered entry whose sha matches is used without parsing: prove it with an entry that differs
    known[path.name] = [filehash.sha256(path), {"kind": "figure", "title_en": "from the cache"}]
    assert collect.sangaku_metadata(path, known)["title_en"] == "from the cache"
