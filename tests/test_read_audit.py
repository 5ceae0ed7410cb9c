"""Every real notebook, executed by the runner, opens exactly the inputs its spec declares and imports no
``analysis`` module outside the code its key covers."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from analysis import paths
from analysis.execution import cache, pipeline, specs

ROOT = Path(__file__).resolve().parents[1]
# imported by analysis/__init__ to record the audit itself, and by the template-kernel launcher
# (``python -m analysis.execution.template launch``), which runs with its kernel's environment
AUDIT_MODULES = {"analysis.inputs", "analysis.paths", "analysis.errors", "analysis.execution",
                 "analysis.execution.template"}


@pytest.fixture(scope="module")
def audit(tmp_path_factory) -> tuple[dict, dict]:
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("audit")
    root = base / "proj"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=lambda d, names: [n for n in names if not n.endswith((".ipynb", ".toml"))])
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    (root / "data").mkdir()
    (root / "data" / "raw").symlink_to(paths.raw_dir())
    (root / "data" / "processed").symlink_to(paths.processed_dir())
    log = base / "reads.jsonl"
    mp.setenv("SANGAKU_ROOT", str(root))
    mp.setenv("SANGAKU_OUTPUT", str(base / "output"))
    mp.setenv("SANGAKU_READ_LOG", str(log))
    try:
        summary = pipeline.reproduce(data=False, site=False, languages=False, jobs=2, progress=lambda m: None)
        assert summary.ok, [r.message for r in summary.failed]
        reads: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for line in log.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if not rec["notebook"]:  # read by a validate hook in the runner's own process: not a kernel
                continue
            reads[rec["notebook"]][rec["kind"]].add(rec["name"])
        specs_ = specs.load_specs()
        notebooks = {n: specs.load_notebook(p, specs_) for n, p in specs.discover().items()}
    finally:
        mp.undo()
    return reads, notebooks


def test_every_notebook_was_audited(audit):
    reads, notebooks = audit
    assert sorted(reads) == sorted(notebooks)


@pytest.mark.parametrize("kind, key", [("processed", "processed"), ("raw", "raw"), ("package", "package")])
def test_what_each_notebook_opened_equals_what_it_declared(audit, kind, key):
    reads, notebooks = audit
    for name, nb in notebooks.items():
        assert reads[name][kind] == set(getattr(nb.spec, key)), f"{name}: {kind} reads differ from the spec"


def test_every_imported_module_is_in_the_key(audit):
    reads, notebooks = audit
    for name, nb in notebooks.items():
        covered = set(cache.code_modules(nb)) | AUDIT_MODULES
        imported = reads[name]["module"]
        assert imported, f"{name}: no import recorded (is the recorder installed?)"
        assert imported <= covered, f"{name} imports {sorted(imported - covered)} outside its key"
