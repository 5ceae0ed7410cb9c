"""A pytest plugin loaded before the others (``-p tests.no_iri_grammar`` in ``./run.sh test``): jsonschema, which
nbval and papermill import through nbformat, builds a Lark grammar for the optional ``iri`` format when
rfc3987_syntax is installed (about 2 CPU-s in every pytest process). nbformat's schema uses no such format, so
the module is marked absent before jsonschema is imported, as ``analysis.execution.worker`` does for its workers.
Validation of notebooks is unchanged."""

import sys

if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
