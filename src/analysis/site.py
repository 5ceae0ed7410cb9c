"""The static HTML site under ``output/site/`` (``analysis site``; ``analysis reproduce`` renders it last).

``index.html`` lists the figures with thumbnails, the hypothesis verdicts read from one export, the summary
notebook's verdict table (``analysis.models.verdicts.export_path()``: every registered entry with its estimate,
verdict, flag and robustness count; replication entries with their estimates and no verdict; registered entries
it lacks as "not run"), the data availability statement and the versions of code, packages
(``analysis.execution.versions.package_versions``, the list the cache keys on) and data. Temporary files
(``analysis.execution.layout.is_temporary``) are never read. Each executed notebook in ``output/notebooks/`` gets
a page (nbconvert lab template, code collapsed in ``<details>``, figures embedded); its output files are
copied beside it. The pages load nothing from the network: the template's CDN scripts are removed.
Pages are re-rendered only when the executed notebook, its files or this code change.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, Callable

from . import io, paths
from .errors import DataFileError
from .execution import layout
from .execution.versions import package_versions

SITE_TEMPLATES = Path(__file__).resolve().parent / "site"
OUTPUT_KINDS = layout.OUTPUT_KINDS
IMAGE_SUFFIXES = (".png",)


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


def _not_temporary(paths_: list[Path], base: Path) -> list[Path]:
    """The paths below ``base`` none of whose parts is a temporary file or folder (hidden, ``*.running.ipynb``)."""
    return [p for p in paths_ if not any(layout.is_temporary(Path(part)) for part in p.relative_to(base).parts)]


def _notebooks(folder: Path) -> list[Path]:
    """Executed notebooks in ``folder``, without the runner's in-flight copies."""
    return _not_temporary(sorted(folder.glob("*.ipynb")), folder) if folder.is_dir() else []


def _files_of(name: str, kind: str) -> list[Path]:
    folder = layout.kind_folder(kind, name)
    if not folder or not folder.is_dir():
        return []
    return _not_temporary([p for p in sorted(folder.rglob("*")) if p.is_file()], folder)


def _copy_files(name: str, files: list[Path], kind: str) -> list[dict[str, str]]:
    """Copy a notebook's output files into ``site/files/<name>/`` (only when changed)."""
    base = layout.kind_folder(kind, name) if files else None
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


def _registry() -> list:
    """Every registered entry; empty when the registry cannot be read (its own tests report that)."""
    try:
        from . import registry

        return registry.load()
    except Exception:  # noqa: BLE001 - a broken registry must not take the site down
        return []


def _interval(r: dict[str, str]) -> str:
    lo, hi = _fmt(r.get("ci_low", "")), _fmt(r.get("ci_high", ""))
    return f"[{lo}, {hi}]" if lo and hi else ""


def _verdict_class(verdict: str) -> str:
    from .models import verdicts

    return {verdicts.REPLICATION_VERDICT: "replication", verdicts.NOT_RUN: "not-run"}.get(
        verdict, verdict.split(" (")[0].strip().replace(" ", "-"))


def verdict_rows(export: Path | None = None, registered: list | None = None) -> list[dict[str, Any]]:
    """Rows of the index's hypothesis table, from the summary notebook's verdict export only.

    Every row of the export is shown as exported (formatted numbers; verdict, its flag and the robustness count
    side by side); registered entries the export lacks, or all of them before the summary notebook has run, appear
    as ``not run``. ``export`` defaults to ``models.verdicts.export_path()``, ``registered`` to the registry.
    """
    from .models import verdicts

    export = export or verdicts.export_path()
    records = verdicts.read_export(export)
    registered = _registry() if registered is None else registered
    source = export.relative_to(paths.output_dir()).as_posix() if export.is_relative_to(paths.output_dir()) \
        else str(export)
    rows = []
    for r in verdicts.site_rows(records, registered):
        nbname = r["notebook"]
        page = site_dir() / "nb" / f"{nbname}.html"
        ran = r["verdict"] != verdicts.NOT_RUN
        rows.append({
            "hypothesis": r["hypothesis"], "statement": r["statement"], "model": r["model"], "term": r["term"],
            "estimate": _fmt(r["estimate"]), "ci": _interval(r), "p_value": _fmt(r["p_value"], 3),
            "n_obs": _fmt(r["n_obs"], 10), "n_clusters": _fmt(r["n_clusters"], 10), "verdict": r["verdict"],
            "verdict_class": _verdict_class(r["verdict"]), "flag": r["verdict_flag"],
            "robustness": r["robustness same verdict"],
            "source": f"output/{source}" if ran else "", "notebook": nbname,
            "href": f"nb/{nbname}.html" if nbname and page.exists() else "",
        })
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
    """Package versions (``package_versions()``, the list the cache keys on), data manifest summary and git
    commit shown on the index page."""
    pkgs = package_versions()
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
    return {
        "git": _git_commit(), "python": pkgs.get("python", ""), "kernel": layout.KERNEL_NAME,
        "packages": [(n, v) for n, v in pkgs.items() if n != "python"],
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
    executed = _notebooks(out / "notebooks")
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
    failed = [p.stem for p in _notebooks(out / "notebooks" / "failed")]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SITE_TEMPLATES)), autoescape=True,
                             keep_trailing_newline=True)
    try:
        rows, verdict_error = verdict_rows(), ""
    except DataFileError as exc:  # shown on the page; the rest of the site still renders
        rows, verdict_error = [], str(exc)
    html = env.get_template("index.html").render(
        figures=figures, others=others, failed=failed, verdicts=rows, verdict_error=verdict_error,
        statement_html=statement_html(), versions=versions())
    io.write_text(site / "index.html", html)
    io.write_text(cache_path, json.dumps(new_cache, indent=1, sort_keys=True) + "\n")
    progress(f"[site] {len(executed)} page(s), {rendered} re-rendered; {site / 'index.html'}")
    return site / "index.html"
