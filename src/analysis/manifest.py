"""The raw-data manifest (``data/raw/manifest.json``): every raw file with its sha256, size and provenance.

``verify()`` checks every file against it before anything reads ``data/raw``; ``refresh()`` is the documented
way to record a deliberate data update (``analysis manifest --refresh``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import io, paths
from .errors import ChecksumError, DataFileError

MANIFEST_NAME = "manifest.json"
SOURCE_FIELDS = ("publisher", "dataset", "vintage", "licence", "obtained_from", "newer_vintage", "citation")


def manifest_path(raw: Path | None = None) -> Path:
    return (raw or paths.raw_dir()) / MANIFEST_NAME


def load(raw: Path | None = None) -> dict[str, Any]:
    """Read and structurally check the manifest."""
    path = manifest_path(raw)
    if not path.exists():
        raise DataFileError(path, "manifest not found", hint="run `analysis manifest --refresh` to create it")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON: {exc}") from exc
    for key in ("sources", "files"):
        if key not in doc:
            raise DataFileError(path, f"missing top-level key {key!r}")
    for name, meta in doc["sources"].items():
        missing = [f for f in SOURCE_FIELDS if not meta.get(f)]
        if missing:
            raise DataFileError(path, f"source {name!r} lacks {', '.join(missing)}")
    for entry in doc["files"]:
        if entry.get("source") not in doc["sources"]:
            raise DataFileError(path, f"file {entry.get('path')!r} names unknown source {entry.get('source')!r}")
    return doc


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    bytes: int


def _listed_files(raw: Path) -> list[str]:
    return sorted(
        p.relative_to(raw).as_posix()
        for p in raw.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")
    )


def verify(raw: Path | None = None, sources: list[str] | None = None) -> VerifyReport:
    """Check every raw file (or those of ``sources``) against the manifest.

    Raises ``ChecksumError`` naming the file with expected and actual hashes, ``DataFileError`` for a missing
    file or for a file the manifest does not list: anywhere in ``data/raw``, or, with ``sources``, in those
    sources' folders (a stray file there would be read as that source's data).
    """
    raw = raw or paths.raw_dir()
    doc = load(raw)
    listed = {e["path"]: e for e in doc["files"]}
    unlisted = [p for p in _listed_files(raw) if p not in listed
                and (sources is None or p.split("/", 1)[0] in sources)]
    if unlisted:
        more = f"; {len(unlisted)} unlisted files in all" if len(unlisted) > 1 else ""
        raise DataFileError(raw / unlisted[0], f"not in the manifest{more}",
                            hint="add it with `analysis manifest --refresh` or remove it")
    n = total = 0
    for rel, entry in sorted(listed.items()):
        if sources is not None and entry["source"] not in sources:
            continue
        path = raw / rel
        if not path.exists():
            raise DataFileError(path, "listed in the manifest but missing")
        size = path.stat().st_size
        actual = io.sha256_file(path)
        if actual != entry["sha256"]:
            raise ChecksumError(path, entry["sha256"], actual)
        if size != entry["bytes"]:
            raise DataFileError(path, f"size {size} differs from manifest {entry['bytes']}")
        n += 1
        total += size
    return VerifyReport(n, total)


def _original_of(path: Path) -> dict[str, Any] | None:
    """For a gzip-compressed copy, the name, size and sha256 of the original it decompresses to."""
    if path.suffix != ".gz":
        return None
    h = hashlib.sha256()
    size = 0
    with gzip.open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return {"name": path.name[:-3], "bytes": size, "sha256": h.hexdigest()}


def refresh(raw: Path | None = None) -> dict[str, Any]:
    """Recompute hashes and sizes of every raw file and rewrite the manifest (a deliberate data update).

    Source metadata is kept; a file in a folder without a source entry is an error, because every raw file
    must carry provenance.
    """
    raw = raw or paths.raw_dir()
    path = manifest_path(raw)
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"sources": {}, "files": []}
    old = {e["path"]: e for e in doc.get("files", [])}
    files = []
    for rel in _listed_files(raw):
        source = rel.split("/", 1)[0]
        if source not in doc["sources"]:
            raise DataFileError(raw / rel, f"folder {source!r} has no entry in {MANIFEST_NAME} 'sources'",
                                hint=f"add its publisher, dataset, vintage, licence and origin ({', '.join(SOURCE_FIELDS)})")
        p = raw / rel
        entry = {"path": rel, "source": source, "bytes": p.stat().st_size, "sha256": io.sha256_file(p)}
        prev = old.get(rel, {})
        original = _original_of(p)
        if original:
            entry["original"] = original
        if prev.get("note"):
            entry["note"] = prev["note"]
        files.append(entry)
    doc["files"] = files
    io.write_text(path, json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    return doc


def availability_statement(raw: Path | None = None) -> str:
    """Markdown data availability statement, generated from the manifest (the README embeds it verbatim)."""
    doc = load(raw)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for e in doc["files"]:
        by_source.setdefault(e["source"], []).append(e)
    out = [
        "All data used are real published statistics, provided in `data/raw/` with a `SOURCE.md` per source. "
        "`analysis verify` checks every file against `data/raw/manifest.json` (sha256).",
        "",
        "| source | publisher | dataset | vintage | licence / rights | files provided | newer vintage |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, meta in doc["sources"].items():
        files = by_source.get(name, [])
        data_files = [e for e in files if not e["path"].endswith(".md")]
        size = sum(e["bytes"] for e in files)
        out.append(
            f"| `{name}` | {meta['publisher']} | {meta['dataset']} | {meta['vintage']} | {meta['licence']} | "
            f"{len(data_files)} data file(s), {size / 1e6:.1f} MB | {meta['newer_vintage']} |"
        )
    out += ["", "Where each copy was obtained and how to cite it:", ""]
    for name, meta in doc["sources"].items():
        out.append(f"- `{name}`: obtained from {meta['obtained_from']}. Cite: {meta['citation']}")
    compressed = [e for e in doc["files"] if "original" in e]
    if compressed:
        out += ["", "Compressed copies (gzip) and the sha256 of the file as published:", ""]
        for e in compressed:
            o = e["original"]
            out.append(f"- `{e['path']}` → `{o['name']}`, {o['bytes']:,} bytes, sha256 `{o['sha256']}`")
    return "\n".join(out) + "\n"
