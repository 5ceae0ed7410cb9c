"""pyproject.toml and environment.yml list the same packages; the lock pins each of them."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _env_yml_packages() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"^\s+- (?!-e )([A-Za-z0-9_.\-]+)", line)
        if m and m.group(1) not in {"pip", "python"}:
            names.add(_name(m.group(1)))
    return names


def test_pyproject_and_environment_yml_agree():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {_name(d) for d in deps} == _env_yml_packages()


def test_lock_pins_every_dependency():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {_name(l) for l in (ROOT / "requirements.lock").read_text().splitlines()
              if l and not l.startswith("#")}
    missing = {_name(d) for d in deps} - pinned
    assert not missing, f"requirements.lock lacks {missing}"


def test_env_yml_python_is_311():
    assert re.search(r"^\s+- python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.M)
