"""Atomic, deterministic writes: a file is either its old content or its complete new content, never half."""

from __future__ import annotations

import contextlib
import hashlib
import io as _io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pandas is imported by the writers that need it: cache checks and no-op runs skip it
    import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one ``os.replace``.

    On any exception the temporary file is removed and ``path`` keeps its previous content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    """Atomically write UTF-8 ``text`` (LF line ends) to ``path``."""
    write_bytes(path, text.encode("utf-8"))


def frame_to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV bytes with fixed formatting so that equal frames give equal bytes."""
    buf = _io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", float_format="%.10g")
    return buf.getvalue().encode("utf-8")


def write_csv(path: str | Path, df: pd.DataFrame) -> None:
    """Atomically write ``df`` as CSV (no index, UTF-8, LF)."""
    write_bytes(path, frame_to_csv_bytes(df))


def write_parquet(path: str | Path, df: pd.DataFrame) -> None:
    """Atomically write ``df`` as Parquet (pyarrow, zstd, no index)."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def remove_stale_temporaries(folder: str | Path, *, older_than: float = 0.0) -> list[Path]:
    """Delete temporary files that an interrupted or killed writer left under ``folder``; return them.

    Atomic writes leave ``.<name>.*.tmp`` and the runner ``.*.running.ipynb`` only when their process was
    killed. ``older_than`` (seconds) spares files a concurrent writer may still be filling.
    """
    import time

    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time()
    removed = []
    for pattern in (".*.tmp", ".*.running.ipynb"):
        for p in folder.rglob(pattern):
            try:
                if p.is_file() and now - p.stat().st_mtime >= older_than:
                    p.unlink()
                    removed.append(p)
            except FileNotFoundError:  # its writer finished meanwhile
                pass
    return sorted(removed)
