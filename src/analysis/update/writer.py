"""Add a new vintage of a raw source without touching anything already written.

The files are staged in a hidden folder inside ``data/raw`` (ignored by the manifest), loaded there by the
source's own loader, then moved in one rename to ``data/raw/<source>/<vintage>/`` and the manifest is refreshed.
If validation fails nothing is moved; if the manifest refresh fails the new folder is removed again. Old vintages
are never overwritten: a second update on one day gets a ``YYYY-MM-DDTHHMMZ`` name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .. import manifest, paths, vintages
from ..errors import DataFileError, SangakuError

DOC_FILES = {"SOURCE.md", manifest.ORIGIN_NAME}


class UpdateValidationError(SangakuError):
    """The fetched or given file does not load with the source's loader (other columns, codes, values)."""


@dataclass(frozen=True)
class Added:
    """The outcome of an update: the new vintage (None when the publisher's data equal the newest vintage)."""

    source: str
    vintage: str | None
    previous: str | None
    folder: Path | None
    files: dict[str, int]  # name -> bytes
    message: str


def content_sha(name: str, data: bytes) -> str:
    """sha256 of a file's content as published (of the decompressed bytes for ``.gz``)."""
    return hashlib.sha256(gzip.decompress(data) if name.endswith(".gz") else data).hexdigest()


def _committed_content(raw: Path, source: str, vintage: str) -> dict[str, str]:
    """name -> content sha256 of the data files of a committed vintage, from the manifest."""
    out = {}
    for e in manifest.load(raw)["files"]:
        if e["source"] == source and e.get("vintage") == vintage:
            name = e["path"].split("/", 2)[2]
            if name not in DOC_FILES:
                out[name] = e.get("original", {}).get("sha256", e["sha256"])
    return out


def vintage_name(raw: Path, source: str, now: datetime | None = None) -> str:
    """Today's date (UTC), or date and time when a vintage of today exists; never an existing folder."""
    now = now or datetime.now(timezone.utc)
    for name in (now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H%MZ")):
        if not (raw / source / name).exists():
            return name
    raise SangakuError(f"folder {raw / source / name} exists: wait a minute and run the update again")


def previous_files(raw: Path, source: str, vintage: str) -> dict[str, bytes]:
    """The data files of a committed vintage (relative name -> bytes), without SOURCE.md and ORIGIN.json."""
    folder = raw / source / vintage
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in DOC_FILES and not p.name.startswith(".")}


def add_vintage(source: str, files: dict[str, bytes], origin: dict[str, Any],
                source_md: Callable[[str, str | None], str], validate: Callable[[Path], object], *,
                raw: Path | None = None, now: datetime | None = None) -> Added:
    """Stage ``files``, validate them with ``validate(staged_raw_dir)``, then add them as a new vintage.

    ``source_md(vintage, previous)`` writes the new vintage's SOURCE.md. Raises the loader's ``DataFileError``
    wrapped as :class:`UpdateValidationError`; the previous vintages, the manifest and ``data/processed`` are
    unchanged on every error.
    """
    raw = Path(raw or paths.raw_dir())
    # start from an intact, committed state: all of data/raw, so the refresh below records only the new vintage
    manifest.verify(raw)
    have = vintages.available(raw, source)
    previous = have[-1] if have else None
    if previous is not None:
        before = _committed_content(raw, source, previous)
        if before == {name: content_sha(name, data) for name, data in files.items()}:
            return Added(source, None, previous, None, {}, f"{source}: the publisher's data equal vintage "
                         f"{previous}; no new vintage written")
    name = vintage_name(raw, source, now)
    origin = {**origin, "source": source, "vintage": name, "previous_vintage": previous,
              "files": {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in sorted(files.items())}}
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{source}-", dir=raw))
    target = raw / source / name
    try:
        folder = staging / source
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        (folder / "SOURCE.md").write_text(source_md(name, previous), encoding="utf-8")
        (folder / manifest.ORIGIN_NAME).write_text(json.dumps(origin, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")
        try:
            validate(staging)
        except DataFileError as exc:
            shown = str(exc).replace(str(folder), f"<new vintage of {source}>")
            raise UpdateValidationError(f"{source}: the new data do not load with the {source} loader, so no "
                                        f"vintage was written: {shown}") from None
        os.rename(folder, target)
        try:
            manifest.refresh(raw)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    sizes = {n: len(d) for n, d in sorted(files.items())}
    return Added(source, name, previous, target, sizes,
                 f"{source}: added vintage {name} ({len(files)} file(s), {sum(sizes.values()):,} bytes) in {target}"
                 f"{f'; previous vintage {previous} kept' if previous else ''}; manifest refreshed")
