"""The executed notebook as the runner stores it: merged streams, no volatile metadata, and the failing line.

Pure functions on nbformat objects (no kernel, no files), used by the worker and by ``nbtools commit``, so that
equal runs give equal bytes wherever they ran.
"""

from __future__ import annotations

import re


def coalesce_streams(cell) -> None:
    """Merge consecutive stream outputs of the same name, so how the kernel flushed never changes the bytes."""
    merged: list = []
    for out in cell.get("outputs", []):
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    cell["outputs"] = merged


def normalise(nb, parameters: dict | None = None, kernel: str = ""):
    """Strip volatile metadata, merge split streams, give papermill's cells fixed ids and, with ``parameters``,
    show them in the injected cell as the client passed them (not the worker's paths): equal runs, equal bytes."""
    from ..nbtools import strip_volatile

    nb = strip_volatile(nb)
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            coalesce_streams(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
            if parameters:
                from papermill.translators import translate_parameters

                cell["source"] = translate_parameters(kernel, "python", parameters, "Parameters")
        elif "papermill-error-cell-tag" in tags:
            cell["id"] = f"papermill-error-{i}"
    return nb


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"(?:Cell In|Input In)\s*\[(\d+)\],\s*line (\d+)")


def failing_line(source: str, exec_count: int | None, traceback: list[str]) -> tuple[int, str] | None:
    """(line number, text) of the line of a cell that raised, from IPython's traceback frames.

    The innermost frame of the failing cell (``Cell In[<execution count>], line <n>``) names the line; ``None``
    when no frame of this cell is found (e.g. an error raised before the cell ran), so nothing wrong is quoted.
    """
    if exec_count is None:
        return None
    found = None
    for frame in traceback:
        for m in _CELL_FRAME.finditer(_ANSI.sub("", frame)):
            if int(m.group(1)) == exec_count:
                found = int(m.group(2))
    lines = source.splitlines()
    if found is None or not 1 <= found <= len(lines) or not lines[found - 1].strip():
        return None
    return found, lines[found - 1].strip()
