"""The site's "What changed" page and the vintages named on the index and the figure pages.

A scratch project (tests/test_update.py's ``project``: the committed data/raw, MSTI vintage 2025-03 = four economies)
gets a second MSTI vintage made from the same rows with the three edits of ``revised_msti`` (JPN 2020 revised by
1 %, a new year for Japan, KOR's first unflagged value flagged P). ``vintage_diff`` compares the two vintages and
writes output/diff/ as ``analysis diff`` does; the verdict diff compares two exports in the summary notebook's
layout (constructed rows: C1b's verdict flips, F1's estimate moves). The page must list exactly those changes.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
from markupsafe import escape

from analysis import build, io, manifest, paths, site, verdict_diff, vintage_diff
from analysis.models import verdicts
from analysis.site import i18n
from tests.conftest import ROOT, shared_dir
from tests.test_update import _csv_bytes, msti_rows, project, revised_msti  # noqa: F401 - fixtures used below

FIG1 = "fig01_business_researchers_index"
NEW = "2026-12-01"


def write_export(path: Path, rows: list[dict]) -> Path:
    """A verdict export in the summary notebook's layout (``verdicts.EXPORT_COLUMNS``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=verdicts.EXPORT_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in verdicts.EXPORT_COLUMNS})
    return path


EXPORT_OLD = [
    {"family": "country", "hypothesis": "C1b", "headline": "True", "role": "hypothesis", "model": "two-way FE",
     "term": "log_berd:log_herd", "expected sign": "+", "estimate": "0.066", "ci_low": "0.02", "ci_high": "0.11",
     "p_value": "0.004", "n_obs": "1460", "n_clusters": "47", "verdict": "supported",
     "notebook": "h4_country_absorptive_capacity", "statement": "C1b"},
    {"family": "firm", "hypothesis": "F1", "headline": "True", "role": "hypothesis", "model": "F1 pooled",
     "term": "rdexp:spil", "expected sign": "+", "estimate": "-0.12", "ci_low": "-0.33", "ci_high": "0.09",
     "p_value": "0.26", "n_obs": "1629", "n_clusters": "181", "verdict": "not supported",
     "notebook": "h2_firm_absorptive_capacity", "statement": "F1"},
    {"family": "country", "hypothesis": "C2a", "headline": "True", "role": "hypothesis", "model": "two-way FE",
     "term": "log_herd", "expected sign": "+", "estimate": "0.2", "ci_low": "-0.1", "ci_high": "0.5",
     "p_value": "0.2", "n_obs": "1460", "n_clusters": "47", "verdict": "not supported",
     "notebook": "h4_country_absorptive_capacity", "statement": "C2a"},
]


def _new_export() -> list[dict]:
    rows = [dict(r) for r in EXPORT_OLD]
    rows[0].update(estimate="0.041", ci_low="-0.004", ci_high="0.086", p_value="0.07", verdict="not supported")
    rows[1].update(estimate="-0.125")
    return rows  # C2a unchanged: not listed


