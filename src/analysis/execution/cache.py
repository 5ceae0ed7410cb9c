"""The cache rules, in one module: what enters a notebook's key and the data build's, and what changed.

A notebook's key is the sha256 of these parts, nothing more:

* ``notebook``   its cells, its metadata and its spec entry (``notebooks/notebooks.toml``);
* ``parameters`` the parameters it runs with (file parameters by path here, by content under ``inputs``);
* ``inputs``     the content of every declared input: processed datasets, raw files, package data files,
                 the files that file parameters name, and the raw files of the vintage a set vintage parameter
                 names (``compare_vintage``: ``raw:oecd_msti/2025-03/msti_raw.csv.gz``);
* ``code``       the ``analysis`` modules its code imports, followed through the package (``codegraph``);
* ``package versions``, ``kernel`` and ``epoch`` (bump ``CACHE_EPOCH`` to invalidate every result at once).

The data build's key is the raw files of the sources it builds plus the code reached from ``analysis.build``
and the source modules. Records keep each part and each input's and module's hash, so a rerun says exactly
what changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import inputs, io, paths, vintage_params, vintages
from ..errors import DataFileError
from . import codegraph, filehash, layout, versions
from .specs import Notebook

CACHE_EPOCH = 2  # bump when the key recipe changes, or to re-run everything once


def sha(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _file_sha(path: Path) -> str:
    return filehash.sha256(path) if path.is_file() else "missing"


def build_outputs(processed: Path | None = None) -> dict[str, str]:
    """``BUILD.json`` outputs {file: sha256}; empty when data have not been built."""
    path = (processed or paths.processed_dir()) / "BUILD.json"
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text()).get("outputs", {}))
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class Context:
    """What every key shares within one invocation (computed once)."""

    versions: dict[str, str]
    outputs: dict[str, str]
    kernel: str = layout.KERNEL_NAME
    # each imported name's module closure, computed once per planning step (codegraph.closure)
    closures: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def current(cls) -> "Context":
        return cls(versions.package_versions(), build_outputs())


def input_hashes(nb: Notebook, params: dict[str, Any], ctx: Context) -> dict[str, str]:
    """``kind:name`` -> sha256 of each declared input's content ("missing" when absent)."""
    out: dict[str, str] = {}
    for name in nb.spec.processed:
        files = {f: h for f, h in ctx.outputs.items() if Path(f).stem == name}
        out[f"processed:{name}"] = sha(files) if files else "missing"
    for rel in nb.spec.raw:  # logical names (deck/deck.txt), read from the resolved vintage, which is named too
        real = vintages.resolve_relpath(rel, paths.raw_dir())
        out[f"raw:{rel}"] = _file_sha(paths.raw_dir() / real)
        out[f"vintage:{rel.split('/', 1)[0]}"] = vintages.vintage_of(real) or "none"
    for rel in vintage_params.expand(nb.spec.vintage_params, params, nb.params, nb.name):  # by its vintage's path
        out[f"raw:{rel}"] = _file_sha(paths.raw_dir() / rel)
    for rel in nb.spec.package:
        out[f"package:{rel}"] = _file_sha(inputs.PACKAGE_DIR / rel)
    for name in nb.spec.file_params:
        value = params.get(name, nb.params.get(name))
        if isinstance(value, str) and value:
            out[f"file:{name}"] = _file_sha(Path(value))
    return out


def code_modules(nb: Notebook, ctx: Context | None = None) -> dict[str, Path]:
    """The ``analysis`` modules a notebook's code and its validate hook reach."""
    hook = str(nb.meta.get("validate", "")).partition(":")[0]
    return codegraph.closure([hook] if hook else [], nb.code_sources(), memo=ctx.closures if ctx else None)


@dataclass(frozen=True)
class Key:
    """A content address with its parts and, for inputs and code, the hash of each member."""

    parts: dict[str, str]
    detail: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha(self.parts)


def notebook_key(nb: Notebook, params: dict[str, Any], ctx: Context) -> Key:
    """The key of one execution of ``nb`` with ``params``."""
    ins = input_hashes(nb, params, ctx)
    code = codegraph.file_hashes(code_modules(nb, ctx))
    parts = {
        "notebook": sha({"cells": nb.cells, "sangaku": nb.meta, "spec": nb.spec.as_dict()}),
        "parameters": sha(params),
        "inputs": sha(ins),
        "code": sha(code),
        "package versions": sha(ctx.versions),
        "kernel": sha(ctx.kernel),
        "epoch": str(CACHE_EPOCH),
    }
    return Key(parts, {"inputs": ins, "code": code})


