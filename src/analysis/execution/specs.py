"""Notebooks and their specs: what each notebook declares in ``notebooks/notebooks.toml``.

A spec names every input a notebook reads — processed datasets, raw files it opens directly, package data files
(registry TOMLs, deck statements), file-valued parameters and parameters naming a vintage whose raw file it then
reads (``vintage_params``, see :mod:`analysis.vintage_params`) — and its output folder. The runner keys the cache
on exactly these, and the kernel refuses reads that are not declared (``analysis.inputs``).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import paths
from ..errors import DataFileError, ParameterError
from . import layout

SPEC_LIST_KEYS = ("processed", "raw", "package", "file_params", "vintage_params")
# Scheduling only (not in the cache key): ``after`` names notebooks this one starts after when both run (h5 after
# h6: the second reads their shared multiverse instead of waiting on its lock); ``expected_seconds`` orders the
# queue until the runner has recorded a duration.
SCHEDULE_KEYS = ("after", "expected_seconds")
SPEC_KEYS = {"kind", "outputs", *SPEC_LIST_KEYS, *SCHEDULE_KEYS}


@dataclass(frozen=True)
class Spec:
    """One notebook's declared inputs and outputs."""

    name: str
    kind: str
    outputs: str  # folder under output/, e.g. "figures/fig01_business_researchers_index"
    processed: tuple[str, ...] = ()
    raw: tuple[str, ...] = ()
    package: tuple[str, ...] = ()
    file_params: tuple[str, ...] = ()
    vintage_params: tuple[str, ...] = ()  # "compare_vintage:oecd_msti/msti_raw.csv.gz" (analysis.vintage_params)
    after: tuple[str, ...] = ()
    expected_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        # vintage_params only when declared, so that the keys of the other notebooks stay as they were
        return {"kind": self.kind, "outputs": self.outputs,
                **{k: list(getattr(self, k)) for k in SPEC_LIST_KEYS if k != "vintage_params" or self.vintage_params}}


def load_specs(path: Path | None = None) -> dict[str, Spec]:
    """Read ``notebooks.toml``; a malformed entry raises ``DataFileError`` naming the notebook and key.

    A command reads it many times (plan, each job, site); what was read is kept while the file's stat is
    unchanged (see ``_stat_signature``). The specs are frozen; the dict returned is the caller's own.
    """
    path = path or layout.spec_path()
    if not path.exists():
        raise DataFileError(path, "spec file not found", hint="every notebook declares its inputs there")
    try:
        sig = _stat_signature(path)
    except OSError as exc:
        raise DataFileError(path, f"cannot read the spec file: {exc}") from exc
    hit = _SPECS.get(sig[0])
    if hit is None or hit[0] != sig:
        hit = (sig, _read_specs(path))
        if _settled(sig):
            _SPECS[sig[0]] = hit
    return dict(hit[1])


def _read_specs(path: Path) -> dict[str, Spec]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"not valid TOML: {exc}") from exc
    specs = {}
    for name, entry in doc.items():
        if not isinstance(entry, dict):
            raise DataFileError(path, f"[{name}] must be a table of a notebook's inputs", column=name)
        unknown = sorted(set(entry) - SPEC_KEYS)
        if unknown:
            raise DataFileError(path, f"[{name}] has unknown keys {unknown}; allowed: {sorted(SPEC_KEYS)}",
                                column=unknown[0])
        for key in ("kind", "outputs"):
            if not isinstance(entry.get(key), str):
                raise DataFileError(path, f"[{name}] needs {key} = \"...\"", column=key)
        if entry["kind"] not in layout.OUTPUT_KINDS:
            raise DataFileError(path, f"[{name}] kind {entry['kind']!r} is not one of {sorted(layout.OUTPUT_KINDS)}",
                                column="kind")
        lists = {}
        for key in SPEC_LIST_KEYS:
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise DataFileError(path, f"[{name}] {key} must be a list of non-empty strings", column=key)
            lists[key] = tuple(value)
        specs[name] = Spec(name, entry["kind"], entry["outputs"], **lists, **_schedule(path, name, entry))
    _check_after(path, specs)
    return specs


def _schedule(path: Path, name: str, entry: dict) -> dict[str, Any]:
    after = entry.get("after", [])
    if not isinstance(after, list) or not all(isinstance(v, str) and v for v in after):
        raise DataFileError(path, f"[{name}] after must be a list of notebook names", column="after")
    seconds = entry.get("expected_seconds", 0.0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise DataFileError(path, f"[{name}] expected_seconds must be a number >= 0", column="expected_seconds")
    return {"after": tuple(after), "expected_seconds": float(seconds)}


def _check_after(path: Path, specs: dict[str, Spec]) -> None:
    """Every ``after`` names a declared notebook, and no chain of them comes back to where it started."""
    for name, spec in specs.items():
        unknown = sorted(set(spec.after) - set(specs))
        if unknown:
            raise DataFileError(path, f"[{name}] after names undeclared notebooks {unknown}", column="after")
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name):] + [name]
            raise DataFileError(path, f"[{name}] after forms a cycle: {' -> '.join(cycle)}", column="after")
        state[name] = 1
        for dep in specs[name].after:
            visit(dep, trail + [name])
        state[name] = 2

    for name in specs:
        visit(name, [])


