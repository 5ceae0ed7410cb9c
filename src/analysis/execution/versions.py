"""The one report of package versions: what the cache keys on and what the site shows."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from functools import lru_cache

from .. import paths


def _names(lock_text: str) -> list[str]:
    return sorted({ln.split("==")[0].strip().lower() for ln in lock_text.splitlines()
                   if ln.strip() and not ln.lstrip().startswith("#")})


def locked_names() -> list[str]:
    """Package names pinned in ``requirements.lock`` (sorted, unique)."""
    lock = paths.project_root() / "requirements.lock"
    return _names(lock.read_text(encoding="utf-8")) if lock.exists() else []


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _installed() -> dict[str, str]:
    """name -> version from the ``<name>-<version>.dist-info`` folders on ``sys.path``, first one winning as
    for ``importlib.metadata`` (reading each METADATA file instead costs a quarter of a second)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            if n.endswith(".dist-info"):
                name, _, version = n[: -len(".dist-info")].partition("-")
                found.setdefault(_normal(name), version)
    return found


@lru_cache(maxsize=None)
def _versions(lock_text: str) -> tuple[tuple[str, str], ...]:
    out = {"python": sys.version.split()[0]}
    installed = _installed()
    for name in _names(lock_text):
        version = installed.get(_normal(name))
        if version is None:  # not a dist-info folder (an egg, a zip): ask importlib
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "absent"
        out[name] = version
    return tuple(out.items())


def package_versions() -> dict[str, str]:
    """Installed version of every locked package ("absent" when not installed), plus ``python``.

    Read once per process and lock file: installed versions do not change under a running command.
    """
    lock = paths.project_root() / "requirements.lock"
    return dict(_versions(lock.read_text(encoding="utf-8") if lock.exists() else ""))
