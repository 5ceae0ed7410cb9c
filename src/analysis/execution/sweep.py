"""Parameter sweeps: the product of parameter values, run as ordinary cached runs, and an index of the runs.

``analysis sweep NOTEBOOK -p NAME V1,V2,... [-p NAME ...]`` runs every combination of the listed values (the
first ``-p`` varies slowest). Values are split at top-level commas (``-p countries '["JPN","USA"],["KOR"]'`` is
two lists); ``START..END`` lists every whole number from START to END for an integer parameter
(``-p base_year 2008..2016``). ``--grid FILE`` reads the same from TOML::

    [parameters]
    base_year = [2008, 2009, 2010]   # each value a run; a single value fixes the parameter
    lang = ["ja", "en"]
    countries = [["JPN", "USA"]]     # a list-valued parameter takes a list of lists

Every combination is checked (names, types, paths) and, for those the cache does not hold, the notebook's
validate hook runs, all before any kernel starts: one bad value stops the sweep with the parameter named and
nothing run. Each run is an ordinary run with other parameters (``output/runs/<name>__<hash>.ipynb`` and its
folder), cached by the same key as ``analysis run``, so a repeated or extended sweep runs only what is new.

The index: ``output/runs/sweeps/<notebook>__<hash of the grid>.json`` and a ``.csv`` beside it, rewritten after
each sweep (byte-identical when the results are). JSON::

    {"format": "sangaku-sweep/1",
     "notebook": "fig01_business_researchers_index",
     "grid": {"base_year": [2008, 2009], "lang": ["ja", "en"]},      # typed values, in the order given
     "command": "analysis sweep fig01_business_researchers_index -p base_year 2008,2009 -p lang ja,en",
     "runs": [{"run": "fig01_business_researchers_index__1a2b3c4d5e",
               "parameters": {"base_year": 2008, "lang": "ja"},     # this run's values of the grid
               "ok": true,
               "notebook": "runs/fig01_business_researchers_index__1a2b3c4d5e.ipynb",
               "folder": "runs/fig01_business_researchers_index__1a2b3c4d5e",
               "files": {"fig01_business_researchers_index.png": "<sha256>", ...},
               "message": ""}, ...]}                                 # a failed run: ok false, its message

Paths are relative to the output folder (``output/``); a failed run's ``notebook`` is its kept copy under
``runs/failed/`` and its ``files`` are empty. The CSV has one row per run: ``run``, one column per grid parameter
(JSON for values that are not strings), ``ok``, ``notebook``, ``folder``, ``files`` (names joined by ``;``) and
``message``. :func:`indexes` lists the index files and :func:`read_index` reads one.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io as _io
import itertools
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

from .. import io, paths
from ..errors import DataFileError, ParameterError
from . import cache, layout
from .cache import Context, sha
from .jobs import Job, make_job
from .params import check_type, coerce_cli_value, validate
from .pipeline import hook_check, output_lock
from .schedule import Progress, Summary, run_jobs, say
from .specs import Notebook, load_notebook, load_specs, resolve_notebooks

FORMAT = "sangaku-sweep/1"
MAX_RUNS = 2000  # a larger product is almost surely a typo; split it into several sweeps
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_PAIRS = {"[": "]", "{": "}", "(": ")"}


def split_values(text: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``, splitting only at commas outside brackets and quotes."""
    out, depth, quote, start = [], [], "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in _PAIRS:
            depth.append(_PAIRS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        elif ch == "," and not depth:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [v.strip() for v in out]


def cli_values(nb: Notebook, name: str, text: str) -> list[Any]:
    """The typed values of one ``-p NAME V1,V2,...`` (or ``START..END`` for an integer parameter)."""
    if name not in nb.params:
        raise ParameterError(name, text, f"notebook {nb.name} has no such parameter", sorted(nb.params))
    default = nb.params[name]
    m = _RANGE.match(text)
    if m and isinstance(default, int) and not isinstance(default, bool):
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi < lo:
            raise ParameterError(name, text, f"empty range: {hi} is below {lo}")
        return list(range(lo, hi + 1))
    values = [v for v in split_values(text) if v != ""]
    if not values:
        raise ParameterError(name, text, "no values given; write V1,V2,...")
    return [coerce_cli_value(name, v, default) for v in values]


def read_grid(path: str | Path, nb: Notebook) -> dict[str, list[Any]]:
    """The ``[parameters]`` table of a grid file: name -> list of typed values."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(path, "grid file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"not valid TOML: {exc}") from None
    table = doc.get("parameters")
    if not isinstance(table, dict) or not table:
        raise DataFileError(path, "needs a [parameters] table: NAME = [V1, V2, ...]")
    grid: dict[str, list[Any]] = {}
    for name, values in table.items():
        if name not in nb.params:
            raise ParameterError(name, values, f"notebook {nb.name} has no such parameter", sorted(nb.params))
        default = nb.params[name]
        if not isinstance(values, list):
            values = [values]
        elif isinstance(default, (list, tuple)) and values and not isinstance(values[0], list):
            raise DataFileError(path, f"{name} takes a list: give a list of lists, e.g. {name} = [{values!r}]",
                                column=name)
        if not values:
            raise DataFileError(path, f"{name} = []: no values", column=name)
        grid[name] = [check_type(name, v, default) for v in values]
    return grid


def combinations(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first parameter varying slowest; duplicates dropped."""
    names = list(grid)
    seen, out = set(), []
    for values in itertools.product(*(grid[n] for n in names)):
        combo = dict(zip(names, values))
        key = sha(combo)
        if key not in seen:
            seen.add(key)
            out.append(combo)
    if len(out) > MAX_RUNS:
        raise ParameterError("grid", f"{len(out)} runs", f"more than {MAX_RUNS} runs in one sweep; split it")
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def command(nb: Notebook, grid: dict[str, list[Any]]) -> str:
    """The ``analysis sweep`` command that gives this grid."""
    return f"analysis sweep {nb.name}" + "".join(
        f" -p {n} {shlex.quote(','.join(_text(v) for v in vs))}" for n, vs in grid.items())


def plan(notebook: str, *, cli: list[tuple[str, str]] | None = None, grid_file: str | None = None
         ) -> tuple[Notebook, dict[str, list[Any]], list[tuple[dict[str, Any], Job]]]:
    """The notebook, the typed grid and one job per combination; every name, type and path checked."""
    nb = load_notebook(resolve_notebooks([notebook])[0], load_specs())
    grid: dict[str, list[Any]] = read_grid(grid_file, nb) if grid_file else {}
    for name, text in cli or []:
        grid[name] = cli_values(nb, name, text)  # -p after --grid replaces that parameter's values
    if not grid:
        raise ParameterError("grid", "", "nothing to sweep: give -p NAME V1,V2,... or --grid FILE")
    ctx = Context.current()
    runs = []
    for combo in combinations(grid):
        typed = validate(nb, combo, hook=False)
        runs.append((combo, make_job(nb, typed, ctx)))
    grid = {n: [validate(nb, {n: v}, hook=False)[n] for v in vs] for n, vs in grid.items()}  # paths absolute
    return nb, grid, runs


def index_path(nb: Notebook, grid: dict[str, list[Any]]) -> Path:
    """``output/runs/sweeps/<notebook>__<hash of the grid>.json``."""
    return layout.runs_dir() / "sweeps" / f"{nb.name}__{sha(grid)[:10]}.json"


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.output_dir()).as_posix()
    except ValueError:
        return str(path)