def _add_vintage(root: Path, header: list[str], rows: list[list[str]]) -> None:
    """In the scratch project at ``root``: MSTI vintage 2026-12-01 of ``rows``, the manifest refreshed,
    data/processed built from it and the value diff of the two vintages in output/diff/ (no absolute path is
    written into any of it, so the result can be copied)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_ROOT", str(root))
        mp.setenv("SANGAKU_OUTPUT", str(root / "output"))
        raw = paths.raw_dir()
        folder = raw / "oecd_msti" / NEW
        folder.mkdir()
        (folder / "msti_raw.csv.gz").write_bytes(gzip.compress(_csv_bytes(header, rows), mtime=0))
        shutil.copy(raw / "oecd_msti" / "2025-03" / "SOURCE.md", folder / "SOURCE.md")
        manifest.refresh(raw)
        build.build(raw, sources=["oecd_msti"])
        vintage_diff.write(vintage_diff.diff("oecd_msti", "2025-03", NEW))


@pytest.fixture()
def changed(project, revised_msti, tmp_path_factory):
    """The scratch project with MSTI vintage 2026-12-01, data/processed built from it, output/diff/ written and
    the committed figure 1 notebook as the only executed notebook; returns (output dir, expected, old value).
    The vintage, build and value diff are made once per test run (``conftest.shared_dir``) and copied here; the
    verdict diff, whose Markdown names absolute paths, is written here."""
    header, rows, expected, old_value = revised_msti

    def make(folder: Path) -> None:
        shutil.copytree(project, folder, copy_function=shutil.copy)  # the fresh copy of the update tests' project
        _add_vintage(folder, header, rows)

    template = shared_dir(tmp_path_factory, "site-changes-project", make)
    shutil.rmtree(project)
    shutil.copytree(template, project, copy_function=shutil.copy)
    out = paths.output_dir()
    assert manifest.verify(paths.raw_dir()).checked == len(manifest.load(paths.raw_dir())["files"])
    old_export = write_export(project / "saved" / "2025-03" / "verdicts.csv", EXPORT_OLD)
    new_export = write_export(verdicts.export_path(), _new_export())
    verdict_diff.write(verdict_diff.compare(old_export, new_export))
    (out / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / f"{FIG1}.ipynb", out / "notebooks" / f"{FIG1}.ipynb")
    return out, expected, old_value


def _render(out: Path) -> str:
    site.render(progress=lambda m: None)
    return (out / "site" / "changes.html").read_text(encoding="utf-8")


def _section(html: str, pattern: str) -> str:
    m = re.search(pattern + r".*?</section>", html, re.S)
    assert m, pattern
    return m.group(0)


def _rows(table_html: str) -> list[list[str]]:
    """The cells of every body row (tags stripped, whitespace collapsed)."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", table_html, re.S))
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def _tables(section_html: str) -> dict[str, list[list[str]]]:
    return {kind: _rows(t) for kind, t in
            re.findall(r'<table class="value-changes" data-kind="([^"]+)">(.*?)</table>', section_html, re.S)}


def test_changes_page_lists_exactly_the_vintage_changes_and_flips_first(changed):
    out, expected, old_value = changed
    html = _render(out)
    # verdict flips come first, before any figure, in both languages
    assert html.index('id="flips"') < html.index('id="summary"') < html.index('class="vintage-diff"') \
        < html.index('class="verdict-diff"')
    flips = _section(html, r'<section id="flips"')
    assert _rows(flips) == [["C1b", "two-way FE", "log_berd:log_herd", "支持 supported → 支持されず not supported",
                             "0.066 → 0.041", "[0.02, 0.11] → [-0.004, 0.086]", "0.004 → 0.07", "1,460",
                             "verdicts.csv"]]
    assert 'href="findings.html#finding-C1b"' in flips and '<a href="#diff-verdicts"><code>verdicts.csv</code></a>' in flips
    assert f'<section class="verdict-diff" id="diff-verdicts">\n<h2><span lang="ja">仮説の推定値と判定</span>' \
        f'<span lang="en">Estimates and verdicts</span>: {_label(out)}</h2>' in html
    assert '<span lang="ja">判定が変わった仮説</span><span lang="en">Verdict flips</span>' in flips
    # figure 1 (it has a page) and the notebooks without one, each with exactly the three edits
    section = _section(html, r'<section class="vintage-diff" id="diff-oecd_msti_2025-03_2026-12-01">')
    groups = [g.split() for g in re.findall(r'data-figures="([^"]+)"', section)]
    drawn = pd.read_csv(out / "diff" / f"oecd_msti_2025-03_{NEW}.csv")["figure"]
    # every notebook drawing B_RS draws the same three values: one list, naming them all, figure 1 first
    assert len(groups) == 1 and groups[0][0] == FIG1 and sorted(groups[0]) == sorted(set(drawn)), groups
    assert {"h4_country_absorptive_capacity", "h5_summary_all_hypotheses"} <= set(groups[0])
    assert vintage_diff.NOT_DRAWN not in drawn.values
    fig1 = re.search(r'<div class="figure-changes".*', section, re.S).group(0)
    assert f'<h3><a href="figures/{FIG1}.html">' in fig1 and "各国の企業における研究者の伸び" in fig1
    also = re.search(r'<p class="also">.*?</p>', fig1, re.S).group(0)
    assert "<code>h4_country_absorptive_capacity</code> <span class=\"muted\">" in also and "<a " not in also
    assert "no page on this site yet" in also and "同じ値を描くノートブック" in also
    tables = _tables(fig1)
    got = {(r[0], int(r[2].split()[0]), kind) for kind, rows in tables.items() for r in rows}
    assert got == expected
    assert sorted(tables) == ["added", "flag changed", "revised"]
    # the revised value with both numbers and the change; the new year; the flag made P
    (rev,) = tables["revised"]  # the CSV's value, 10 significant digits, thousands separated
    assert rev[:6] == ["JPN", "B_RS.FTE._Z._Z", "2020", f"{old_value:,.10g}", f"{old_value * 1.01:,.10g}", "+1 %"]
    (added,) = tables["added"]
    assert added[0] == "JPN" and added[3] == "—" and added[4] != "—"
    assert "new flag" not in added[6] and "→" not in added[6]  # a new year's flags are not a change of flags
    (flag,) = tables["flag changed"]
    assert flag[0] == "KOR" and flag[6] == "— → P ( 新たなフラグ P (暫定値) new flag P (provisional) )"
    # the tolerance and the counts, each value once however many notebooks draw it
    assert "|new − old| &gt; 1e-06 × |old|" in section
    summary = _section(html, r'<section id="summary"')
    assert "改訂 1・追加された年 1・削除された年 0・フラグの変更 1" in summary
    assert "1 revised, 1 year(s) added, 0 removed, 1 flag(s) changed" in summary
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary))
    assert "判定の変化 Verdict flipped 1, 推定値の変化 Estimates moved 1 " in text
    moved = _section(html, r'<section class="verdict-diff"')
    assert [r[0] for r in _rows(moved)] == ["F1"] and "-0.12 → -0.125" in moved
    assert "estimates that moved by more than 1e-06 (relative) are listed" in moved  # verdicts.md's tolerance
    assert "C2a" not in html  # unchanged: not listed


