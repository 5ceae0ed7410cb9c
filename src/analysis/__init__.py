"""sangaku: reproducible analysis of the evidence in METI's deck 「ディープテックに対応した産学官連携」.

Library layout:
- ``analysis.sources.<source>``: one module per raw source; reads ``data/raw/<source>/`` and returns tidy data.
- ``analysis.build``: builds ``data/processed/`` from ``data/raw/`` (verified against the manifest first).
- ``analysis.data``: what notebooks call to read processed data.
"""

__version__ = "0.1.0"

import os as _os

if _os.environ.get("SANGAKU_DECLARED") or _os.environ.get("SANGAKU_READ_LOG"):
    # inside a runner execution: record imports for the read audit (a no-op unless a read log is set)
    from . import inputs as _inputs

    _inputs.record_imports()
