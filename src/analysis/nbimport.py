"""Import nbformat (and what imports it: nbconvert, nbclient, papermill) without jsonschema's IRI grammar.

jsonschema builds a Lark grammar for the optional ``iri`` string format at import when ``rfc3987_syntax`` is
installed: about 2 CPU-s in every process that reads a notebook. nbformat's schema uses no such format, so that
module is marked absent before jsonschema is first imported; notebook validation is unchanged.
"""

from __future__ import annotations

import sys


def skip_iri_grammar() -> None:
    """Mark ``rfc3987_syntax`` absent, unless jsonschema is already imported (then it is too late to matter)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


def nbformat():
    """The ``nbformat`` module, imported without the grammar."""
    skip_iri_grammar()
    import nbformat as module

    return module
