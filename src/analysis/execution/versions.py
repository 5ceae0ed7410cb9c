"""The one report of package versions: what the cache keys on and what the site shows."""

from __future__ import annotations

import importlib.metadata
import sys

from .. import paths


def locked_names() -> list[str]:
    """Package names pinned in ``requirements.lock`` (sorted, unique)."""
    lock = paths.project_root() / "requirements.lock"
    if not lock.exists():
        return []
    names = {ln.split("==")[0].strip().lower() for ln in lock.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")}
    return sorted(names)


def package_versions() -> dict[str, str]:
    """Installed version of every locked package ("absent" when not installed), plus ``python``."""
    out = {"python": sys.version.split()[0]}
    for name in locked_names():
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "absent"
    return out
