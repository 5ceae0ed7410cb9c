"""The static HTML site under ``output/site/`` (``analysis site``; ``analysis reproduce`` renders it last).

Every page is in Japanese and English with a switch that keeps the reader on the page and remembers the choice
(``i18n``). ``index.html`` lists the figures, a tally of the verdicts, the data availability statement and the
versions of code, packages (``analysis.execution.versions.package_versions``) and data. ``figures/<name>.html``
shows a figure: static PNG, an interactive Vega-Lite chart per panel built from the figure's CSV (``charts``),
downloads, the note, the vintages of its data, the command that rebuilds it and how to cite it. ``findings.html`` says, per hypothesis,
what was asked, what the data say and how sure we are, generated from the summary notebook's verdict export
(``findings``), with the wide table (sortable, filterable). ``changes.html`` ("What changed") shows the diffs of
``output/diff/`` (``changes``): verdict flips first, then each figure's revised values, years and flags.
``nb/<name>.html`` is each executed notebook, code
collapsed. Output files are copied into ``files/<name>/`` (the English run's into ``files/<name>/en/``); the
JavaScript is the site's own (``static/``) and vendored (``vendor/``): nothing is loaded from a network.
Pages are re-rendered only when their notebook, its files or this package change; a rebuild is byte-identical.

Modules: ``collect`` (what is read from output/), ``i18n`` (labels, ``i18n.toml``), ``charts``
(``charts.toml``), ``findings`` (``findings.toml``), ``changes`` (``output/diff/``), ``meta`` (versions,
vintages, statement, citation), ``pages``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from .. import io, paths
from ..errors import DataFileError
from ..execution import filehash
from .collect import site_dir
from .findings import fmt as _fmt, verdict_rows  # noqa: F401 - public API of the site
from .meta import statement_html, versions  # noqa: F401

SITE_PACKAGE = Path(__file__).resolve().parent
ASSET_FOLDERS = ("static", "vendor")
SHARED_PAGES = "(index, findings, changes)"  # their entry in output/.cache/site.json
SHARED_PAGE_FILES = ("index.html", "findings.html", "changes.html")
METADATA = "(metadata)"  # its entry in output/.cache/site.json: each executed notebook's sha256 and sangaku block


def _code_hash() -> str:
    """Every file of this package (code, labels, templates, scripts), CITATION.cff, the git commit and the data
    vintages (all are named on the figure pages): a change re-renders every page."""
    from .meta import citation_file, git_commit, vintage_state

    # the vintages (manifest and BUILD.json) are named on every figure page
    from ..execution import layout

    spec = layout.spec_path()  # which datasets (so which vintages) a figure page names
    h = hashlib.sha256((citation_file() or b"") + git_commit().encode() + vintage_state().encode()
                       + (spec.read_bytes() if spec.is_file() else b""))
    for p in sorted(SITE_PACKAGE.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(SITE_PACKAGE).as_posix().encode() + b"\0" + filehash.sha256(p).encode())
    return h.hexdigest()


def _shared_pages_key(code: str, notebook_keys: dict[str, str], failed: list[str]) -> str:
    """What the index, findings and "What changed" pages are made of besides the code: every notebook page's key
    (its executed notebook and files), the failed runs, the verdict export and every file of ``output/diff/``."""
    from ..models import verdicts
    from .collect import diff_folder

    h = hashlib.sha256(code.encode() + json.dumps([notebook_keys, failed], sort_keys=True).encode())
    diff = Path(diff_folder())
    for p in [verdicts.export_path(), *(sorted(diff.iterdir()) if diff.is_dir() else [])]:
        if p.is_file():
            h.update(p.name.encode() + b"\0" + filehash.sha256(p).encode())
    return h.hexdigest()


def _copy_assets(site: Path) -> None:
    from .meta import citation_file

    for folder in ASSET_FOLDERS:
        for p in sorted((SITE_PACKAGE / folder).iterdir()):
            dst = site / folder / p.name
            if p.is_file() and (not dst.is_file() or filehash.sha256(dst) != filehash.sha256(p)):
                io.write_bytes(dst, p.read_bytes())
    cff = citation_file()
    if cff is not None:
        io.write_bytes(site / "CITATION.cff", cff)


def render(*, force: bool = False, progress: Callable[[str], None] = lambda m: print(m, flush=True)) -> Path:
    """Render ``output/site``; return the path of ``index.html``."""
    from . import collect

    out = paths.output_dir()
    site = site_dir()
    cache_path = out / ".cache" / "site.json"
    try:
        cache = {} if force else json.loads(cache_path.read_text())
    except (OSError, json.JSONDecodeError):
        cache = {}
    code = _code_hash()
    _copy_assets(site)
    known_metadata = cache.get(METADATA, {}) if isinstance(cache.get(METADATA), dict) else {}
    notebooks = collect.collect(known_metadata)
    figures, others, new_cache = [], [], {}
    todo: list[tuple] = []  # pages to render: (notebook, its links, its English links)
    for nb in notebooks:
        links = collect.copy_into_site(nb.name, nb.files)
        en_links = collect.copy_into_site(nb.name, nb.en_files, "en") if nb.en_files else {}
        h = hashlib.sha256(code.encode() + filehash.sha256(nb.path).encode()
                           + (filehash.sha256(nb.en_path).encode() if nb.en_path else b""))
        for f in [*nb.files, *nb.en_files]:
            h.update(f.name.encode() + filehash.sha256(f).encode())
        key = h.hexdigest()
        page = site / "nb" / f"{nb.name}.html"
        fig_page = site / "figures" / f"{nb.name}.html"
        is_figure = nb.kind == "figure"
        if cache.get(nb.name) != key or not page.exists() or (is_figure and not fig_page.exists()):
            todo.append((nb, links, en_links))
        new_cache[nb.name] = key
        entry = {"name": nb.name, "href": f"nb/{nb.name}.html", "nb_href": f"nb/{nb.name}.html",
                 "title_ja": nb.meta.get("title_ja") or nb.name,
                 "title_en": nb.meta.get("title_en") or nb.meta.get("title_ja") or nb.name,
                 "deck_figure": nb.meta.get("deck_figure", "")}
        if is_figure:
            pngs = [h for n, h in links.items() if n.lower().endswith(collect.IMAGE_SUFFIXES)]
            entry.update(href=f"figures/{nb.name}.html", thumb=pngs[0] if pngs else "")
            figures.append(entry)
        else:
            others.append(entry)
    if todo:
        from . import pages

        for (nb, _, _), (page_html, figure_html) in zip(todo, pages.render_pages(todo)):
            io.write_text(site / "nb" / f"{nb.name}.html", page_html)
            if figure_html is not None:
                io.write_text(site / "figures" / f"{nb.name}.html", figure_html)
    rendered = len(todo)
    # Pages of notebooks that no longer exist would otherwise linger with stale results.
    for folder in ("nb", "figures"):
        for stale in sorted((site / folder).glob("*.html")) if (site / folder).is_dir() else []:
            if stale.stem not in new_cache or (folder == "figures" and stale.stem not in {f["name"] for f in figures}):
                stale.unlink()
    # index, findings and changes are made from everything: rendered only when something they show changed
    shared_key = _shared_pages_key(code, new_cache, collect.failed())
    if cache.get(SHARED_PAGES) != shared_key or not all((site / p).exists() for p in SHARED_PAGE_FILES):
        from . import changes, findings, pages

        try:
            rows, verdict_error = verdict_rows(), ""
        except DataFileError as exc:  # shown on the page; the rest of the site still renders
            rows, verdict_error = [], str(exc)
        io.write_text(site / "index.html", pages.index_page(figures, others, collect.failed(), rows))
        io.write_text(site / "findings.html", pages.findings_page(rows, verdict_error))
        links = {e["name"]: e["href"] for e in [*others, *figures]}  # a figure's own page, else its notebook page
        titles = {e["name"]: (e["title_ja"], e["title_en"]) for e in [*others, *figures]}
        anchors = {c["id"] for g in findings.cards(rows) for c in g["cards"]}
        io.write_text(site / "changes.html", pages.changes_page(changes.collect(links, anchors), titles))
        shared = "re-rendered"
    else:
        shared = "unchanged"
    new_cache[SHARED_PAGES] = shared_key
    new_cache[METADATA] = {n: known_metadata[n] for n in sorted(known_metadata)
                           if n in {nb.path.name for nb in notebooks}}
    io.write_text(cache_path, json.dumps(new_cache, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    filehash.save()
    progress(f"[site] {len(notebooks)} page(s), {rendered} re-rendered, index, findings and changes {shared}; "
             f"{site / 'index.html'}")
    return site / "index.html"
