"""The declared inputs of the running notebook: every loader asks here before it opens a file.

The runner passes each kernel the notebook's spec from ``notebooks/notebooks.toml`` through ``$SANGAKU_DECLARED``
(the path of a JSON file the worker writes before each notebook, so a kernel started ahead serves any notebook;
a value starting with ``{`` is the JSON itself). A loader that is about to read a processed dataset, a raw file, a package data file or a file-valued
parameter calls one of the functions below; a read the spec does not declare raises
:class:`UndeclaredInputError` naming the line to add. Outside a runner execution (the test suite, an
interactive JupyterLab session) nothing is declared and every read is allowed.

When the spec names a ``read_log`` file (or ``$SANGAKU_READ_LOG`` is set), every allowed read and every
``analysis`` module imported is appended to it as one JSON line, so a test can compare what a notebook opened
and imported with what it declared.
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
    text = os.environ.get(ENV_DECLARED, "").strip()
    if not text:
        return None
    if not text.startswith("{"):
        text = Path(text).read_text(encoding="utf-8")
    return json.loads(text)


def log_read(kind: str, name: str) -> None:
    """Append one read to the read log (no-op when none is set)."""
    spec = declared() or {}
    path = spec.get("read_log") or os.environ.get(ENV_READ_LOG)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"notebook": spec.get("notebook", ""), "kind": kind, "name": name},
                                ensure_ascii=False) + "\n")


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
    """Path of a raw file read directly, once declared under ``raw``.

    ``relpath`` is logical (``deck/deck.txt``, relative to ``data/raw/``); the path returned is in the source's
    resolved vintage (``data/raw/deck/2025/deck.txt``, see :mod:`analysis.vintages`).
    """
    from . import vintages

    rel = Path(relpath).as_posix()
    _allow("raw", rel)
    raw = raw_dir or paths.raw_dir()
    return raw / vintages.resolve_relpath(rel, raw)


def package(relpath: str | Path) -> Path:
    """Path of a package data file (relative to ``src/analysis/``), once declared under ``package``."""
    rel = Path(relpath).as_posix()
    _allow("package", rel)
    return PACKAGE_DIR / rel


def user_file(param: str, path: str | Path) -> Path:
    """A file-valued parameter's path, once ``param`` is declared under ``file_params``."""
    _allow("file", param)
    return Path(path)


class _ImportRecorder:
    """A meta-path finder that only logs ``analysis.*`` imports (it never finds anything itself)."""

    def find_spec(self, name, path=None, target=None):  # noqa: D401 - importlib protocol
        if name.startswith("analysis."):
            log_read("module", name)
        return None


def record_imports() -> None:
    """Log every later ``analysis`` import to the read log (installed once, by ``analysis/__init__``)."""
    import sys

    if not any(isinstance(f, _ImportRecorder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ImportRecorder())
