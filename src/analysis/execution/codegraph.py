"""Which ``analysis`` modules a piece of code imports, followed through the package (static, with ``ast``).

The cache keys a notebook on the modules its code cells import and everything those import in turn (including
imports inside functions, which run when called), plus the ``__init__`` of every package on the way, and the
data files that are part of a module (``<module>_*.toml`` beside it). A module
no notebook reaches — the site, the command line — changes no notebook's key. The imports found in each file are
kept in ``output/.cache/imports.json`` (a module by its path, mtime and size; a cell by its text), so a cached
command parses only what changed.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path
from typing import Iterable, Iterator

PACKAGE = "analysis"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
SCAN_FILE = "imports.json"  # in output/.cache


def module_file(module: str, package_dir: Path | None = None) -> Path | None:
    """The file of ``analysis.x.y`` (``x/y.py`` or ``x/y/__init__.py``), or None when it is not a module."""
    package_dir = package_dir or PACKAGE_DIR
    parts = module.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if parts and cand.is_file():
            return cand
    return package_dir / "__init__.py" if not parts else None


def _strip_magics(source: str) -> str:
    # IPython lines (%magic, !shell) are not Python; they import nothing of ours.
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _import_statements(stmts: list) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements at any depth (in functions, classes, branches), visiting statements only: imports
    are statements, and skipping expressions makes this ten times faster than ``ast.walk``."""
    for node in stmts:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if block:
                yield from _import_statements(block)


def imported_names(source: str, current: str = "", is_package: bool = False) -> set[str]:
    """Absolute names that ``source`` imports (``from x import y`` gives both ``x`` and ``x.y``)."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return set()
    out: set[str] = set()
    pkg_parts = current.split(".") if is_package else current.split(".")[:-1]
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        else:
            if node.level:
                base_parts = pkg_parts[: len(pkg_parts) - node.level + 1] if node.level > 1 else pkg_parts
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in out if n == PACKAGE or n.startswith(PACKAGE + ".")}


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# Parsing is most of a cached run's work, so the imports found are kept on disk across commands:
# {"module:<name>": [file, mtime_ns, size, names], "cell:<sha1>": names}. A changed file is parsed again.
_SCANS: dict | None = None
_SCANS_DIRTY = False


def _scans() -> dict:
    global _SCANS
    if _SCANS is None:
        try:
            from . import layout

            _SCANS = json.loads((layout.cache_dir() / SCAN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _SCANS = {}
    return _SCANS


def save_scans() -> None:
    """Write the import scans found in this process (no-op when nothing new was parsed)."""
    global _SCANS_DIRTY
    if _SCANS_DIRTY and _SCANS is not None:
        from .. import io
        from . import layout

        try:
            io.write_text(layout.cache_dir() / SCAN_FILE, json.dumps(_SCANS, sort_keys=True))
        except OSError:  # an output folder we may not write: the scans are only a speed-up
            pass
        _SCANS_DIRTY = False


def _remember(key: str, value) -> None:
    global _SCANS_DIRTY
    _scans()[key] = value
    _SCANS_DIRTY = True


def _cell_names(source: str) -> list[str]:
    key = "cell:" + hashlib.sha1(source.encode()).hexdigest()
    names = _scans().get(key)
    if names is None:
        names = sorted(imported_names(source))
        _remember(key, names)
    return names


def _direct(module: str, file: Path) -> list[str]:
    st = file.stat()
    key = f"module:{module}"
    hit = _scans().get(key)
    if hit and hit[:3] == [str(file), st.st_mtime_ns, st.st_size]:
        return hit[3]
    names = sorted(imported_names(file.read_text(encoding="utf-8"), module, file.name == "__init__.py"))
    _remember(key, [str(file), st.st_mtime_ns, st.st_size, names])
    return names


def closure(roots: Iterable[str], sources: Iterable[str] = (), package_dir: Path | None = None,
            memo: dict | None = None) -> dict[str, Path]:
    """Every ``analysis`` module reached from the ``roots`` modules and the code in ``sources``: name -> file.

    ``memo`` (a dict the caller keeps for one planning step, ``cache.Context``) remembers each imported name's
    own closure, and each module's file and direct imports, so the 27 jobs of a reproduce, which import mostly
    the same modules, look at each module once.
    """
    todo = list(roots)
    for src in sources:
        todo.extend(_cell_names(src))
    if memo is not None:
        modules = memo.setdefault(("<modules>", str(package_dir)), {})
        out: dict[str, Path] = {}
        for name in todo:
            key = (name, str(package_dir))
            if key not in memo:
                memo[key] = _walk([name], package_dir, modules)
            out.update(memo[key])
        return dict(sorted(out.items()))
    return _walk(todo, package_dir, {})


def _walk(todo: list[str], package_dir: Path | None, modules: dict) -> dict[str, Path]:
    """The modules reached from ``todo``; ``modules`` keeps each name's (file, direct imports) across walks."""
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in modules:
            file = module_file(name, package_dir)
            modules[name] = (file, _direct(name, file) if file is not None else [])
        file, direct = modules[name]
        if file is None:  # ``from analysis.x import function``: not a module
            continue
        seen[name] = file
        todo.extend(_parents(name))
        todo.extend(direct)
    return dict(sorted(seen.items()))


def companions(module_path: Path) -> list[Path]:
    """Data files that belong to a module's code: ``<module>_*.toml`` beside it (``japan.py`` ->
    ``japan_series.toml``). The module reads them as part of itself, so they count as its code."""
    if module_path.name == "__init__.py":
        return []
    try:  # a file added, removed or renamed in the folder changes the folder's mtime
        folder_mtime = module_path.parent.stat().st_mtime_ns
    except OSError:
        return []
    return list(_companions(module_path, folder_mtime))


@functools.lru_cache(maxsize=1024)
def _companions(module_path: Path, folder_mtime: int) -> tuple[Path, ...]:
    return tuple(sorted(module_path.parent.glob(f"{module_path.stem}_*.toml")))


def file_hashes(modules: dict[str, Path]) -> dict[str, str]:
    """sha256 of each module's file content, and of each companion data file (``module:file.toml``)."""
    from .filehash import sha256  # remembered by stat: a cached command reads no unchanged module

    out = {}
    for name, path in modules.items():
        out[name] = sha256(path)
        for data in companions(path):
            out[f"{name}:{data.name}"] = sha256(data)
    return out