def _label(out: Path) -> str:
    """How the page names the verdict diff: the two exports the Markdown's heading names."""
    head = (out / "diff" / "verdicts.md").read_text(encoding="utf-8").splitlines()[0]
    old, new = head.removeprefix("# Hypotheses: ").split(" -> ")
    root = out.parent  # the scratch project: the page names paths inside it relative to it
    return f"{Path(old).relative_to(root).as_posix()} → {Path(new).relative_to(root).as_posix()}"


def _targets(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    return [h for h in re.findall(r'(?:href|src)="([^"]+)"', html) if not h.startswith("data:")]


def test_every_page_links_the_changes_page_and_its_links_resolve(changed):
    out, _, _ = changed
    _render(out)
    root = out / "site"
    for page in ("index.html", "findings.html", "changes.html", f"figures/{FIG1}.html", f"nb/{FIG1}.html"):
        nav = re.search(r'<nav class="topbar">.*?</nav>', (root / page).read_text(encoding="utf-8"), re.S).group(0)
        prefix = "../" if "/" in page else ""
        assert f'<a href="{prefix}changes.html"><span lang="ja">変更点</span><span lang="en">What changed</span></a>' \
            in nav, page
    page = root / "changes.html"
    for href in _targets(page):
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, href  # nothing from a network
        target = (page.parent / parts.path).resolve() if parts.path else page  # "#x": a section of the page
        assert target.is_file(), href
        if parts.fragment:
            assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), href


