"""The static HTML site under ``output/site/`` (``analysis site``; ``analysis reproduce`` renders it last).

``index.html`` lists the figures with thumbnails, the hypothesis verdicts read from the hypothesis notebooks'
CSV exports (``output/tables/*/*.csv`` in the layout of ``analysis.models.results``; registered replication
entries are shown with their estimates and no verdict), the data availability
statement and the versions of code, packages and data. Each executed notebook in ``output/notebooks/`` gets
a page (nbconvert lab template, code collapsed in ``<details>``, figures embedded); its output files are
copied beside it. The pages load nothing from the network: the template's CDN scripts are removed.
Pages are re-rendered only when the executed notebook, its files or this code change.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from . import io, paths

SITE_TEMPLATES = Path(__file__).resolve().parent / "site"
OUTPUT_KINDS = {"figure": "figures", "hypothesis": "tables"}
IMAGE_SUFFIXES = (".png",)
# A CSV is a results table (layout of ``analysis.models.results``) when it has at least these columns.
RESULT_COLUMNS = {"hypothesis", "model", "term", "estimate", "p_value", "verdict"}


def site_dir() -> Path:
    return paths.output_dir() / "site"


def _code_hash() -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in sorted(SITE_TEMPLATES.iterdir()):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def _css() -> str:
    return (SITE_TEMPLATES / "style.css").read_text(encoding="utf-8")


def _files_of(name: str, kind: str) -> list[Path]:
    sub = OUTPUT_KINDS.get(kind)
    folder = paths.output_dir() / sub / name if sub else None
    if not folder or not folder.is_dir():
        return []
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def _copy_files(name: str, files: list[Path], kind: str) -> list[dict[str, str]]:
    """Copy a notebook's output files into ``site/files/<name>/`` (only when changed)."""
    base = paths.output_dir() / OUTPUT_KINDS[kind] / name if files else None
    out = []
    for f in files:
        rel = f.relative_to(base).as_posix()
        dst = site_dir() / "files" / name / rel
        data = f.read_bytes()
        if not dst.exists() or dst.read_bytes() != data:
            io.write_bytes(dst, data)
        out.append({"name": rel, "href": f"files/{name}/{rel}"})
    return out


def _exporter():
    from nbconvert import HTMLExporter

    exp = HTMLExporter(template_name="lab", extra_template_paths=[str(SITE_TEMPLATES)],
                       template_file="notebook.html")
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    exp.language_code = "ja"  # the pages are mainly Japanese (fonts, line breaking, screen readers)
    return exp


def _params_of(nb) -> str:
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
            return "; ".join(lines)
    return ""


def render_page(nb_path: Path, files: list[dict[str, str]], exporter=None) -> str:
    """HTML of one executed notebook page (links relative to ``site/nb/``)."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    meta = nb.metadata.get("sangaku", {})
    exporter = exporter or _exporter()
    resources = {
        "metadata": {"name": meta.get("title_ja") or nb_path.stem},
        "language_code": "ja",
        "sangaku": {
            "css": _css(), "title_ja": meta.get("title_ja") or nb_path.stem, "title_en": meta.get("title_en", ""),
            "deck_figure": meta.get("deck_figure", ""), "parameters": _params_of(nb),
            "files": [{"name": f["name"], "href": "../" + f["href"]} for f in files],
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _fmt(value: str, digits: int = 4) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return value or ""
    if x != x:  # NaN
        return ""
    return f"{x:.{digits}g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.2e}"


REPLICATION_VERDICT = "replication — no verdict"


def _registry() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Registered statements by id, and the coefficients of the entries with ``role = "replication"``."""
    try:
        from . import registry

        hyps = registry.load()
    except Exception:  # a broken registry must not take the site down; its own tests report it
        return {}, {}
    return ({h.id: h.statement for h in hyps},
            {h.id: list(h.coefficients) for h in hyps if h.extra.get("role") == "replication"})


