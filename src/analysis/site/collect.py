"""What the site reads from ``output/``: executed notebooks, their output files (copied into the site), the
figure notes, parameters, and the English run of each figure when the runner provides one.

Temporary files (``analysis.execution.layout.is_temporary``) are never read. The English outputs come from
``analysis.execution.pipeline.language_outputs(name) -> {"ja": Path, "en": Path}`` (folders of output files) and
``language_notebooks`` (executed notebooks) when those functions exist; otherwise a page falls back to the ja
outputs.
"""

from __future__ import annotations

import ast
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .. import io, paths
from ..execution import filehash, layout

FIGURE_SUFFIXES = (".csv", ".png", ".svg")
IMAGE_SUFFIXES = (".png",)  # shown as the static figure on a page


@dataclass
class Notebook:
    """One executed notebook and what the site shows of it."""

    name: str
    path: Path
    meta: dict
    files: list[Path] = field(default_factory=list)  # its output files (ja run)
    en_path: Path | None = None  # the executed English run, when there is one
    en_files: list[Path] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "")


def site_dir() -> Path:
    return paths.output_dir() / "site"


def not_temporary(paths_: list[Path], base: Path) -> list[Path]:
    """The paths below ``base`` none of whose parts is a temporary file or folder (hidden, ``*.running.ipynb``)."""
    return [p for p in paths_ if not any(layout.is_temporary(Path(part)) for part in p.relative_to(base).parts)]


def notebooks_in(folder: Path) -> list[Path]:
    """Executed notebooks in ``folder``, without the runner's in-flight copies."""
    return not_temporary(sorted(folder.glob("*.ipynb")), folder) if folder.is_dir() else []


def files_of(name: str, kind: str) -> list[Path]:
    folder = layout.kind_folder(kind, name)
    if not folder or not folder.is_dir():
        return []
    return not_temporary([p for p in sorted(folder.rglob("*")) if p.is_file() and p.parent == folder], folder)


def _files_in(folder: Path) -> list[Path]:
    return not_temporary([p for p in sorted(folder.iterdir()) if p.is_file()], folder) if folder.is_dir() else []


def _pipeline_call(function: str, name: str) -> dict[str, Path]:
    """``analysis.execution.pipeline.<function>(name)``, or ``{}`` before the runner offers it or when the
    notebook has no such run (a page then falls back to the ja run)."""
    from ..execution import pipeline

    fn = getattr(pipeline, function, None)
    if fn is None:
        return {}
    try:
        return dict(fn(name))
    except Exception:  # noqa: BLE001 - a notebook without an English run falls back to ja
        return {}


def english_run(name: str) -> tuple[Path | None, list[Path]]:
    """(executed English notebook, its output files) of ``name``, or (None, []) when there is none. The runner's
    ``language_outputs`` names the English run's folder; its executed notebook is ``language_notebooks``' entry
    (or the ``.ipynb`` beside the folder). Only figure files (CSV, PNG, SVG) of that folder are shown."""
    folder = _pipeline_call("language_outputs", name).get("en")
    nb_path = Path(folder).with_suffix(".ipynb") if folder is not None else None  # as language_notebooks says
    nb_path = Path(nb_path) if nb_path is not None and Path(nb_path).is_file() else None
    files = [f for f in _files_in(Path(folder)) if f.suffix.lower() in FIGURE_SUFFIXES] if folder else []
    return (nb_path, files) if nb_path or files else (None, [])


def sangaku_metadata(nb_path: Path, known: dict[str, list] | None = None) -> dict:
    """The ``metadata.sangaku`` block of an executed notebook. ``known`` maps a notebook's sha256 to
    ``[sha256, block]`` from an earlier render, so an unchanged notebook (megabytes of JSON) is not parsed again;
    what was read is added to it."""
    digest = filehash.sha256(nb_path)
    hit = (known or {}).get(nb_path.name)
    if hit is not None and hit[0] == digest:
        return dict(hit[1])
    meta = json.loads(nb_path.read_text(encoding="utf-8")).get("metadata", {}).get("sangaku", {})
    if known is not None:
        known[nb_path.name] = [digest, meta]
    return meta


def collect(known_metadata: dict[str, list] | None = None) -> list[Notebook]:
    """Every executed notebook of ``output/notebooks/`` with its files and English run (``known_metadata``: see
    :func:`sangaku_metadata`)."""
    out = []
    for nb_path in notebooks_in(paths.output_dir() / "notebooks"):
        meta = sangaku_metadata(nb_path, known_metadata)
        nb = Notebook(nb_path.stem, nb_path, meta, files_of(nb_path.stem, meta.get("kind", "")))
        nb.en_path, nb.en_files = english_run(nb.name)
        out.append(nb)
    return out


def diff_folder() -> Path:
    """``output/diff``: the diffs the "What changed" page shows."""
    return paths.output_dir() / "diff"


def failed() -> list[str]:
    return [p.stem for p in notebooks_in(paths.output_dir() / "notebooks" / "failed")]


def copy_into_site(name: str, files: list[Path], sub: str = "") -> dict[str, str]:
    """Copy output files into ``site/files/<name>/[sub/]`` (only when changed); file name -> site-relative href."""
    out = {}
    for f in files:
        rel = f"files/{name}/" + (f"{sub}/" if sub else "") + f.name
        dst = site_dir() / rel
        # compared by hashes remembered by stat (execution.filehash): an unchanged file is not read again
        if not dst.is_file() or filehash.sha256(dst) != filehash.sha256(f):
            io.write_bytes(dst, f.read_bytes())
        out[f.name] = rel
    return out


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")).get("cells", [])


def note_of(path: Path | None) -> str:
    """The figure's note as the notebook printed it (the stream output of the cell that prints the note, up to
    the blank line before the list of files written); empty when there is none."""
    if path is None:
        return ""
    for cell in _cells(path):
        src = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "code" and ('print(result["note"])' in src or ".note(" in src):
            text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", [])
                           if o.get("output_type") == "stream")
            return text.split("\n\n", 1)[0].strip()
    return ""


def parameters_of(path: Path) -> dict[str, object]:
    """The default parameters of a notebook (its ``parameters`` cell), as literal values; others are skipped."""
    for cell in _cells(path):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            values: dict[str, object] = {}
            for node in ast.parse("".join(cell.get("source", ""))).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
            return values
    return {}


def injected_parameters(path: Path) -> str:
    """The parameters papermill injected (``a = 1; b = 2``), or empty."""
    for cell in _cells(path):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell.get("source", ""))
            return "; ".join(ln for ln in src.splitlines() if ln.strip() and not ln.startswith("#"))
    return ""


def rebuild_command(name: str, path: Path, lang: str) -> str:
    """The command that re-runs the notebook with every parameter spelled out (edit a value to change it)."""
    parts = [".venv/bin/analysis", "run", name]
    for key, value in parameters_of(path).items():
        if key in ("output_dir", "user_file"):
            continue
        if key == "lang":
            value = lang
        if value is None:
            continue  # the notebook's automatic choice
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts += ["-p", key, shlex.quote(str(text).lower() if isinstance(value, bool) else str(text))]
    return " ".join(parts)
