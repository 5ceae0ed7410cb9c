"""Names of the project layout that the runner, the site and the tools share (defined once, here)."""

from __future__ import annotations

from pathlib import Path

from .. import paths

KERNEL_NAME = "sangaku"
KERNEL_DISPLAY_NAME = "Python (sangaku)"
# notebook kind -> folder under output/ with its files
OUTPUT_KINDS = {"figure": "figures", "hypothesis": "tables"}
SPEC_FILE = "notebooks.toml"
# marks temporary files that readers (the site, the cache) must never take for results
RUNNING_SUFFIX = ".running.ipynb"
# Content-addressed caches that notebooks keep in output/.cache/<name> (multiverse.memo: the estimate h5 and h6
# share). A job on the client's machine links its own output/.cache/<name> to the client's, so what one job of a
# run estimated the next reads; each entry's key holds everything that determines it, so sharing is safe.
SHARED_CACHES = ("multiverse",)


def spec_path() -> Path:
    """``notebooks/notebooks.toml``: every notebook's declared inputs and outputs."""
    return paths.notebooks_dir() / SPEC_FILE


def cache_dir() -> Path:
    """``output/.cache``: one key record per executed notebook, plus the data build's."""
    return paths.output_dir() / ".cache"


def executed_dir() -> Path:
    """``output/notebooks``: executed copies of default runs."""
    return paths.output_dir() / "notebooks"


def runs_dir() -> Path:
    """``output/runs``: runs with other parameters (``<name>__<hash>.ipynb`` and folder)."""
    return paths.output_dir() / "runs"


def kind_folder(kind: str, name: str) -> Path | None:
    """``output/figures/<name>`` or ``output/tables/<name>``; None for a kind without files."""
    sub = OUTPUT_KINDS.get(kind)
    return paths.output_dir() / sub / name if sub else None


def is_temporary(path: Path) -> bool:
    """True for a runner's in-flight file (hidden, or ending in ``.running.ipynb``)."""
    return path.name.startswith(".") or path.name.endswith(RUNNING_SUFFIX)
