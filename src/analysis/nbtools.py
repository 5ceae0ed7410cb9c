"""Notebook helpers: execute a notebook in the project kernel and store it without volatile metadata.

``python -m analysis.nbtools commit notebooks/NAME.ipynb ...`` re-executes notebooks in place with their default
parameters — through the same worker as ``analysis run`` (declared inputs enforced, streams merged) — and strips
timestamps, durations and papermill bookkeeping, so the committed file changes only when its content does. nbval then re-executes the committed notebooks in the test suite.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

from . import io, nbimport
from .errors import SangakuError
from .execution.layout import KERNEL_DISPLAY_NAME, KERNEL_NAME

nbformat = nbimport.nbformat()  # without jsonschema's IRI grammar

KERNELSPEC = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove execution timestamps, durations, papermill metadata and widget state; fix the kernelspec."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = count
                out.get("metadata", {}).pop("execution", None)
    return nb


def commit(path: Path) -> None:
    """Execute a notebook in place with default parameters, through the runner's worker (atomic write)."""
    from .execution.pipeline import commit_notebook

    commit_notebook(path, progress=lambda m: None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analysis.nbtools")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("commit", help="execute notebooks in place (default parameters) and strip volatile metadata")
    c.add_argument("notebooks", nargs="+", type=Path)
    s = sub.add_parser("strip", help="only strip volatile metadata")
    s.add_argument("notebooks", nargs="+", type=Path)
    args = p.parse_args(argv)
    for nbpath in args.notebooks:
        try:
            if args.cmd == "commit":
                commit(nbpath)
            else:
                nb = nbformat.read(nbpath, as_version=4)
                io.write_text(nbpath, nbformat.writes(strip_volatile(nb)) + "\n")
        except SangakuError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.cmd}: {nbpath.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
