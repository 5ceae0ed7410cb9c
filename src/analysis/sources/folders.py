"""Where a source's files are: ``data/raw/<source>/<vintage>/`` (the vintage ``analysis.vintages`` resolves: a pin,
else the newest committed one), or ``data/raw/<source>/`` itself for a plain folder (e.g. a test's copy).

Loaders of the newer sources read every file from one folder they are given (``read_folder(folder)``);
``source_folder`` finds that folder under a raw directory so the same loader works in either layout.
"""

from __future__ import annotations

from pathlib import Path

from .. import vintages
from ..errors import DataFileError


def source_folder(raw_dir: str | Path, source: str) -> Path:
    """The folder holding ``source``'s data files (resolved vintage, or the plain source folder)."""
    base = Path(raw_dir) / source
    if not base.is_dir():
        raise DataFileError(base, "source folder not found", hint=f"copy the source into data/raw/{source}/<vintage>/ "
                            "and run `analysis manifest --refresh`")
    return vintages.folder(raw_dir, source)
