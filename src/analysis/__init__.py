"""sangaku: reproducible analysis of the evidence in METI's deck 「ディープテックに対応した産学官連携」.

Library layout:
- ``analysis.sources.<source>``: one module per raw source; reads ``data/raw/<source>/`` and returns tidy data.
- ``analysis.build``: builds ``data/processed/`` from ``data/raw/`` (verified against the manifest first).
- ``analysis.data``: what notebooks call to read processed data.
"""

__version__ = "0.1.0"
