"""Where a source's files are: ``data/raw/<source>/`` or, in the dated-vintage layout, ``data/raw/<source>/<vintage>/``.

Loaders of the newer sources read every file from one folder they are given (``read_folder(folder)``);
``source_folder`` finds that folder under a raw directory so the same loader works in either layout.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataFileError


def source_folder(raw_dir: str | Path, source: str) -> Path:
    """The folder holding ``source``'s data files: the source folder itself when it holds files other than
    ``SOURCE.md``, else its latest vintage subfolder (names sort by date, e.g. ``2026-12-01``)."""
    folder = Path(raw_dir) / source
    if not folder.is_dir():
        raise DataFileError(folder, "source folder not found",
                            hint=f"copy the source into data/raw/{source}/ and run `analysis manifest --refresh`")
    files = [p for p in folder.iterdir() if p.is_file() and p.name != "SOURCE.md" and not p.name.startswith(".")]
    if files:
        return folder
    vintages = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not vintages:
        raise DataFileError(folder, "no data files and no vintage folder")
    return vintages[-1]