def data_key(raw: Path | None = None) -> Key:
    """The key of the data build: the manifest entries of the raw files it reads and its code."""
    from .. import manifest
    from ..sources import SOURCE_MODULES

    doc = manifest.load(raw)
    used = vintages.resolved(raw or paths.raw_dir(), sorted(SOURCE_MODULES))  # each source's pinned/newest vintage
    files = {f"raw:{e['path']}": e["sha256"] for e in doc["files"]
             if e.get("source") in SOURCE_MODULES and vintages.vintage_of(e["path"]) == used.get(e["source"])}
    code = codegraph.file_hashes(codegraph.closure(["analysis.build", *SOURCE_MODULES.values()]))
    parts = {"inputs": sha(files), "vintages": sha(used), "code": sha(code),
             "package versions": sha(versions.package_versions()), "epoch": str(CACHE_EPOCH)}
    return Key(parts, {"inputs": files, "code": code})


def changes(old: dict, new: Key) -> list[str]:
    """What differs between a stored record and a new key, in words ("input raw:deck/deck.txt changed")."""
    old_parts, old_detail = old.get("parts", {}), old.get("detail", {})
    said = []
    for part, value in new.parts.items():
        if old_parts.get(part) == value:
            continue
        members = new.detail.get(part)
        if members is not None and part in old_detail:
            before = old_detail[part]
            moved = sorted(k for k in set(members) | set(before) if members.get(k) != before.get(k))
            if moved:
                word = "input" if part == "inputs" else "module"
                said.append(f"{word}{'s' if len(moved) > 1 else ''} {', '.join(moved)} changed")
                continue
        said.append(f"{part} changed")
    return said


def record_path(out_name: str) -> Path:
    return layout.cache_dir() / "notebooks" / f"{out_name}.json"


def read_record(path: Path) -> dict | None:
    """A stored record, or None when absent or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def folder_files(folder: Path) -> dict[str, str]:
    """sha256 of every visible file in an output folder."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): filehash.sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and not layout.is_temporary(p)}


def status(out_name: str, key: Key, output_path: str) -> str | None:
    """None when the stored result of ``out_name`` is current, else why it must run."""
    path = record_path(out_name)
    if not path.exists():
        return "not run before"
    rec = read_record(path)
    if rec is None:
        return "cache record unreadable"
    if rec.get("key") != key.digest:
        return "; ".join(changes(rec, key)) or "inputs changed"
    if not Path(output_path).exists():
        return "executed copy missing"
    if rec.get("folder"):
        folder = paths.output_dir() / rec["folder"]  # relative, so a moved checkout keeps its cache
        if not folder.is_dir():
            return "output folder missing"
        now = folder_files(folder)
        for f, h in rec.get("files", {}).items():
            if now.get(f) != h:
                return f"output {f} missing or changed"
    return None


def record(out_name: str, notebook: str, key: Key, folder: str, seconds: float) -> None:
    """Store the key of a successful execution and the hashes of its output files."""
    path = Path(folder) if folder else None
    rel = ""
    if path and path.is_dir():
        try:
            rel = path.resolve().relative_to(paths.output_dir()).as_posix()
        except ValueError:  # an explicit output_dir outside output/: keyed by its absolute path
            rel = str(path.resolve())
    rec = {"key": key.digest, "parts": key.parts, "detail": key.detail, "notebook": notebook,
           "seconds": round(seconds, 2), "folder": rel, "files": folder_files(path) if rel else {}}
    io.write_text(record_path(out_name), json.dumps(rec, indent=1, sort_keys=True) + "\n")


def forget(out_name: str) -> None:
    record_path(out_name).unlink(missing_ok=True)


def last_seconds(out_name: str) -> float:
    """Duration of the last successful execution (0 when unknown)."""
    rec = read_record(record_path(out_name)) or {}
    try:
        return float(rec.get("seconds", 0))
    except (TypeError, ValueError):
        return 0.0


def data_status(key: Key) -> str | None:
    """None when processed data were built with this key and are unchanged since, else why to rebuild."""
    rec = read_record(layout.cache_dir() / "data.json")
    outputs = build_outputs()
    if rec is None or not outputs:
        return "not built before"
    if rec.get("key") != key.digest:
        return "; ".join(changes(rec, key)) or "inputs changed"
    if rec.get("outputs") != outputs:
        return "BUILD.json changed"
    proc = paths.processed_dir()
    stats = rec.get("stats", {})
    for f, h in outputs.items():
        # A file with the size and mtime it had when it was hashed is not read again (tens of MB per no-op run).
        if stats.get(f) == _stat(proc / f):
            continue
        if _file_sha(proc / f) != h:
            return f"processed file {f} missing or changed"
    return None


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def record_data(key: Key) -> None:
    """Store the data build's key, its outputs and their size and mtime (checked by ``data_status``)."""
    outputs = build_outputs()
    proc = paths.processed_dir()
    stats = {f: _stat(proc / f) for f, h in outputs.items() if _file_sha(proc / f) == h}
    rec = {"key": key.digest, "parts": key.parts, "detail": key.detail, "outputs": outputs, "stats": stats}
    io.write_text(layout.cache_dir() / "data.json", json.dumps(rec, indent=1, sort_keys=True) + "\n")


