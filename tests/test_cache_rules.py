"""The cache rules on the real project (issue cases): each edit changes exactly the keys of the notebooks that
declare or import what was edited, and nothing else. Keys only: no kernel starts here (end-to-end reruns with
new values are in test_cache_reruns.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import inputs, paths, vintages
from analysis.execution import cache, codegraph, layout, specs

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "analysis"


def _make_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project: notebooks and requirements.lock copied, raw files linked (copied when edited)."""
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=lambda d, names: [n for n in names if not n.endswith((".ipynb", ".toml"))])
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    raw = root / "data" / "raw"
    for src in (ROOT / "data" / "raw").rglob("*"):
        if src.is_file():
            dst = raw / src.relative_to(ROOT / "data" / "raw")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    (root / "data" / "processed").mkdir(parents=True)
    shutil.copy(paths.processed_dir() / "BUILD.json", root / "data" / "processed" / "BUILD.json")
    pkg = tmp_path / "analysis"
    shutil.copytree(PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.setattr(codegraph, "PACKAGE_DIR", pkg)
    monkeypatch.setattr(inputs, "PACKAGE_DIR", pkg)
    return root


@pytest.fixture()
def scratch(tmp_path, monkeypatch) -> Path:
    return _make_scratch(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, str]:
    """Every notebook's key in an unedited scratch project, computed once for the module: the "before" of the
    tests below (a key holds no path, so every unedited scratch copy has these; the first test checks it)."""
    with pytest.MonkeyPatch.context() as mp:
        _make_scratch(tmp_path_factory.mktemp("pristine"), mp)
        return _keys()


def _keys() -> dict[str, str]:
    specs_ = specs.load_specs()
    ctx = cache.Context.current()
    return {name: cache.notebook_key(specs.load_notebook(p, specs_), {}, ctx).digest
            for name, p in specs.discover().items()}


def _edit(path: Path, old: str | None = None, new: str = "") -> None:
    """Replace ``old`` by ``new`` (or append ``new``) in a copy of the file, leaving the original untouched."""
    text = path.read_text(encoding="utf-8")
    if path.is_symlink():
        path.unlink()
    if old is None:
        text += new
    else:
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _changed(before: dict[str, str]) -> list[str]:
    after = _keys()
    return sorted(n for n in before if after[n] != before[n])


def test_raw_file_read_directly_changes_only_its_notebook(scratch, pristine):
    before, data_before = _keys(), cache.data_key().digest
    assert before == pristine  # another scratch copy, the same keys
    _edit(scratch / "data" / "raw" / vintages.resolve_relpath("deck/deck.txt", scratch / "data" / "raw"), new="\n追記\n")
    assert _changed(before) == ["fig09_deck_statements"]
    assert cache.data_key().digest == data_before  # the deck is no source of processed data


def test_raw_file_of_a_built_source_changes_the_data_key_not_the_notebooks(scratch, pristine):
    before, data_before = pristine, cache.data_key()
    manifest = scratch / "data" / "raw" / "manifest.json"
    _edit(manifest, '"sha256": "', '"sha256": "0')  # as `manifest --refresh` would after a deliberate edit
    after = cache.data_key()
    assert after.digest != data_before.digest
    assert cache.changes({"parts": data_before.parts, "detail": data_before.detail}, after)[0].startswith("input raw:")
    assert _changed(before) == []  # notebooks see new data through processed files' hashes


@pytest.mark.parametrize("family, expected", [
    # h5 and h6 (specification curves) declare every family's registry
    ("firm", ["h1_firm_replication_cincera", "h2_firm_absorptive_capacity", "h5_summary_all_hypotheses",
              "h6_specification_curves"]),
    ("country", ["h4_country_absorptive_capacity", "h5_summary_all_hypotheses", "h6_specification_curves"]),
    ("industry", ["h3_industry_two_faces", "h5_summary_all_hypotheses", "h6_specification_curves"]),
])
def test_registry_edit_changes_the_notebooks_of_its_family(scratch, pristine, family, expected):
    before = pristine
    toml = codegraph.PACKAGE_DIR / "hypotheses" / f"{family}.toml"
    _edit(toml, 'expected_sign = "+"', 'expected_sign = "-"')
    assert _changed(before) == expected


def test_package_data_of_one_figure_changes_only_that_figure(scratch, pristine):
    before = pristine
    _edit(codegraph.PACKAGE_DIR / "deck_statements.toml", new="\n# edited\n")
    assert _changed(before) == ["fig09_deck_statements"]


@pytest.mark.parametrize("module", ["site/__init__.py", "cli.py", "execution/pipeline.py", "execution/cache.py",
                                    "manifest.py", "nbtools.py"])
def test_code_no_notebook_imports_changes_nothing(scratch, pristine, module):
    before, data_before = pristine, cache.data_key().digest
    _edit(codegraph.PACKAGE_DIR / module, new="\n# a comment\n")
    assert _changed(before) == []
    if module != "manifest.py":  # the build verifies through manifest: it is in the data build's code
        assert cache.data_key().digest == data_before


def test_code_a_notebook_imports_changes_exactly_its_importers(scratch, pristine):
    before = pristine
    _edit(codegraph.PACKAGE_DIR / "figures" / "deck_statements.py", new="\n# a comment\n")
    assert _changed(before) == ["fig09_deck_statements"]
    before = _keys()
    _edit(codegraph.PACKAGE_DIR / "models" / "country.py", new="\n# a comment\n")
    # h6's specification curves estimate the country family with its models
    assert _changed(before) == ["h4_country_absorptive_capacity", "h5_summary_all_hypotheses",
                                "h6_specification_curves"]


def test_source_module_changes_the_data_key(scratch):
    data_before = cache.data_key().digest
    _edit(codegraph.PACKAGE_DIR / "sources" / "pwt.py", new="\n# a comment\n")
    assert cache.data_key().digest != data_before


def test_the_message_names_what_changed(scratch):
    specs_ = specs.load_specs()
    nb = specs.load_notebook(specs.discover()["fig09_deck_statements"], specs_)
    old = cache.notebook_key(nb, {}, cache.Context.current())
    _edit(scratch / "data" / "raw" / vintages.resolve_relpath("deck/deck.txt", scratch / "data" / "raw"), new="\n追記\n")
    _edit(codegraph.PACKAGE_DIR / "deck.py", new="\n# a comment\n")
    new = cache.notebook_key(nb, {}, cache.Context.current())
    said = cache.changes({"parts": old.parts, "detail": old.detail}, new)
    assert said == ["input raw:deck/deck.txt changed", "module analysis.deck changed"]


# ------------------------------------------------------------------------------------------ conventions


def test_every_notebook_has_a_spec_that_follows_the_conventions():
    specs_ = specs.load_specs(ROOT / "notebooks" / layout.SPEC_FILE)
    found = specs.discover(ROOT / "notebooks")
    assert sorted(specs_) == sorted(found), "one spec entry per notebook, and none without a notebook"
    built = {Path(f).stem for f in cache.build_outputs(paths.processed_dir())}
    for name, spec in specs_.items():
        nb = specs.load_notebook(found[name], specs_)
        assert spec.outputs == f"{layout.OUTPUT_KINDS[spec.kind]}/{name}", name
        assert nb.meta.get("kind", spec.kind) == spec.kind, name
        assert set(spec.processed) <= built, f"{name} declares datasets the build does not make"
        for rel in spec.raw:
            assert (ROOT / "data" / "raw" / vintages.resolve_relpath(rel, ROOT / "data" / "raw")).is_file(), f"{name}: raw {rel}"
        for rel in spec.package:
            assert (PKG / rel).is_file(), f"{name}: package {rel}"
        assert set(spec.file_params) <= set(nb.params), f"{name}: file_params must be parameters"
        # every literal data.load("x") in the notebook is declared
        import re

        loads = {m for src in nb.code_sources() for m in re.findall(r'data\.load\("([^"]+)"\)', src)}
        assert loads <= set(spec.processed), f"{name} loads {loads - set(spec.processed)} without declaring them"


def test_a_malformed_spec_names_the_notebook_and_key(tmp_path):
    from analysis.errors import DataFileError

    path = tmp_path / "notebooks.toml"
    path.write_text('[fig_x]\nkind = "figure"\noutputs = "figures/fig_x"\nreads = ["japan"]\n')
    with pytest.raises(DataFileError, match=r"\[fig_x\] has unknown keys \['reads'\]"):
        specs.load_specs(path)
    path.write_text('[fig_x]\nkind = "chart"\noutputs = "figures/fig_x"\n')
    with pytest.raises(DataFileError, match="kind 'chart' is not one of"):
        specs.load_specs(path)
    path.write_text('[fig_x]\nkind = "figure"\noutputs = "figures/fig_x"\nprocessed = "japan"\n')
    with pytest.raises(DataFileError, match="processed must be a list"):
        specs.load_specs(path)


def test_a_data_file_that_is_part_of_a_module_counts_as_its_code(scratch, pristine):
    """sources/japan_series.toml is read by sources/japan.py itself: editing it rebuilds the data and re-runs
    the notebooks that import the module, like an edit of the module would."""
    before, data_before = pristine, cache.data_key().digest
    _edit(codegraph.PACKAGE_DIR / "sources" / "japan_series.toml", new="\n# edited\n")
    assert cache.data_key().digest != data_before
    importers = sorted(n for n, p in specs.discover().items()
                       if "analysis.sources.japan" in cache.code_modules(specs.load_notebook(p)))
    assert importers and _changed(before) == importers
