"""What notebooks call: read processed data (built by ``analysis data``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import inputs
from .errors import DataFileError


def load(name: str, processed: Path | None = None) -> pd.DataFrame:
    """Read ``data/processed/<name>.parquet``; a clear error if it has not been built or is not declared."""
    path = inputs.processed(name, processed)
    if not path.exists():
        raise DataFileError(path, "processed data not built", hint="run `analysis data` (or ./run.sh reproduce)")
    return pd.read_parquet(path)
