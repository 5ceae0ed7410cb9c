"""Where the project's folders are. ``SANGAKU_ROOT`` overrides the root (tests use it for scratch copies)."""

from __future__ import annotations

import functools
import os
from pathlib import Path


@functools.lru_cache(maxsize=64)
def _resolved(path: str, cwd: str) -> Path:
    # A planning step asks for the same folders hundreds of times; resolving walks the path each time. Keyed
    # on the working directory, since a relative override resolves against it.
    return Path(path).resolve()


def _resolve(path: str | Path) -> Path:
    return _resolved(str(path), os.getcwd())


def project_root() -> Path:
    """Return the project root: ``$SANGAKU_ROOT`` if set, else the checkout this package lives in."""
    env = os.environ.get("SANGAKU_ROOT")
    if env:
        return _resolve(env)
    return _resolve(__file__).parents[2]


def raw_dir() -> Path:
    """``data/raw``: immutable source files plus ``manifest.json``."""
    return project_root() / "data" / "raw"


ENV_PROCESSED = "SANGAKU_PROCESSED"


def processed_dir() -> Path:
    """``data/processed``: built by ``analysis data``; never edited by hand. ``$SANGAKU_PROCESSED`` overrides it
    (``analysis diff`` re-estimates each vintage from processed data built in a temporary folder)."""
    env = os.environ.get(ENV_PROCESSED)
    return _resolve(env) if env else project_root() / "data" / "processed"


def output_dir() -> Path:
    """``output``: executed notebooks, figures, tables and the HTML site."""
    return _resolve(os.environ.get("SANGAKU_OUTPUT", project_root() / "output"))


def notebooks_dir() -> Path:
    return project_root() / "notebooks"
