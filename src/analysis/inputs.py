"""The declared inputs of the running notebook: every loader asks here before it opens a file.

The runner passes each kernel the notebook's spec from ``notebooks/notebooks.toml`` in ``$SANGAKU_DECLARED``
(JSON). A loader that is about to read a processed dataset, a raw file, a package data file or a file-valued
parameter calls one of the functions below; a read the spec does not declare raises
:class:`UndeclaredInputError` naming the line to add. Outside a runner execution (the test suite, an
interactive JupyterLab session) nothing is declared and every read is allowed.

With ``$SANGAKU_READ_LOG`` set, every allowed read is appended to that file as one JSON line, so a test can
compare what a notebook opened with what it declared.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import paths
from .errors import SangakuError

ENV_DECLARED = "SANGAKU_DECLARED"
ENV_READ_LOG = "SANGAKU_READ_LOG"
PACKAGE_DIR = Path(__file__).resolve().parent

# spec key in notebooks.toml for each kind of read
SPEC_KEYS = {"processed": "processed", "raw": "raw", "package": "package", "file": "file_params"}


class UndeclaredInputError(SangakuError):
    """A notebook read a file that its entry in ``notebooks/notebooks.toml`` does not declare."""

    def __init__(self, notebook: str, kind: str, name: str, add: str):
        self.notebook, self.kind, self.name = notebook, kind, name
        super().__init__(f"notebook {notebook} reads {kind} input {name!r}, which notebooks/notebooks.toml does not "
                         f"declare: add it as a dependency, i.e. {add} under [{notebook}]")


def declared() -> dict | None:
    """The running notebook's declared inputs, or None outside a runner execution."""
    text = os.environ.get(ENV_DECLARED)
    return json.loads(text) if text else None


def log_read(kind: str, name: str) -> None:
    """Append one read to ``$SANGAKU_READ_LOG`` (no-op when unset)."""
    path = os.environ.get(ENV_READ_LOG)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": kind, "name": name}, ensure_ascii=False) + "\n")


def _allow(kind: str, name: str) -> None:
    spec = declared()
    if spec is not None:
        key = SPEC_KEYS[kind]
        allowed = spec.get(key, {}) if kind == "file" else spec.get(key, [])
        if name not in allowed:
            add = (f'file_params = ["{name}"]' if kind == "file" else f'{key} = [..., "{name}"]')
            raise UndeclaredInputError(spec.get("notebook", "?"), kind, name, add)
    log_read(kind, name)


def processed(name: str, processed_dir: Path | None = None) -> Path:
    """Path of ``data/processed/<name>.parquet`` once ``name`` is declared under ``processed``."""
    _allow("processed", name)
    return (processed_dir or paths.processed_dir()) / f"{name}.parquet"


def raw(relpath: str | Path, raw_dir: Path | None = None) -> Path:
    """Path of a raw file (relative to ``data/raw/``) read directly, once declared under ``raw``."""
    rel = Path(relpath).as_posix()
    _allow("raw", rel)
    return (raw_dir or paths.raw_dir()) / rel


def package(relpath: str | Path) -> Path:
    """Path of a package data file (relative to ``src/analysis/``), once declared under ``package``."""
    rel = Path(relpath).as_posix()
    _allow("package", rel)
    return PACKAGE_DIR / rel


def user_file(param: str, path: str | Path) -> Path:
    """A file-valued parameter's path, once ``param`` is declared under ``file_params``."""
    _allow("file", param)
    return Path(path)
