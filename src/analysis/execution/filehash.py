"""sha256 of files, remembered by their stat, so that a cached command does not read unchanged files again.

A file is read again unless its (size, mtime_ns, ctime_ns, inode) are those it had when it was hashed. Every
write changes mtime and ctime, and no program can set ctime (only the kernel does, to the current time), so an
edited, replaced or restored file is always read. A file changed within ``RACY_SECONDS`` of being hashed is not
remembered (as git does): a second write within the clock's granularity could keep its times. The hashes live in
``output/.cache/hashes.json`` (only a speed-up: an unreadable or missing file means hashing everything), keyed
by absolute path; :func:`save` writes what this process added.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

HASH_FILE = "hashes.json"  # in output/.cache
RACY_SECONDS = 2.0
_MEMO: dict[str, list] | None = None
_DIRTY = False


def _memo() -> dict[str, list]:
    global _MEMO
    if _MEMO is None:
        try:
            from . import layout

            _MEMO = json.loads((layout.cache_dir() / HASH_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _MEMO = {}
    return _MEMO


def _signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def sha256(path: Path | str) -> str:
    """The sha256 of ``path``'s content (hex); raises ``OSError`` as reading would."""
    global _DIRTY
    key = os.path.abspath(path)
    st = os.stat(key)
    sig = _signature(st)
    memo = _memo()
    hit = memo.get(key)
    if hit is not None and hit[:4] == sig:
        return hit[4]
    h = hashlib.sha256()
    with open(key, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    if _signature(os.stat(key)) == sig and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_SECONDS * 1e9:
        memo[key] = [*sig, digest]
        _DIRTY = True
    elif hit is not None:
        del memo[key]
        _DIRTY = True
    return digest


def save() -> None:
    """Write the hashes remembered in this process (no-op when nothing changed)."""
    global _DIRTY
    if not _DIRTY or _MEMO is None:
        return
    from .. import io
    from . import layout

    try:
        # drop entries of files that are gone, so the file does not grow with every removed run
        kept = {k: v for k, v in _MEMO.items() if os.path.exists(k)}
        io.write_text(layout.cache_dir() / HASH_FILE, json.dumps(kept, sort_keys=True))
    except OSError:  # an output folder we may not write: the hashes are only a speed-up
        pass
    _DIRTY = False


def forget_all() -> None:
    """Drop what this process remembers (tests; another output folder)."""
    global _MEMO, _DIRTY
    _MEMO, _DIRTY = None, False