def _notebook_mentioning(hid: str) -> str:
    """The executed notebook whose code or text names ``hid`` (one with "replication" in its name first)."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(hid)}(?![\w-])")
    hits = []
    for nb_path in sorted((paths.output_dir() / "notebooks").glob("*.ipynb")):
        try:
            cells = json.loads(nb_path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        if any(pattern.search("".join(c.get("source", ""))) for c in cells):
            hits.append(nb_path.stem)
    hits.sort(key=lambda n: ("replication" not in n, n))
    return hits[0] if hits else ""


def _interval(r: dict[str, str]) -> str:
    lo, hi = _fmt(r.get("ci_low", "")), _fmt(r.get("ci_high", ""))
    return f"[{lo}, {hi}]" if lo and hi else ""


def verdict_rows(registered: dict[str, str] | None = None,
                 replications: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """Hypothesis rows with a verdict from every ``output/tables/<notebook>/*.csv``; registered but unexported
    hypotheses appear as ``not run``.

    ``replications`` (id -> registered coefficients) are entries that carry no verdict by design: they are shown
    as replication rows, with their combined estimate (or every estimate when none is combined) from the rows
    with role ``replication``, or a pointer to the executed notebook that names them; ``not run`` only when no
    executed notebook does. Both default to the registry.
    """
    if registered is None:
        registered, found_reps = _registry()
        replications = found_reps if replications is None else replications
    replications = replications or {}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    shown: set[tuple[str, str, str]] = set()
    rep_found: dict[str, list[dict[str, Any]]] = {hid: [] for hid in replications}
    tables = paths.output_dir() / "tables"
    # Per notebook folder, its main export (named after the notebook) first, then its other tables.
    found = sorted(tables.glob("*/*.csv"), key=lambda p: (p.parent.name, p.stem != p.parent.name, p.name)) \
        if tables.is_dir() else []
    for path in found:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not RESULT_COLUMNS <= set(reader.fieldnames):
                continue
            for r in reader:
                hid = (r.get("hypothesis") or "").strip()
                role = r.get("role", "hypothesis")
                replication = role == "replication" and hid in replications
                if not hid or not (replication or (role == "hypothesis" and (r.get("verdict") or "").strip())):
                    continue
                # A summary notebook may re-export the family notebooks' rows: show each estimate once,
                # from the first table in path order (the family notebook's own export).
                ident = (hid, r["model"], r["term"])
                if ident in shown:
                    continue
                shown.add(ident)
                nbname = path.parent.name
                page = site_dir() / "nb" / f"{nbname}.html"
                verdict = REPLICATION_VERDICT if replication else r["verdict"]
                row = {
                    "hypothesis": hid, "statement": registered.get(hid, ""), "model": r.get("model", ""),
                    "term": r.get("term", ""), "estimate": _fmt(r.get("estimate", "")), "ci": _interval(r),
                    "p_value": _fmt(r.get("p_value", ""), 3), "n_obs": _fmt(r.get("n_obs", ""), 10),
                    "n_clusters": _fmt(r.get("n_clusters", ""), 10),
                    "verdict": verdict, "verdict_class": "replication" if replication else
                    verdict.strip().replace(" ", "-"),
                    "source": f"output/tables/{nbname}/{path.name}", "notebook": nbname,
                    "href": f"nb/{nbname}.html" if page.exists() else "",
                }
                if replication:
                    rep_found[hid].append(row)
                else:
                    seen.add(hid)
                    rows.append(row)
    for hid in sorted(replications):
        coefs = set(replications[hid])
        # the registered estimate: the combined term when several coefficients are summed, else the coefficient
        main = [r for r in rep_found[hid] if (r["term"] not in coefs if len(coefs) > 1 else r["term"] in coefs)]
        if main or rep_found[hid]:
            rows.extend(main or rep_found[hid])
            seen.add(hid)
            continue
        nbname = _notebook_mentioning(hid)
        if nbname:
            page = site_dir() / "nb" / f"{nbname}.html"
            rows.append({"hypothesis": hid, "statement": registered.get(hid, ""), "model": f"see {nbname}",
                         "term": "", "estimate": "", "ci": "", "p_value": "", "n_obs": "",
                         "n_clusters": "", "verdict": REPLICATION_VERDICT, "verdict_class": "replication",
                         "source": f"output/notebooks/{nbname}.ipynb", "notebook": nbname,
                         "href": f"nb/{nbname}.html" if page.exists() else ""})
            seen.add(hid)
    for hid, statement in sorted(registered.items()):
        if hid not in seen:
            rows.append({"hypothesis": hid, "statement": statement, "model": "", "term": "", "estimate": "",
                         "ci": "", "p_value": "", "n_obs": "", "n_clusters": "", "verdict": "not run",
                         "verdict_class": "not-run", "source": "", "notebook": "", "href": ""})
    return rows


def statement_html() -> str:
    """The data availability statement (Markdown from the manifest) as HTML, via mistune (ships with nbconvert)."""
    from . import manifest

    try:
        text = manifest.availability_statement()
    except Exception as exc:  # noqa: BLE001 - shown on the page instead of failing the whole site
        return f"<p class='failed'>availability statement unavailable: {type(exc).__name__}: {exc}</p>"
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table"])(text)


