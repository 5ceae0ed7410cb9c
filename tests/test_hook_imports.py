"""A validate hook runs in the runner's own process before any kernel starts (and in ``analysis run`` while the
kernel starts): importing it must pull in neither the estimation stack nor matplotlib (the figures' hooks live in
parameter modules apart from their drawing code). Each hook module is imported in a fresh interpreter and the
heavy packages it loaded are listed."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest

from analysis.execution import specs

NOTEBOOKS = specs.discover()
# What no hook may import: estimation (statsmodels) and plotting (matplotlib, ~0.3 s each figure hook used to pay).
HEAVY = ("statsmodels", "matplotlib")


def _hook(name: str) -> str:
    return specs.load_notebook(NOTEBOOKS[name], specs.load_specs()).meta["validate"]


# One fresh interpreter imports the packages a hook may use (``preload``) and forks a child per module, which
# imports it and reports the top-level packages then loaded.
PROBE = """
import json, os, sys
for name in sys.argv[1].split(","):
    __import__(name)
out = {}
for module in sys.argv[2:]:
    r, w = os.pipe()
    if os.fork() == 0:
        __import__(module)
        os.write(w, json.dumps(sorted({m.split('.')[0] for m in sys.modules})).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out[module] = json.loads(f.read())
    os.wait()
print(json.dumps(out))
"""


@functools.cache
def _probe(preload: str, modules: tuple[str, ...]) -> dict[str, set[str]]:
    res = subprocess.run([sys.executable, "-c", PROBE, preload, *modules], capture_output=True, text=True, check=True)
    return {m: set(v) for m, v in json.loads(res.stdout).items()}


def _hook_module(name: str) -> str:
    return _hook(name).partition(":")[0]


def _loaded(name: str) -> set[str]:
    """Packages loaded by importing ``name``'s hook module; every hook module shares one probe."""
    return _probe("numpy,pandas", tuple(sorted({_hook_module(n) for n in NOTEBOOKS})))[_hook_module(name)]


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_hook_imports_no_estimation_stack_nor_plotting(name):
    hook = _hook(name)
    loaded = _loaded(name)
    for package in HEAVY:
        assert package not in loaded, f"{name}'s hook {hook} imports {package}"


def test_the_check_sees_a_heavy_module():
    """The probe itself sees packages imported on the way (through a project module)."""
    loaded = _probe("numpy,pandas", ("analysis.plotting", "analysis.models.inference"))
    assert "matplotlib" in loaded["analysis.plotting"]
    assert "scipy" in loaded["analysis.models.inference"]
