"""The one report of package versions: what the cache keys on and what the site shows."""

from __future__ import annotations

import importlib.metadata
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


@lru_cache(maxsize=None)
def _versions(lock_text: str) -> tuple[tuple[str, str], ...]:
    out = {"python": sys.version.split()[0]}
    for name in _names(lock_text):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "absent"
    return tuple(out.items())


def package_versions() -> dict[str, str]:
    """Installed version of every locked package ("absent" when not installed), plus ``python``.

    Read once per process and lock file: installed versions do not change under a running command.
    """
    lock = paths.project_root() / "requirements.lock"
    return dict(_versions(lock.read_text(encoding="utf-8") if lock.exists() else ""))
