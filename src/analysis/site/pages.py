"""HTML of the site's pages: the index, one page per figure, the findings page, the "What changed" page and one
page per notebook.

Templates are in ``templates/`` (Jinja, autoescaped); notebook cells are converted with nbconvert's lab cell
templates (code collapsed in ``<details>``, figures embedded) and wrapped in the site's own page, so no page
loads anything from a network: scripts and styles are the site's ``static/`` and ``vendor/`` files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import nbimport
from . import changes, charts, collect, findings, i18n, meta

SITE_PACKAGE = Path(__file__).resolve().parent
TEMPLATES = SITE_PACKAGE / "templates"
IMAGE_SUFFIXES = collect.IMAGE_SUFFIXES
CONTENT_LABELS = {".csv": "data_csv", ".png": "PNG", ".svg": "SVG"}


@lru_cache(maxsize=1)
def env():
    import jinja2

    e = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                           keep_trailing_newline=True)
    e.globals.update(t=i18n.both, pair=i18n.pair, spec_json=charts.spec_json,
                     t_plain=lambda key, lang="ja", section="ui": i18n.label(key, lang, section),
                     t_or=i18n.both_or,
                     verdict_word=i18n.verdict_word, verdict_class=findings.verdict_class)
    return e


def render_template(name: str, root: str, title: tuple[str, str], **context: Any) -> str:
    return env().get_template(name).render(root=root, title_ja=title[0], title_en=title[1], **context)


NO_ALT = re.compile(r"<img(?![^>]*\balt=)")
ALT_TEXT = "No description has been provided for this image"  # nbconvert's own text for an image without one


def _exporter():
    nbimport.skip_iri_grammar()  # nbconvert imports nbformat: ~2 CPU-s saved per site build
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class CellsExporter(HTMLExporter):
        """nbconvert's HTML exporter without its final BeautifulSoup pass, which parses and re-serialises every
        page (40 % of the conversion's CPU, on ~18 MB of pages with embedded figures) to add alt text to images
        without it and tabindex to cells under ``.jp-Notebook``: a cells fragment has no such wrapper, and the
        alt text is added by :data:`NO_ALT`."""

        def from_notebook_node(self, nb, resources=None, **kw):
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return NO_ALT.sub(f'<img alt="{ALT_TEXT}"', html), resources

    exp = CellsExporter(template_name="lab", extra_template_paths=[str(TEMPLATES)], template_file="cells.html.j2")
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


def notebook_cells(path: Path, lang: str, exporter=None) -> str:
    """The cells of an executed notebook as HTML (no page around them)."""
    nb = nbimport.nbformat().read(path, as_version=4)
    exporter = exporter or _exporter()
    body, _ = exporter.from_notebook_node(nb, resources={"sangaku_code_label": i18n.label("code", lang)})
    return body


def notebook_page(nb: collect.Notebook, links: dict[str, str], exporter=None) -> str:
    """The page of one executed notebook (links relative to ``site/nb/``), in both languages when an English
    run exists; otherwise the ja run under both."""
    exporter = exporter or _exporter()
    m = nb.meta
    context = {
        "title_ja": m.get("title_ja") or nb.name, "title_en": m.get("title_en") or m.get("title_ja") or nb.name,
        "deck_figure": m.get("deck_figure", ""), "parameters": collect.injected_parameters(nb.path),
        "figure_href": f"../figures/{nb.name}.html" if nb.kind == "figure" else "",
        "files": [{"name": n, "href": "../" + h} for n, h in links.items()],
        "cells_ja": notebook_cells(nb.path, "ja", exporter),
        "cells_en": notebook_cells(nb.en_path, "en", exporter) if nb.en_path else "",
    }
    return render_template("notebook.html", "../", (context["title_ja"], context["title_en"]), nb=context)


def _pages_of(item: tuple) -> tuple[str, str | None]:
    """(notebook page, figure page or None) of one ``(notebook, links, English links)``."""
    global _PROCESS_EXPORTER
    nb, links, en_links = item
    _PROCESS_EXPORTER = _PROCESS_EXPORTER or _exporter()
    page = notebook_page(nb, links, _PROCESS_EXPORTER)
    return page, (figure_page(nb, links, en_links) if nb.kind == "figure" else None)


_PROCESS_EXPORTER = None  # one nbconvert exporter per process (building it reads every template)


def render_pages(items: list[tuple]) -> list[tuple[str, str | None]]:
    """The pages of each ``(notebook, links, English links)``, in order. Each page depends only on its own
    notebook and files, so with several to render they are made in forked processes, one per core (a fresh
    reproduce renders 16 notebooks' pages: about 8 CPU-s after the notebooks, when the cores are free)."""
    import multiprocessing as mp
    import os

    global _PROCESS_EXPORTER
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cores, len(items))
    _PROCESS_EXPORTER = _PROCESS_EXPORTER or _exporter()  # built once, before forking: the workers inherit it
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [_pages_of(item) for item in items]
    import concurrent.futures as cf

    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(_pages_of, items))


def _en_file(stem: str, suffix: str, en_links: dict[str, str]) -> str:
    for candidate in (f"{stem}_en{suffix}", f"{stem}{suffix}"):
        if candidate in en_links:
            return en_links[candidate]
    return ""