def test_index_and_figure_page_name_every_committed_vintage_and_the_one_used(changed, monkeypatch):
    out, _, _ = changed
    _render(out)
    root = out / "site"

    def msti_row(page: str) -> str:
        html = (root / page).read_text(encoding="utf-8")
        return re.search(r'<tr data-source="oecd_msti">.*?</tr>', html, re.S).group(0)

    for page in ("index.html", f"figures/{FIG1}.html"):
        row = msti_row(page)
        assert re.findall(r"<li[^>]*><code>([^<]+)</code>", row) == ["2025-03", NEW], page
        assert re.findall(r'<li class="vintage-used"><code>([^<]+)</code>', row) == [NEW], page
    fig = (root / "figures" / f"{FIG1}.html").read_text(encoding="utf-8")
    # figure 1 reads MSTI, the Japanese series and NISTEP's text values (notebooks.toml), and no other source
    assert re.findall(r'<tr data-source="([^"]+)">', fig) == ["oecd_msti", "japan", "nistep_text_phd_bizres_2"]
    assert f"; vintage {NEW})" in fig
    index = (root / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<tr data-source="', index)) == len(manifest.load(paths.raw_dir())["sources"])
    # a rebuild from the old vintage (a pin) marks the old one on the pages it names, re-rendering them
    monkeypatch.setenv("SANGAKU_VINTAGES", "msti=2025-03")
    build.build(paths.raw_dir(), sources=["oecd_msti"])
    _render(out)
    for page in ("index.html", f"figures/{FIG1}.html"):
        assert re.findall(r'<li class="vintage-used"><code>([^<]+)</code>', msti_row(page)) == ["2025-03"], page


def test_without_diffs_the_page_says_so_and_shows_the_commands(project):
    html = _render(paths.output_dir())
    main = re.search(r"<main>.*</main>", html, re.S).group(0)
    assert "output/diff/ holds no diff yet" in main and "output/diff/ にはまだ差分がありません" in main
    assert ".venv/bin/analysis update msti\n.venv/bin/analysis diff msti=2025-03 msti=NEW\n.venv/bin/analysis site" \
        in main
    assert 'id="flips"' not in main and "vintage-diff" not in main


def _output_folder(folder: Path, export: list[dict], vintage: str) -> Path:
    """An output folder as ``analysis diff REV_A REV_B`` compares: the verdict export and figure 1's CSV, here
    Japan's business researchers (MSTI B_RS.FTE) as that vintage holds them."""
    write_export(folder / "tables" / verdicts.SUMMARY_NOTEBOOK / verdicts.EXPORT_NAME, export)
    tidy = vintage_diff.load_vintage("oecd_msti", vintage)
    jpn = tidy[(tidy.entity == "JPN") & (tidy.indicator == "B_RS.FTE._Z._Z")][["entity", "year", "value", "flags"]]
    io.write_csv(folder / "figures" / FIG1 / f"{FIG1}.csv", jpn.sort_values("year"))
    return folder


def test_other_diff_files_are_shown_or_named(changed):
    """A verdict diff named after the vintage it compares, a diff of two output folders written by
    ``output_diff`` (its flips join the others at the top), and files the page cannot read."""
    from analysis import output_diff

    out, expected, old_value = changed
    d = verdict_diff.compare(out.parent / "saved" / "2025-03" / "verdicts.csv", verdicts.export_path())
    io.write_csv(out / "diff" / f"verdicts_oecd_msti_2025-03_{NEW}.csv", d.table)
    before = _output_folder(out.parent / "saved" / "before", EXPORT_OLD, "2025-03")
    after = _output_folder(out.parent / "saved" / "after", _new_export(), NEW)
    output_diff.write(output_diff.diff(str(before), str(after)))
    (out / "diff" / "oecd_msti_2025-03_2027-01.csv").write_text("figure,entity\nfig01,JPN\n", encoding="utf-8")
    (out / "diff" / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    (out / "diff" / f".oecd_msti_2025-03_{NEW}.csv.tmp.csv").write_text("half", encoding="utf-8")
    html = _render(out)
    flips = _rows(_section(html, r'<section id="flips"'))
    assert [(r[0], r[3]) for r in flips] == [("C1b", "支持 supported → 支持されず not supported")] * 3
    assert [r[-1] for r in flips] == ["verdicts.csv", f"verdicts_oecd_msti_2025-03_{NEW}.csv",
                                      "outputs_before_after.csv"]
    assert f"oecd_msti 2025-03 → {NEW}</h2>" in html and "folder saved/before → folder saved/after</h2>" in html
    outputs = _section(html, r'<section class="outputs-diff"')
    fig_csv = f"figures/{FIG1}/{FIG1}.csv"
    assert f'<a href="figures/{FIG1}.html"><code>{fig_csv}</code></a>' in outputs
    fig_rows = _rows(re.search(rf"<code>{fig_csv}</code></a></h3>.*?</table>", outputs, re.S).group(0))
    (last,) = [y for e, y, k in expected if k == "added"]
    by_change = {r[2]: r for r in fig_rows}
    assert by_change["値の変化 moved"][3:6] == [f"{old_value:,.10g}", f"{old_value * 1.01:,.10g}", "+1 %"]
    assert str(last) in by_change["行の追加 row added"][0]
    assert "|new − old| &gt; 1e-06 × |old|" in outputs
    problems = _section(html, r'<section id="problems"')
    assert "oecd_msti_2025-03_2027-01.csv</code>: missing column(s) indicator, year" in problems
    assert "notes.csv</code>: " in problems and str(escape(i18n.label("unknown_file", "ja", "changes"))) in problems
    assert ".tmp" not in html
