"""Every real notebook, executed with its declared inputs enforced, opens exactly the inputs its spec declares and
imports no ``analysis`` module outside the code its key covers.

The executions audited are nbval's in the same session (``./run.sh test``: each kernel gets the runner's declared
spec and a read log, see tests/nbval_audit.py), so no notebook runs twice; a notebook nbval does not run completely
in this session, or whose nbval run failed, is executed here through the runner as before."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

import nbval_audit
from analysis import paths
from analysis.execution import cache, pipeline, specs

ROOT = Path(__file__).resolve().parents[1]
# imported by analysis/__init__ to record the audit itself, and by the template-kernel launcher
# (``python -m analysis.execution.template launch``), which runs with its kernel's environment
AUDIT_MODULES = {"analysis.inputs", "analysis.paths", "analysis.errors", "analysis.execution",
                 "analysis.execution.template"}

pytestmark = pytest.mark.after_notebooks  # handed out after the notebooks whose nbval runs it reads


def _run_through_the_runner(base: Path, names: set[str]) -> list[dict]:
    """Execute the notebooks ``names`` through the runner (defaults, no English runs) in a scratch project with a
    read log; return the log's records."""
    mp = pytest.MonkeyPatch()
    root = base / "proj"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=lambda d, ns: [n for n in ns if not (n.endswith(".toml") or
                                                                (n.endswith(".ipynb") and n[:-6] in names))])
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
    finally:
        mp.undo()
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def audit(request, tmp_path_factory) -> tuple[dict, dict]:
    specs_ = specs.load_specs()
    notebooks = {n: specs.load_notebook(p, specs_) for n, p in specs.discover().items()}
    runs = nbval_audit.recorded_runs(request.config, set(notebooks))
    records = [rec for name in sorted(runs) for rec in runs[name]]
    rest = set(notebooks) - set(runs)
    if rest:
        records += _run_through_the_runner(tmp_path_factory.mktemp("audit"), rest)
    reads: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for rec in records:
        if not rec["notebook"]:  # read by a validate hook in the runner's own process: not a kernel
            continue
        reads[rec["notebook"]][rec["kind"]].add(rec["name"])
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