def _git_commit() -> str:
    root = paths.project_root()
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return sha + (" (with uncommitted changes)" if dirty else "")


def versions() -> dict[str, Any]:
    """Package versions, data manifest summary and git commit shown on the index page."""
    import importlib.metadata
    import tomllib

    root = Path(__file__).resolve().parents[2]
    names: list[str] = []
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        import re

        deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
        names = [re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0] for d in deps]
    pkgs = []
    for n in names:
        try:
            pkgs.append((n, importlib.metadata.version(n)))
        except importlib.metadata.PackageNotFoundError:
            pkgs.append((n, "not installed"))
    raw_manifest = paths.raw_dir() / "manifest.json"
    raw_files, raw_bytes, sources = 0, 0, []
    if raw_manifest.exists():
        doc = json.loads(raw_manifest.read_text(encoding="utf-8"))
        raw_files = len(doc.get("files", []))
        raw_bytes = sum(int(e.get("bytes", 0)) for e in doc.get("files", []))
        sources = [{"name": k, "dataset": v.get("dataset", ""), "vintage": v.get("vintage", "")}
                   for k, v in doc.get("sources", {}).items()]
    build = paths.processed_dir() / "BUILD.json"
    outputs = json.loads(build.read_text()).get("outputs", {}) if build.exists() else {}
    from .runner import KERNEL_NAME

    return {
        "git": _git_commit(), "python": sys.version.split()[0], "kernel": KERNEL_NAME, "packages": pkgs,
        "raw_files": raw_files, "raw_mb": f"{raw_bytes / 1e6:.1f}",
        "manifest_sha": io.sha256_file(raw_manifest) if raw_manifest.exists() else "missing",
        "processed_files": len(outputs), "build_sha": io.sha256_file(build) if build.exists() else "not built",
        "sources": sources,
    }


def render(*, force: bool = False, progress: Callable[[str], None] = lambda m: print(m, flush=True)) -> Path:
    """Render ``output/site``; return the path of ``index.html``."""
    import jinja2

    out = paths.output_dir()
    site = site_dir()
    cache_path = out / ".cache" / "site.json"
    try:
        cache = {} if force else json.loads(cache_path.read_text())
    except (OSError, json.JSONDecodeError):
        cache = {}
    code = _code_hash()
    io.write_text(site / "style.css", _css())
    executed = sorted((out / "notebooks").glob("*.ipynb"))
    exporter = None
    figures, others, new_cache = [], [], {}
    rendered = 0
    for nb_path in executed:
        name = nb_path.stem
        meta = json.loads(nb_path.read_text(encoding="utf-8")).get("metadata", {}).get("sangaku", {})
        kind = meta.get("kind", "")
        files = _files_of(name, kind)
        links = _copy_files(name, files, kind) if files else []
        h = hashlib.sha256(code.encode() + nb_path.read_bytes())
        for f in files:
            h.update(f.name.encode() + io.sha256_file(f).encode())
        key = h.hexdigest()
        page = site / "nb" / f"{name}.html"
        if cache.get(name) != key or not page.exists():
            exporter = exporter or _exporter()
            io.write_text(page, render_page(nb_path, links, exporter))
            rendered += 1
        new_cache[name] = key
        entry = {"name": name, "href": f"nb/{name}.html", "title_ja": meta.get("title_ja") or name,
                 "title_en": meta.get("title_en", ""), "deck_figure": meta.get("deck_figure", "")}
        if kind == "figure":
            pngs = [lk["href"] for lk in links if lk["href"].lower().endswith(IMAGE_SUFFIXES)]
            entry["thumb"] = pngs[0] if pngs else ""
            figures.append(entry)
        else:
            others.append(entry)
    # Pages of notebooks that no longer exist would otherwise linger with stale results.
    for stale in sorted((site / "nb").glob("*.html")) if (site / "nb").is_dir() else []:
        if stale.stem not in new_cache:
            stale.unlink()
    failed = sorted(p.stem for p in (out / "notebooks" / "failed").glob("*.ipynb")) \
        if (out / "notebooks" / "failed").is_dir() else []
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SITE_TEMPLATES)), autoescape=True,
                             keep_trailing_newline=True)
    html = env.get_template("index.html").render(
        figures=figures, others=others, failed=failed, verdicts=verdict_rows(),
        statement_html=statement_html(), versions=versions())
    io.write_text(site / "index.html", html)
    io.write_text(cache_path, json.dumps(new_cache, indent=1, sort_keys=True) + "\n")
    progress(f"[site] {len(executed)} page(s), {rendered} re-rendered; {site / 'index.html'}")
    return site / "index.html"