@dataclass(frozen=True)
class Notebook:
    """A notebook with its metadata, parameters (name -> default value), cells and spec."""

    name: str
    path: Path
    meta: dict
    params: dict[str, Any]
    cells: list[tuple[str, str, list[str]]]
    spec: Spec = field(default=None)  # type: ignore[assignment]

    @property
    def kind(self) -> str:
        return self.spec.kind

    def default_output_folder(self) -> Path:
        """The declared output folder, under ``output/``."""
        return paths.output_dir() / self.spec.outputs

    def code_sources(self) -> list[str]:
        """The source of every code cell."""
        return [src for kind, src, _ in self.cells if kind == "code"]


def discover(nbdir: Path | None = None) -> dict[str, Path]:
    """Notebooks in ``notebooks/`` by name (file stem), sorted; checkpoints and hidden files excluded."""
    nbdir = nbdir or paths.notebooks_dir()
    if not nbdir.is_dir():
        return {}
    return {p.stem: p for p in sorted(nbdir.glob("*.ipynb")) if not layout.is_temporary(p)}


UNPARSEABLE = object()  # a default that is an expression rather than a literal: any value is accepted


def literal(src: str | None) -> Any:
    """``ast.literal_eval`` of ``src``, or ``UNPARSEABLE``."""
    try:
        return ast.literal_eval(src) if src is not None else UNPARSEABLE
    except (ValueError, SyntaxError):
        return UNPARSEABLE


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _parameters_cell(nb: dict) -> dict[str, Any]:
    """Names and literal defaults assigned at the top level of the cell tagged ``parameters``."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(_source(cell))
            except SyntaxError:
                return {}
            out: dict[str, Any] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                else:
                    continue
                for t in targets:
                    if isinstance(t, ast.Name):
                        try:
                            out[t.id] = ast.literal_eval(value)
                        except ValueError:
                            out[t.id] = UNPARSEABLE
            return out
    return {}


def load_notebook(path: Path, specs: dict[str, Spec] | None = None) -> Notebook:
    """Read a notebook (as JSON: nbformat's validator costs seconds), its parameters and its spec.

    Parameters are the literal assignments of the cell tagged ``parameters``, read with ``ast`` (papermill's
    inspector skips lines with a trailing comment). A notebook without a spec entry is an error saying what to add.
    """
    meta, params, cells = _parsed(path)
    specs = specs if specs is not None else load_specs(path.parent / layout.SPEC_FILE)
    if path.stem not in specs:
        raise DataFileError(path.parent / layout.SPEC_FILE, f"no entry for notebook {path.stem}",
                            hint=f'add [{path.stem}] with kind, outputs and the inputs it reads')
    return Notebook(path.stem, path, meta, params, cells, specs[path.stem])


# A command reads each notebook several times (plan, English runs, site); committed notebooks carry their
# outputs (megabytes of JSON), so what was parsed is kept per file while its stat is unchanged. A file changed
# within RACY_SECONDS is parsed again every time: a second write in the same clock tick could keep its times.
_PARSED: dict[str, tuple] = {}
_SPECS: dict[str, tuple] = {}
RACY_SECONDS = 2.0


def _stat_signature(path: Path) -> tuple:
    """(absolute path, size, mtime, ctime, inode): what must be unchanged for a remembered parse to stand."""
    st = os.stat(path)
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _settled(sig: tuple) -> bool:
    """A file written within RACY_SECONDS is not remembered: a second write in the same tick could keep its times."""
    return time.time_ns() - max(sig[2], sig[3]) > RACY_SECONDS * 1e9


def _parsed(path: Path) -> tuple[dict, dict[str, Any], list[tuple[str, str, list[str]]]]:
    """(sangaku metadata, parameters, cells) of the notebook at ``path``, each a fresh copy."""
    try:
        sig = _stat_signature(path)
        hit = _PARSED.get(sig[0])
        if hit is None or hit[0] != sig:
            nb = json.loads(path.read_text(encoding="utf-8"))
            nb["cells"], nb.setdefault("metadata", {})
            cells = [(c["cell_type"], _source(c), sorted(c.get("metadata", {}).get("tags", []))) for c in nb["cells"]]
            hit = (sig, dict(nb["metadata"].get("sangaku", {})), _parameters_cell(nb), cells)
            if _settled(sig):
                _PARSED[sig[0]] = hit
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(path, f"not a readable notebook: {exc}") from exc
    _, meta, params, cells = hit
    keep = {id(UNPARSEABLE): UNPARSEABLE}  # the sentinel stays itself
    return copy.deepcopy(meta), copy.deepcopy(params, keep), [(k, s, list(t)) for k, s, t in cells]


def resolve_notebooks(names: Iterable[str], nbdir: Path | None = None) -> list[Path]:
    """Map names (``fig01_x``, ``fig01_x.ipynb``, ``notebooks/fig01_x.ipynb`` or a unique prefix such as ``fig01``)
    to notebook paths; unknown or ambiguous -> ``ParameterError`` listing the candidates."""
    found = discover(nbdir)
    out = []
    for raw in names:
        stem = Path(raw).name.removesuffix(".ipynb")
        if stem not in found:
            hits = [n for n in found if n.startswith(stem)] if stem else []
            if len(hits) != 1:
                problem = (f"ambiguous: matches {len(hits)} notebooks" if hits
                           else f"no such notebook in {nbdir or paths.notebooks_dir()}")
                raise ParameterError("notebook", raw, problem, hits or sorted(found))
            stem = hits[0]
        out.append(found[stem])
    return out
