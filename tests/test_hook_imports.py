"""A validate hook runs in the runner's own process before any kernel starts (and in ``analysis run`` while the
kernel starts): importing it must not pull in the estimation stack. Each hook module is imported in a fresh
interpreter and the heavy packages it loaded are listed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis.execution import specs

NOTEBOOKS = specs.discover()
# Hooks that need no plotting either (the figure modules still import matplotlib with their drawing code).
NO_MATPLOTLIB = ("analysis.models.", "analysis.multiverse.", "analysis.figures.japan_collab_data:")


def _hook(name: str) -> str:
    return specs.load_notebook(NOTEBOOKS[name], specs.load_specs()).meta["validate"]


def _loaded(module: str) -> set[str]:
    code = (f"import sys, json; import {module}; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_hook_imports_no_estimation_stack(name):
    hook = _hook(name)
    loaded = _loaded(hook.partition(":")[0])
    assert "statsmodels" not in loaded, f"{name}'s hook {hook} imports statsmodels"
    if hook.startswith(NO_MATPLOTLIB):
        assert "matplotlib" not in loaded, f"{name}'s hook {hook} imports matplotlib"


def test_the_check_sees_a_heavy_module():
    """The probe itself sees packages imported on the way (through a project module)."""
    assert "matplotlib" in _loaded("analysis.models.summary")
    assert "scipy" in _loaded("analysis.models.inference")
