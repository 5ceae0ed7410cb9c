"""The raw-data manifest (``data/raw/manifest.json``): every raw file with its sha256, size and provenance.

``verify()`` checks every file against it before anything reads ``data/raw``; ``refresh()`` is the documented
way to record a deliberate data update (``analysis manifest --refresh``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import io, paths, vintages
from .errors import ChecksumError, DataFileError

MANIFEST_NAME = "manifest.json"
ORIGIN_NAME = "ORIGIN.json"  # written by `analysis update` into each vintage it fetches
SOURCE_FILE = "SOURCE.md"  # provenance: one per source (common to its vintages) and one per vintage
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
        if p.is_file() and p.name != MANIFEST_NAME
        and not any(part.startswith(".") for part in p.relative_to(raw).parts)  # e.g. an update's staging folder
    )


def verify(raw: Path | None = None, sources: list[str] | None = None, *, sha256=io.sha256_file) -> VerifyReport:
    """Check every raw file (or those of ``sources``) against the manifest (``sha256(path)`` hashes a file; the
    runner passes one that remembers unchanged files by their stat, ``execution.filehash``).

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
        actual = sha256(path)
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
    try:
        with gzip.open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
                size += len(block)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataFileError(path, f"truncated or corrupt gzip file ({exc or type(exc).__name__})",
                            hint="copy or fetch it again; the manifest was not changed") from None
    return {"name": path.name[:-3], "bytes": size, "sha256": h.hexdigest()}


def _vintage_of(raw: Path, rel: str) -> str:
    """The vintage folder of a raw file (``oecd_msti/2025-03/x.csv.gz`` -> ``2025-03``); an error outside one.
    The source's own ``SOURCE.md`` beside its vintage folders (provenance common to every vintage) has none: ``""``."""
    parts = rel.split("/")
    if len(parts) == 2 and parts[1] == SOURCE_FILE:
        return ""
    if len(parts) < 3 or not vintages.is_vintage(parts[1]):
        raise DataFileError(raw / rel, "not inside a vintage folder",
                            hint=f"move it to data/raw/{parts[0]}/<YYYY-MM-DD>/ (the release or retrieval date "
                                 f"its SOURCE.md states), beside that vintage's SOURCE.md")
    return parts[1]


def _vintage_records(raw: Path, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per vintage: source, vintage, file count, and the ORIGIN.json of a fetched vintage."""
    counts: dict[tuple[str, str], int] = {}
    for e in files:
        if not e["vintage"]:
            continue  # the source-level SOURCE.md
        counts[(e["source"], e["vintage"])] = counts.get((e["source"], e["vintage"]), 0) + 1
    out = []
    for (source, vintage), n in sorted(counts.items()):
        rec: dict[str, Any] = {"source": source, "vintage": vintage, "files": n}
        origin = raw / source / vintage / ORIGIN_NAME
        if origin.is_file():
            try:
                rec["origin"] = json.loads(origin.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise DataFileError(origin, f"not valid JSON: {exc}") from exc
        out.append(rec)
    return out


def refresh(raw: Path | None = None) -> dict[str, Any]:
    """Recompute hashes and sizes of every raw file and rewrite the manifest (a deliberate data update).

    Source metadata is kept; a file in a folder without a source entry, or outside a vintage folder
    (``<source>/<vintage>/``), is an error, because every raw file must carry provenance and a date. Every
    file is read before the manifest is written, so an error (e.g. a truncated ``.gz``) changes nothing.
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
        vintage = _vintage_of(raw, rel)
        p = raw / rel
        entry = {"path": rel, "source": source, "vintage": vintage, "bytes": p.stat().st_size,
                 "sha256": io.sha256_file(p)}
        flat = "/".join([source, *rel.split("/")[2:]])  # the path before vintage folders existed
        prev = old.get(rel) or old.get(flat) or {}
        original = _original_of(p)
        if original:
            entry["original"] = original
        if prev.get("note"):
            entry["note"] = prev["note"]
        files.append(entry)
    doc["files"] = files
    doc["vintages"] = _vintage_records(raw, files)
    io.write_text(path, json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    return doc


def _vintage_text(rec: dict[str, Any]) -> str:
    origin = rec.get("origin")
    where = (f"fetched {origin.get('retrieved', '?')} from {origin.get('url', '?')}" if origin
             else "as described in its SOURCE.md")
    return f"`{rec['vintage']}` ({rec['files']} file(s), {where})"


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
    out += ["", "Vintages kept (`data/raw/<source>/<vintage>/`, never overwritten; the build reads the newest "
            "unless pinned in `data/vintages.toml` or with `--vintage`):", ""]
    for name in doc["sources"]:
        recs = [r for r in doc.get("vintages", []) if r["source"] == name]
        out.append(f"- `{name}`: " + "; ".join(_vintage_text(r) for r in recs))
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
