"""Parameters whose value names a committed vintage of a source (``compare_vintage`` of the MSTI figures).

A notebook declares such a parameter in ``notebooks/notebooks.toml`` as ``vintage_params =
["compare_vintage:oecd_msti/msti_raw.csv.gz"]``: the parameter, then the logical raw file (``<source>/<file>``)
the notebook reads *in the vintage the parameter names*. The value is ``""`` (nothing read), a committed vintage
of that source (``"2025-03"``), or ``"previous"``: the committed vintage just before the one built. When the value
is set, :func:`expand` turns the entry into the concrete raw path (``oecd_msti/2025-03/msti_raw.csv.gz``), which
the runner adds to the notebook's declared raw files: the cache keys on that file's content and the kernel is
allowed to open it (``analysis.inputs``). An unknown vintage is a ``ParameterError`` naming the parameter and
listing the committed vintages, raised while the run is planned, before any kernel starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from . import paths, vintages
from .errors import DataFileError, ParameterError

PREVIOUS = "previous"


def built(source: str, raw: Path | None = None, processed: Path | None = None) -> str | None:
    """The vintage of ``source`` the processed data were built from (``BUILD.json``), else the one a build
    would read now (pin or newest committed); None for a source without vintage folders."""
    raw = Path(raw or paths.raw_dir())
    build_json = Path(processed or paths.processed_dir()) / "BUILD.json"
    if build_json.is_file():
        try:
            named = json.loads(build_json.read_text(encoding="utf-8")).get("vintages", {}).get(source)
        except ValueError:
            named = None  # cache.build_outputs names a broken BUILD.json
        if named and named in vintages.available(raw, source):
            return named
    return vintages.resolve(raw, source)


def resolve(param: str, value: Any, source: str, raw: Path | None = None) -> str | None:
    """The committed vintage ``value`` names (None for ``""``); ``ParameterError`` naming ``param`` otherwise."""
    raw = Path(raw or paths.raw_dir())
    if value in ("", None):
        return None
    have = vintages.available(raw, source)
    current = built(source, raw)
    others = [v for v in have if v != current]
    older = [v for v in others if current is not None and v < current]
    choices = [*others, *([PREVIOUS] if older else []), '""']
    if not isinstance(value, str):
        raise ParameterError(param, value, f"must be a committed vintage of {source} (a string), \"{PREVIOUS}\" "
                             "or \"\" (nothing compared)", choices)
    if value == PREVIOUS:
        if not older:
            only = (f"only one committed vintage ({', '.join(have)})" if len(have) == 1 else
                    f"no committed vintage older than the one built ({current}; committed: {', '.join(have)})")
            raise ParameterError(param, value, f"{source} has {only}, so there is no previous vintage to compare "
                                 "with; add one with `analysis update` or leave the parameter empty", choices)
        return older[-1]
    if value == current:
        raise ParameterError(param, value, f"is the vintage being drawn ({source}={current}); compare with another "
                             "committed vintage", choices)
    if value not in have:
        raise ParameterError(param, value, f"no such committed vintage of {source} (committed: "
                             f"{', '.join(have) or 'none'})", choices)
    return value

def parse(entry: str, notebook: str = "?") -> tuple[str, str, str]:
    """``"compare_vintage:oecd_msti/msti_raw.csv.gz"`` -> (parameter, source, file in the vintage folder)."""
    param, sep, rel = entry.partition(":")
    parts = rel.strip().split("/")
    if not sep or not param.strip().isidentifier() or len(parts) < 2 or not all(parts):
        raise DataFileError(paths.notebooks_dir() / "notebooks.toml",
                            f"[{notebook}] vintage_params entry {entry!r} is not PARAMETER:SOURCE/FILE "
                            "(e.g. \"compare_vintage:oecd_msti/msti_raw.csv.gz\")", column="vintage_params")
    return param.strip(), parts[0], "/".join(parts[1:])


def expand(entries: Iterable[str], params: dict[str, Any], defaults: dict[str, Any], notebook: str = "?",
           raw: Path | None = None) -> list[str]:
    """The concrete raw paths (``oecd_msti/2025-03/msti_raw.csv.gz``) that the set vintage parameters read."""
    out = []
    for entry in entries:
        param, source, rel = parse(entry, notebook)
        vintage = resolve(param, params.get(param, defaults.get(param, "")), source, raw)
        if vintage is not None:
            out.append(f"{source}/{vintage}/{rel}")
    return out