def _download(href: str, name: str, lang: str = "") -> dict[str, str]:
    suffix = Path(name).suffix.lower()
    kind = CONTENT_LABELS.get(suffix, suffix.lstrip(".").upper())
    label = i18n.label(kind, lang or "en") if kind == "data_csv" else kind
    return {"href": "../" + href, "label": f"{label} — {name}", "lang": lang}


def figure_page(nb: collect.Notebook, links: dict[str, str], en_links: dict[str, str]) -> str:
    """The page of one figure: static PNG per language, interactive charts from its CSVs, downloads, note,
    rebuild command and citation (links relative to ``site/figures/``)."""
    m = nb.meta
    files = {f.name: f for f in nb.files}
    sources = meta.manifest_sources()
    parts, used = [], set()
    for name in sorted(n for n in files if n.lower().endswith(IMAGE_SUFFIXES)):
        stem = Path(name).stem
        csv_name, svg_name = f"{stem}.csv", f"{stem}.svg"
        en_png = _en_file(stem, ".png", en_links)
        csv_text = files[csv_name].read_text(encoding="utf-8") if csv_name in files else ""
        if "</script" in csv_text.lower():
            csv_text = ""  # cannot be carried verbatim inside the page; the download link still has it
        downloads = []
        for lang, ls in (("ja", links), ("en", en_links)):
            for n in (csv_name, name, svg_name):
                target = ls.get(n) or (_en_file(stem, Path(n).suffix, ls) if lang == "en" else "")
                if target:
                    downloads.append(_download(target, Path(target).name, lang if en_links else ""))
            if not en_links:
                break
        used.update({name, csv_name, svg_name})
        parts.append({"stem": stem, "png": {"ja": "../" + links[name], "en": "../" + (en_png or links[name])},
                      "png_fallback": not en_png, "csv_text": csv_text, "downloads": downloads,
                      "panels": charts.panels(stem, csv_text, sources) if csv_text else []})
    extra = [_download(links[n], n) for n in sorted(files) if n not in used]
    title = (m.get("title_ja") or nb.name, m.get("title_en") or m.get("title_ja") or nb.name)
    reads = meta.datasets_of(nb.name, m.get("reads", []))
    en_nb = nb.en_path or nb.path
    fig = {
        "name": nb.name, "title_ja": title[0], "title_en": title[1], "deck_figure": m.get("deck_figure", ""),
        "nb_href": f"../nb/{nb.name}.html", "charts": parts, "extra_downloads": extra,
        "note_ja": collect.note_of(nb.path), "note_en": collect.note_of(en_nb),
        "note_en_fallback": nb.en_path is None,
        "command_ja": collect.rebuild_command(nb.name, nb.path, "ja"),
        "command_en": collect.rebuild_command(nb.name, en_nb, "en"),
        "citation_ja": meta.figure_citation(title[0], m.get("deck_figure", ""), reads, "ja"),
        "citation_en": meta.figure_citation(title[1], m.get("deck_figure", ""), reads, "en"),
        "cff_href": "../CITATION.cff" if meta.citation_file() else "",
    }
    return render_template("figure.html", "../", title, fig=fig, vintage_rows=meta.vintage_rows(reads))


def index_page(figures: list[dict], others: list[dict], failed: list[str], rows: list[dict]) -> str:
    return render_template("index.html", "", (i18n.label("site_title", "ja"), i18n.label("site_title", "en")),
                           figures=figures, others=others, failed=failed, tally=findings.tally(rows),
                           statement_html=meta.statement_html(), versions=meta.versions(),
                           vintage_rows=meta.vintage_rows())


def findings_page(rows: list[dict], verdict_error: str) -> str:
    return render_template("findings.html", "", (i18n.label("findings", "ja"), i18n.label("findings", "en")),
                           groups=findings.cards(rows), tally=findings.tally(rows), claim=findings.words()["deck_claim"],
                           verdicts=rows, verdict_error=verdict_error, columns=findings.column_labels(),
                           table_id="all")


def _diff_commands() -> tuple[list[str], str]:
    """The commands that make a first diff: update MSTI, compare it with the newest committed vintage, re-render."""
    from .. import paths, vintages

    try:
        have = vintages.available(paths.raw_dir(), "oecd_msti")
    except OSError:
        have = []
    old, new = (have[-2], have[-1]) if len(have) > 1 else (have[-1] if have else "OLD", "NEW")
    return ([".venv/bin/analysis update msti", f".venv/bin/analysis diff msti={old} msti={new}",
             ".venv/bin/analysis site"],
            ".venv/bin/analysis diff OLD/verdicts.csv output/tables/h5_summary_all_hypotheses/verdicts.csv")


def changes_page(found: changes.Changes, titles: dict[str, tuple[str, str]]) -> str:
    """The "What changed" page: ``found`` from ``changes.collect``; ``titles``: notebook -> (ja, en) title."""
    commands, verdict_command = _diff_commands()
    return render_template("changes.html", "", (i18n.label("title", "ja", "changes"),
                                                i18n.label("title", "en", "changes")),
                           c=found, titles=titles, kinds=changes.VINTAGE_KINDS,
                           not_drawn=changes.NOT_DRAWN, commands=commands, verdict_command=verdict_command)