def index(nb: Notebook, grid: dict[str, list[Any]], runs: list[tuple[dict, Job]], summary: Summary) -> dict:
    """The index document of a finished sweep."""
    failed = {r.name: r for r in summary.failed}
    rows = []
    for combo, job in runs:
        res = failed.get(job.out_name)
        rec = (cache.read_record(cache.record_path(job.out_name)) or {}) if res is None else {}
        row = {"run": job.out_name, "parameters": combo, "ok": bool(rec), "notebook": "", "folder": "",
               "files": dict(sorted(rec.get("files", {}).items())), "message": ""}
        if rec:
            row.update(notebook=_rel(Path(job.output_path)), folder=_rel(Path(job.folder)))
        else:
            kept = Path(job.failed_path)
            row.update(notebook=_rel(kept) if kept.exists() else "", message=res.message if res else "not run")
        rows.append(row)
    return {"format": FORMAT, "notebook": nb.name, "grid": grid, "command": command(nb, grid), "runs": rows}


def index_csv(doc: dict) -> str:
    """The index as CSV (one row per run)."""
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(doc["grid"])
    w.writerow(["run", *names, "ok", "notebook", "folder", "files", "message"])
    for row in doc["runs"]:
        w.writerow([row["run"], *(_text(row["parameters"][n]) for n in names), str(row["ok"]).lower(),
                    row["notebook"], row["folder"], ";".join(row["files"]), row["message"]])
    return buf.getvalue()


def write_index(doc: dict, path: Path) -> None:
    io.write_text(path, json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False) + "\n")
    io.write_text(path.with_suffix(".csv"), index_csv(doc))


def indexes() -> list[Path]:
    """Every sweep index (JSON) under ``output/runs/sweeps/``, sorted."""
    folder = layout.runs_dir() / "sweeps"
    return sorted(p for p in folder.glob("*.json") if not layout.is_temporary(p)) if folder.is_dir() else []


def read_index(path: str | Path) -> dict:
    """One sweep index; a file of another format is a ``DataFileError``."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"not a readable sweep index: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataFileError(path, f"not a sweep index of format {FORMAT}")
    return doc


def sweep(notebook: str, *, cli: list[tuple[str, str]] | None = None, grid_file: str | None = None,
          force: bool = False, executor: cf.Executor | None = None, max_workers: int | None = None,
          progress: Progress = say) -> tuple[Path, Summary]:
    """Plan, check and run a sweep, then write its index; returns the index path and the summary."""
    nb, grid, runs = plan(notebook, cli=cli, grid_file=grid_file)
    jobs = list({job.out_name: job for _, job in runs}.values())
    progress(f"[sweep] {nb.name}: {len(jobs)} run(s) over {', '.join(f'{n} ({len(v)})' for n, v in grid.items())}")
    with output_lock():
        summary = run_jobs(jobs, force=force, executor=executor, max_workers=max_workers, progress=progress,
                           before_start=hook_check({nb.name: nb}, executor))
        path = index_path(nb, grid)
        write_index(index(nb, grid, runs, summary), path)
    progress(f"[sweep] {len(summary.ran)} ran, {len(summary.skipped)} cached, {len(summary.failed)} failed; "
             f"index {path} (and .csv)")
    return path, summary
