"""The static site: index content, verdict table, offline pages, page cache. Executed notebooks are written
directly here (no kernel) so these tests are fast; the browser test runs the full fixture pipeline."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from analysis import paths, site

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import nbfixtures  # noqa: E402

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                    "53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")


@pytest.fixture()
def outputs(tmp_path, monkeypatch) -> Path:
    """A scratch project whose output/ looks like after a run: executed notebooks, a PNG and a results CSV."""
    root = nbfixtures.make_project(tmp_path / "proj")
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
    (out / "tables" / "hyp_toy").mkdir(parents=True)
    (out / "tables" / "hyp_toy" / "hyp_toy.csv").write_text(
        "hypothesis,model,term,estimate,p_value,n_obs,role,verdict\n"
        "H_TOY,m1,x,0.5,0.001,120,hypothesis,supported\n"
        ",m1,const,1.0,0.01,120,control,\n"
        "H_OTHER,m2,z,-0.2,0.3,80,hypothesis,not supported\n")
    (out / "tables" / "hyp_toy" / "notes.csv").write_text("hypothesis,verdict\nH_TOY,contrary\n")  # not the layout
    # a summary notebook re-exporting the same estimate: shown once
    (out / "tables" / "zz_summary").mkdir(parents=True)
    (out / "tables" / "zz_summary" / "all.csv").write_text(
        "hypothesis,model,term,estimate,p_value,n_obs,role,verdict\nH_TOY,m1,x,0.5,0.001,120,hypothesis,supported\n")
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
    # verdict rows: both hypotheses, not the control row, not the unrelated CSV
    rows = re.findall(r"<tr><td><code>(\w+)</code>.*?class=\"verdict-([\w-]+)\">([^<]+)</td>", html, re.S)
    got = [(h, v) for h, _, v in rows]
    assert got.count(("H_TOY", "supported")) == 1 and ("H_OTHER", "not supported") in got
    assert ("H_TOY", "contrary") not in got
    assert 'href="nb/hyp_toy.html"' in html
    # availability statement rendered from Markdown (a table with the fixture source)
    assert "<table>" in html and "<code>toy_source</code>" in html and "テスト統計局 (fixture)" in html
    # versions: pandas, python, the raw manifest hash
    assert re.search(r"<td>pandas</td><td><code>\d", html)
    assert "manifest.json</code> sha256" in html
    assert _no_external(html) == []


def test_pages_are_offline_collapsed_and_japanese(outputs):
    site.render(progress=lambda m: None)
    page = (paths.output_dir() / "site" / "nb" / "fig_toy.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8"' in page and 'lang="ja"' in page
    assert "IPAexGothic" in page and "Noto Sans CJK JP" in page
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


def test_pages_of_removed_notebooks_are_dropped_and_failures_listed(outputs):
    site.render(progress=lambda m: None)
    (outputs / "notebooks" / "hyp_toy.ipynb").rename(outputs / "notebooks" / "failed.tmp")
    (outputs / "notebooks" / "failed").mkdir()
    (outputs / "notebooks" / "failed.tmp").rename(outputs / "notebooks" / "failed" / "hyp_toy.ipynb")
    html = site.render(progress=lambda m: None).read_text(encoding="utf-8")
    assert not (outputs / "site" / "nb" / "hyp_toy.html").exists()
    assert 'id="failed"' in html and "<code>hyp_toy</code>" in html


def test_verdicts_show_not_run_without_results(tmp_path, monkeypatch):
    root = nbfixtures.make_project(tmp_path / "proj")
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    assert site.verdict_rows(registered={}) == []
    rows = site.verdict_rows(registered={"H1": "R&D raises output"})
    assert [(r["hypothesis"], r["verdict"]) for r in rows] == [("H1", "not run")]
    html = site.render(progress=lambda m: None).read_text(encoding="utf-8")
    assert "not run" in html
