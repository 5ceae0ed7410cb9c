"""What the pages say about the package itself: versions of code, packages and data, the vintages of every source
(each committed vintage, the one ``data/processed/BUILD.json`` was built from marked), the data availability
statement, and how to cite a figure (``CITATION.cff`` plus a text citation with the data vintage)."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from typing import Any

from .. import io, paths
from ..execution import layout
from ..execution.versions import package_versions


def manifest_sources() -> dict[str, dict[str, str]]:
    """The manifest's description of each source (publisher, dataset, vintage, citation)."""
    path = paths.raw_dir() / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")).get("sources", {}) if path.exists() else {}


def built_vintages() -> dict[str, str]:
    """{source: vintage} that ``data/processed/`` was built from (``BUILD.json`` ``vintages``); empty before a build."""
    build = paths.processed_dir() / "BUILD.json"
    try:
        return dict(json.loads(build.read_text(encoding="utf-8")).get("vintages", {})) if build.exists() else {}
    except json.JSONDecodeError:
        return {}  # the index shows the file's sha256; the build rewrites it


def _manifest_vintages() -> dict[str, list[dict[str, Any]]]:
    path = paths.raw_dir() / "manifest.json"
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in doc.get("vintages", []):
        out.setdefault(rec["source"], []).append(rec)
    return {k: sorted(v, key=lambda r: r["vintage"]) for k, v in out.items()}


def source_of(dataset: str) -> str:
    """The raw source a processed dataset is built from (``cincera1997_panel`` -> ``cincera1997``)."""
    import importlib

    from ..sources import SOURCE_MODULES

    if dataset in SOURCE_MODULES:
        return dataset
    for source, module in SOURCE_MODULES.items():
        if getattr(importlib.import_module(module), "PANEL_NAME", None) == dataset:
            return source
    prefix = dataset.removesuffix("_panel")
    return next((s for s in SOURCE_MODULES if s == prefix or s.startswith(prefix + "_")), dataset)


def datasets_of(name: str, reads: list[str]) -> list[str]:
    """The processed datasets a notebook reads: its table in ``notebooks.toml`` (the declared graph the cache keys
    on), else the ``reads`` of its executed copy's metadata."""
    from ..errors import DataFileError
    from ..execution import specs

    try:
        spec = specs.load_specs().get(name)
    except DataFileError:
        spec = None
    return list(spec.processed) if spec is not None and spec.processed else list(reads)


def vintage_rows(datasets: list[str] | None = None) -> list[dict[str, Any]]:
    """Per source (every source of the manifest, or those ``datasets`` are built from, in that order): dataset,
    edition (the manifest's words), every committed vintage oldest first with the one the build used marked, and
    ``used`` ('' before a build). A vintage fetched by ``analysis update`` says when it was retrieved."""
    described, committed, built = manifest_sources(), _manifest_vintages(), built_vintages()
    names = list(dict.fromkeys(source_of(d) for d in datasets)) if datasets is not None else sorted(
        set(described) | set(committed))
    rows = []
    for name in names:
        if name not in described and name not in committed:
            continue
        used = built.get(name, "")
        have = [{"vintage": r["vintage"], "used": r["vintage"] == used, "files": r.get("files", 0),
                 "retrieved": (r.get("origin") or {}).get("retrieved", "")} for r in committed.get(name, [])]
        rows.append({"name": name, "dataset": described.get(name, {}).get("dataset", ""),
                     "edition": described.get(name, {}).get("vintage", ""), "vintages": have, "used": used,
                     "used_committed": any(v["used"] for v in have)})
    return rows


def vintage_state() -> str:
    """What the vintage tables of the pages depend on (manifest vintages and BUILD.json's), for the page cache."""
    return json.dumps([_manifest_vintages(), built_vintages()], sort_keys=True)


def statement_html() -> str:
    """The data availability statement (Markdown from the manifest) as HTML, via mistune (ships with nbconvert)."""
    from .. import manifest

    try:
        text = manifest.availability_statement()
    except Exception as exc:  # noqa: BLE001 - shown on the page instead of failing the whole site
        return f"<p class='failed'>availability statement unavailable: {type(exc).__name__}: {exc}</p>"
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table"])(text)


@lru_cache(maxsize=1)
def git_commit() -> str:
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
        "git": git_commit(), "python": pkgs.get("python", ""), "kernel": layout.KERNEL_NAME,
        "packages": [(n, v) for n, v in pkgs.items() if n != "python"],
        "raw_files": raw_files, "raw_mb": f"{raw_bytes / 1e6:.1f}",
        "manifest_sha": io.sha256_file(raw_manifest) if raw_manifest.exists() else "missing",
        "processed_files": len(outputs), "build_sha": io.sha256_file(build) if build.exists() else "not built",
        "sources": sources,
    }


def citation_file() -> bytes | None:
    """The package's ``CITATION.cff`` (copied into the site), or ``None`` outside a checkout that has one."""
    path = paths.project_root() / "CITATION.cff"
    return path.read_bytes() if path.exists() else None


def _cff_field(key: str) -> str:
    text = (citation_file() or b"").decode("utf-8")
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip().strip('"')
    return ""


def figure_citation(title: str, deck_figure: str, reads: list[str], lang: str) -> str:
    """A text citation of one figure: package, figure, commit, and the vintage of every source it reads."""
    sources = manifest_sources()
    built = built_vintages()
    commit = git_commit().split()[0][:12]
    word = "版" if lang == "ja" else "vintage"
    names = list(dict.fromkeys(source_of(d) for d in reads))
    data = "; ".join(f"{s} ({sources[s].get('dataset', '')}, {sources[s].get('vintage', '')}"
                     + (f"; {word} {built[s]})" if s in built else ")") for s in names if s in sources)
    author = _cff_field("title") or "sangaku"
    version = _cff_field("version")
    if lang == "ja":
        fig = f"図{deck_figure}「{title}」" if deck_figure else f"「{title}」"
        return (f"{author}（版 {version}、コミット {commit}）{fig}。データ：{data}。" if version
                else f"{author}（コミット {commit}）{fig}。データ：{data}。")
    fig = f"Figure {deck_figure}, \u201c{title}\u201d" if deck_figure else f"\u201c{title}\u201d"
    ver = f"version {version}, " if version else ""
    return f"{author} ({ver}commit {commit}). {fig}. Data: {data}."
