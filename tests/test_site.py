"""The static site: index content, verdict table, offline pages, page cache. Executed notebooks are written
directly here (no kernel) so these tests are fast; the browser test runs the full fixture pipeline."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from analysis import paths, registry, site
from analysis.models import firm, summary, verdicts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                    "53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")


EXPORT_HEADER = ",".join(f'"{c}"' if " " in c else c for c in verdicts.EXPORT_COLUMNS)


def export_row(**kw) -> str:
    """One line of the summary notebook's verdict export (columns ``verdicts.EXPORT_COLUMNS``)."""
    row = {c: "" for c in verdicts.EXPORT_COLUMNS}
    row.update(kw)
    return ",".join(f'"{row[c]}"' if "," in str(row[c]) else str(row[c]) for c in verdicts.EXPORT_COLUMNS)


def write_export(out: Path, *lines: str) -> Path:
    path = out / "tables" / verdicts.SUMMARY_NOTEBOOK / verdicts.EXPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([EXPORT_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def outputs(tmp_path, monkeypatch) -> Path:
    """A scratch project whose output/ looks like after a run: executed notebooks, a PNG, a family's results CSV
    and the summary notebook's verdict export (the only table the site reads)."""
    root = nbfixtures.make_project(tmp_path / "proj")
    (root / "requirements.lock").write_text("# fixture lock\npandas==0\nnot-a-real-package-xyz==1.0\n")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    out = paths.output_dir()
    fig = nbfixtures.fig_notebook()
    fig.cells[-1].outputs = [new_output("display_data", data={"image/png": __import__("base64").b64encode(PNG).decode()}),
                             new_output("stream", name="stdout", text="国 / country: JPN\n")]
    nbfixtures.write_notebook(out / "notebooks" / "fig_toy.ipynb", fig)
    (out / "figures" / "fig_toy").mkdir(parents=True)
    (out / "figures" / "fig_toy" / "fig_toy.png").write_bytes(PNG)
    nbfixtures.write_notebook(out / "notebooks" / "hyp_toy.ipynb", nbfixtures.hyp_notebook())
    # a family's own export saying something else: the site must not read it
    (out / "tables" / "hyp_toy").mkdir(parents=True)
    (out / "tables" / "hyp_toy" / "hyp_toy.csv").write_text(
        "hypothesis,model,term,estimate,p_value,n_obs,role,verdict\nH_TOY,m1,x,0.5,0.001,120,hypothesis,contrary\n")
    write_export(out,
                 export_row(family="toy", hypothesis="H_TOY", role="hypothesis", model="m1", term="x", estimate=0.5,
                            ci_low=0.3, ci_high=0.7, p_value=0.001, n_obs=120, n_clusters=37, verdict="supported",
                            **{"robustness same verdict": "2/5"}, notebook="hyp_toy", statement="toy"),
                 export_row(family="toy", hypothesis="H_OTHER", role="hypothesis", model="m2", term="z",
                            estimate=-0.2, p_value=0.3, n_obs=80, n_clusters=44, verdict="not supported",
                            **{"robustness same verdict": "4/4"}, notebook="hyp_toy", statement="other"))
    return out


def _no_external(html: str) -> list[str]:
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    refs += re.findall(r"""url\(\s*["']?(https?:[^"')]+)""", html)
    return [r for r in refs if re.match(r"(https?:)?//", r)]


def test_index_lists_figures_verdicts_statement_and_versions(outputs):
    index = site.render(progress=lambda m: None)
    html = index.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    assert "研究開発費の推移（テスト図）" in html and "R&amp;D spending (test figure)" in html
    assert 'src="files/fig_toy/fig_toy.png"' in html
    assert (index.parent / "files" / "fig_toy" / "fig_toy.png").read_bytes() == PNG
    # verdict rows: both hypotheses from the summary export, not the family CSV's conflicting row
    got = [(h, v) for h, _, v, _ in verdict_cells(findings_html(index))]
    assert got.count(("H_TOY", "supported")) == 1 and ("H_OTHER", "not supported") in got
    assert ("H_TOY", "contrary") not in got
    assert 'href="nb/hyp_toy.html"' in findings_html(index)
    # availability statement rendered from Markdown (a table with the fixture source)
    assert "<table>" in html and "<code>toy_source</code>" in html and "テスト統計局 (fixture)" in html
    # versions: every package of requirements.lock as package_versions() reports it, collapsed; python; manifest
    import importlib.metadata

    assert f"<td>pandas</td><td><code>{importlib.metadata.version('pandas')}</code>" in html
    assert "<td>not-a-real-package-xyz</td><td><code>absent</code>" in html
    assert re.search(r'<details class="packages">\s*<summary>packages: 2 locked', html)
    assert "manifest.json</code> sha256" in html
    assert _no_external(html) == []


def test_pages_are_offline_collapsed_and_japanese(outputs):
    site.render(progress=lambda m: None)
    page = (paths.output_dir() / "site" / "nb" / "fig_toy.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8"' in page and 'lang="ja"' in page
    assert 'href="../static/style.css"' in page
    css = (paths.output_dir() / "site" / "static" / "style.css").read_text(encoding="utf-8")
    assert "IPAexGothic" in css and "Noto Sans CJK JP" in css
    assert page.count('<details class="sangaku-code">') == 3  # one per code cell
    assert "data:image/png;base64," in page  # the figure is embedded
    assert 'href="../files/fig_toy/fig_toy.png"' in page
    assert "require.js" not in page and "mathjax" not in page.lower().replace("jp-mathjax", "")
    assert _no_external(page) == [], _no_external(page)


def test_pages_rerender_only_when_their_notebook_changes(outputs):
    msgs: list[str] = []
    site.render(progress=msgs.append)
    assert "2 re-rendered" in msgs[-1]
    site.render(progress=msgs.append)
    assert "0 re-rendered" in msgs[-1]
    nb_path = outputs / "notebooks" / "hyp_toy.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(new_code_cell("print(2)"))
    nb.cells[-1]["id"] = "new"
    nbfixtures.write_notebook(nb_path, nb)
    site.render(progress=msgs.append)
    assert "1 re-rendered" in msgs[-1]
    site.render(force=True, progress=msgs.append)
    assert "2 re-rendered" in msgs[-1]


def test_index_findings_and_changes_rerender_only_when_what_they_show_changes(outputs):
    msgs: list[str] = []
    site.render(progress=msgs.append)
    assert "index, findings and changes re-rendered" in msgs[-1]
    index = outputs / "site" / "index.html"
    before = index.read_bytes()
    site.render(progress=msgs.append)
    assert "0 re-rendered, index, findings and changes unchanged" in msgs[-1]
    write_export(outputs, export_row(family="firm", hypothesis="F1", headline="True", role="hypothesis",
                                     model="m", term="x", estimate="0.5", verdict=registry.SUPPORTED))
    site.render(progress=msgs.append)  # a new verdict export: the index and findings show it
    assert "0 re-rendered, index, findings and changes re-rendered" in msgs[-1]
    assert index.read_bytes() != before
    site.render(progress=msgs.append)
    assert "changes unchanged" in msgs[-1]
    diff = outputs / "diff"
    diff.mkdir()
    (diff / "verdicts.csv").write_text("family,hypothesis,model,term,change\n", encoding="utf-8")
    site.render(progress=msgs.append)  # a new diff: the changes page shows it
    assert "changes re-rendered" in msgs[-1]
    (outputs / "site" / "changes.html").unlink()
    site.render(progress=msgs.append)  # a page removed by hand is written again
    assert "changes re-rendered" in msgs[-1] and (outputs / "site" / "changes.html").is_file()


def test_pages_of_removed_notebooks_are_dropped_and_failures_listed(outputs):
    site.render(progress=lambda m: None)
    (outputs / "notebooks" / "hyp_toy.ipynb").rename(outputs / "notebooks" / "failed.tmp")
    (outputs / "notebooks" / "failed").mkdir()
    (outputs / "notebooks" / "failed.tmp").rename(outputs / "notebooks" / "failed" / "hyp_toy.ipynb")
    html = site.render(progress=lambda m: None).read_text(encoding="utf-8")
    assert not (outputs / "site" / "nb" / "hyp_toy.html").exists()
    assert 'id="failed"' in html and "<code>hyp_toy</code>" in html


def verdict_cells(html: str) -> list[tuple[str, str, str, str]]:
    """(hypothesis, verdict class, English verdict text, rest of the verdict cell) of every row of the findings
    page's table (the verdict cell holds the Japanese and the English word)."""
    return re.findall(r'<tr(?: class="flagged")?><td><code>([\w-]+)</code>.*?<td class="verdict verdict-([\w-]+)"'
                      r'[^>]*><span class="verdict-text">(?:<span lang="ja">[^<]*</span><span lang="en">)?([^<]+)'
                      r'(?:</span>)?</span>(.*?)</td>', html, re.S)


def findings_html(index: Path) -> str:
    return (index.parent / "findings.html").read_text(encoding="utf-8")


def test_verdicts_show_not_run_without_results(tmp_path, monkeypatch):
    root = nbfixtures.make_project(tmp_path / "proj")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    assert site.verdict_rows(registered=[]) == []
    rows = site.verdict_rows(registered=[registry.get("F1")])
    assert [(r["hypothesis"], r["verdict"], r["notebook"]) for r in rows] == [
        ("F1", "not run", "h2_firm_absorptive_capacity")]
    html = findings_html(site.render(progress=lambda m: None))
    assert "not run" in html and "has not written its verdict table yet" in html
    # the whole registry is listed, each entry once
    assert sorted(h for h, *_ in verdict_cells(html)) == sorted(h.id for h in registry.load())


def test_robustness_count_and_flags_sit_next_to_every_verdict(outputs):
    write_export(outputs,
                 export_row(hypothesis="H_TOY", role="hypothesis", model="m1", term="x", estimate=0.5, p_value=0.001,
                            n_clusters=37, verdict="supported", **{"robustness same verdict": "2/5"},
                            notebook="hyp_toy", statement="toy"),
                 export_row(hypothesis="H_FEW", role="hypothesis", model="m", term="x", estimate=0.9,
                            p_value=0.001, n_clusters=3, verdict="no verdict (too few clusters)",
                            verdict_flag="too few clusters (3 < 20)", statement="few"),
                 export_row(hypothesis="H_SE", role="hypothesis", model="m", term="x", estimate=0.9, p_value=1e-9,
                            verdict="supported", **{"robustness same verdict": "0/3"},
                            verdict_flag="inference differs from registered (model SEs; registered: cluster by firm)",
                            statement="model SEs"))
    html = findings_html(site.render(progress=lambda m: None))
    cells = {h: (cls, v, rest) for h, cls, v, rest in verdict_cells(html)}
    assert cells["H_TOY"][:2] == ("supported", "supported")
    assert '<span class="robustness"' in cells["H_TOY"][2] and "2/5 robustness rows agree" in cells["H_TOY"][2]
    assert cells["H_FEW"][:2] == ("no-verdict", "no verdict (too few clusters)")
    assert "⚠ too few clusters (3 &lt; 20)" in cells["H_FEW"][2] and "robustness" not in cells["H_FEW"][2]
    assert "⚠ inference differs from registered (model SEs; registered: cluster by firm)" in cells["H_SE"][2]
    assert "0/3 robustness rows agree" in cells["H_SE"][2]
    assert re.search(r'<tr class="flagged"><td><code>H_SE</code>', html)
    assert not re.search(r'<tr class="flagged"><td><code>H_TOY</code>', html)


def test_temporary_files_are_never_read(outputs):
    # an in-flight executed copy and a hidden half-written export next to the real one
    nbfixtures.write_notebook(outputs / "notebooks" / "hyp_toy.running.ipynb", nbfixtures.hyp_notebook())
    nbfixtures.write_notebook(outputs / "notebooks" / ".hyp_half.ipynb", nbfixtures.hyp_notebook())
    (outputs / "figures" / "fig_toy" / ".fig_toy.png.tmp").write_bytes(b"half")
    (outputs / "figures" / "fig_toy" / ".partial").mkdir()
    (outputs / "figures" / "fig_toy" / ".partial" / "x.png").write_bytes(PNG)
    (outputs / "notebooks" / "failed").mkdir()
    nbfixtures.write_notebook(outputs / "notebooks" / "failed" / "bad.running.ipynb", nbfixtures.hyp_notebook())
    msgs: list[str] = []
    html = site.render(progress=msgs.append).read_text(encoding="utf-8")
    assert "2 page(s)" in msgs[-1]
    assert sorted(p.name for p in (outputs / "site" / "nb").iterdir()) == ["fig_toy.html", "hyp_toy.html"]
    assert sorted(p.name for p in (outputs / "site" / "files" / "fig_toy").iterdir()) == ["fig_toy.png"]
    assert 'id="failed"' not in html
    # the export itself is read only under its own name
    hidden = outputs / "tables" / verdicts.SUMMARY_NOTEBOOK / ".verdicts.csv"
    assert verdicts.read_export(hidden) is None


def test_an_export_in_another_layout_is_reported_on_the_page(outputs):
    path = outputs / "tables" / verdicts.SUMMARY_NOTEBOOK / verdicts.EXPORT_NAME
    path.write_text("hypothesis,verdict\nH_TOY,supported\n", encoding="utf-8")
    html = findings_html(site.render(progress=lambda m: None))
    assert f"file {path}" in html and "lacks" in html and "re-run h5_summary_all_hypotheses" in html


@pytest.fixture(scope="module")
def replication_rows():
    """The real firm replication's results rows (Cincera panel, defaults of h1)."""
    return firm.replication(firm.load_panel())["rows"].assign(family="firm")


def test_replication_entries_show_their_estimates_and_no_verdict(replication_rows, tmp_path, monkeypatch):
    """The summary's verdict table keeps the registered replication estimates (the summed lags) with no verdict;
    clusters are the 175 firms informative for the conditional likelihood (h1: 6 of 181 never patent)."""
    rows = replication_rows
    root = nbfixtures.make_project(tmp_path / "proj")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.delenv("SANGAKU_OUTPUT", raising=False)
    table = summary.verdict_table(rows)
    assert list(table["hypothesis"]) == ["R1a", "R1a", "R1b", "R1b"]
    assert set(table["term"]) == {"sum rdexp_l0..l4", "sum spil_l0..l4"}
    summary.export(table, rows, paths.output_dir() / "tables" / verdicts.SUMMARY_NOTEBOOK)
    got = {(r["hypothesis"], r["model"]): r for r in site.verdict_rows()}
    rep = got[("R1a", "FE Poisson lags 0-4 [cluster(firm)]")]
    assert rep["verdict"] == "replication — no verdict" and rep["verdict_class"] == "replication"
    assert rep["n_clusters"] == "175" and rep["notebook"] == "h1_firm_replication_cincera"
    assert rep["estimate"] == site._fmt(str(table.iloc[1]["estimate"])) and rep["robustness"] == ""
    assert got[("R1a", "FE Poisson lags 0-4 [model]")]["n_clusters"] == ""
    # entries of the other families were not in this export: not run
    assert got[("F1", "")]["verdict"] == "not run"
    html = findings_html(site.render(progress=lambda m: None))
    row_r1a = re.search(r"<tr><td><code>R1a</code>.*?</tr>", html, re.S).group(0)
    assert "replication — no verdict" in row_r1a and "not run" not in row_r1a
    assert '<th data-key="ci"><span lang="ja">95 % 信頼区間</span><span lang="en">95 % CI</span></th>' in html
    assert '<span lang="en">clusters</span></th>' in html


@pytest.fixture(scope="module")
def country_export():
    """The real country family's verdict table (default sample, 999 bootstrap draws as in h5)."""
    from analysis import data
    from analysis.models import country

    res = country.estimate(data.load("oecd_msti"), data.load("pwt"), {"bootstrap_reps": 999}).table
    res = res.assign(family="country")
    return res, summary.verdict_table(res)


def test_index_shows_c1b_with_its_robustness_count(country_export, outputs):
    res, table = country_export
    c1b = table.set_index("hypothesis").loc["C1b"]
    rob = res[(res["hypothesis"] == "C1b") & (res["role"] == "robustness") & (res["term"] == "log_berd:log_herd")]
    agree = sum(registry.verdict(r.estimate, r.p_value, "+", 0.05) == "supported" for r in rob.itertuples())
    assert c1b["verdict"] == "supported" and c1b["robustness same verdict"] == f"{agree}/{len(rob)}"
    summary.export(table, res, paths.output_dir() / "tables" / verdicts.SUMMARY_NOTEBOOK)
    html = findings_html(site.render(progress=lambda m: None))
    cells = {h: (cls, v, rest) for h, cls, v, rest in verdict_cells(html)}
    assert cells["C1b"][:2] == ("supported", "supported")
    assert f"{agree}/{len(rob)} robustness rows agree" in cells["C1b"][2]
    assert all("robustness rows agree" in cells[h][2] for h in ("C1a", "C1c", "C2a", "C2b", "C3a"))


def _site_bytes(site_root: Path) -> dict[str, bytes]:
    return {p.relative_to(site_root).as_posix(): p.read_bytes() for p in sorted(site_root.rglob("*")) if p.is_file()}


def test_a_rebuild_is_byte_identical(outputs):
    site.render(progress=lambda m: None)
    first = _site_bytes(outputs / "site")
    site.render(force=True, progress=lambda m: None)
    assert _site_bytes(outputs / "site") == first
    assert {"index.html", "findings.html", "nb/fig_toy.html", "figures/fig_toy.html", "static/site.js",
            "static/table.js", "vendor/vega.min.js", "vendor/vega-lite.min.js",
            "vendor/vega-embed.min.js"} <= set(first)
    for name, data in first.items():
        if name.endswith(".html"):
            assert _no_external(data.decode("utf-8")) == [], name


def test_findings_cards_follow_the_exported_verdicts(outputs):
    """The card's verdict word, sentence and certainty come from the export: change the export, the words follow."""
    html = findings_html(site.render(progress=lambda m: None))
    card = re.search(r'<article class="finding verdict-supported" id="finding-H_TOY">.*?</article>', html, re.S)
    assert card, html[:500]
    text = card.group(0)
    assert "The estimate has the expected sign and is statistically significant (estimate 0.5, p = 0.001)." in text
    assert "95 % interval [0.3, 0.7]; the same verdict on 2 of 5 robustness checks" in text
    assert "予想どおりの向きで、統計的に有意です" in text
    write_export(outputs,
                 export_row(family="toy", hypothesis="H_TOY", role="hypothesis", model="m1", term="x", estimate=-0.5,
                            ci_low=-0.7, ci_high=-0.3, p_value=0.001, n_obs=120, n_clusters=37, verdict="contrary",
                            **{"robustness same verdict": "1/5"}, notebook="hyp_toy", statement="toy"))
    html = findings_html(site.render(progress=lambda m: None))
    text = re.search(r'<article class="finding verdict-contrary" id="finding-H_TOY">.*?</article>', html, re.S).group(0)
    assert "opposite direction" in text and "[-0.7, -0.3]" in text and "1 of 5 robustness checks" in text
    assert 'id="finding-H_OTHER"' not in html  # only what the export holds (and the registry) is shown


def test_specification_shares_are_shown_when_the_export_has_them(outputs):
    path = outputs / "tables" / verdicts.SUMMARY_NOTEBOOK / verdicts.EXPORT_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",spec_share_supported,n_specs", lines[1] + ",0.25,48",
                               lines[2] + ",,"]) + "\n", encoding="utf-8")
    html = findings_html(site.render(progress=lambda m: None))
    assert "25% of 48 specifications support it" in html
    assert '<span class="specs">25% / 48' in html
