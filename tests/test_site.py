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


REPLICATION_CSV = (
    "hypothesis,model,estimator,sample,term,estimate,std_error,ci_low,ci_high,p_value,n_obs,n_clusters,inference,"
    "role,verdict\n"
    "R_TOY,lags [model],fe_poisson,all,x_l0,0.29,0.04,0.21,0.37,3e-12,905,,model,replication,\n"
    "R_TOY,lags [model],fe_poisson,all,x_l1,0.06,0.04,-0.01,0.14,0.11,905,,model,replication,\n"
    "R_TOY,lags [model],fe_poisson,all,sum x_l0..l1,0.35,0.06,0.2384,0.4595,6.07e-10,905,,model,replication,\n"
    "R_TOY,lags [cluster(firm)],fe_poisson,all,sum x_l0..l1,0.35,0.27,-0.1755,0.8734,0.192,905,175,"
    "cluster(firm),replication,\n"
    ",sanity,ols,all,lnl,0.46,0.04,0.38,0.54,1e-21,2637,119,CR1,replication,\n"
    "H_CI,m3,ols,all,w,0.5,0.1,0.3,0.7,0.001,120,37,cluster,hypothesis,supported\n")


def _executed(out: Path, name: str, text: str) -> None:
    nb = nbfixtures.hyp_notebook()
    nb.cells[0].source = text
    nbfixtures.write_notebook(out / "notebooks" / f"{name}.ipynb", nb)


def test_replication_entries_show_their_estimates_and_no_verdict(outputs):
    _executed(outputs, "rep_toy", "# Registered entry R_TOY (role replication)")
    (outputs / "tables" / "rep_toy").mkdir()
    (outputs / "tables" / "rep_toy" / "rep_toy.csv").write_text(REPLICATION_CSV)
    registered = {"H_TOY": "toy", "H_OTHER": "other", "R_TOY": "Replication: toy elasticity"}
    rows = site.verdict_rows(registered, replications={"R_TOY": ["x_l0", "x_l1"]})
    rep = [r for r in rows if r["hypothesis"] == "R_TOY"]
    # the combined (registered) estimate, model-based and clustered; not the lag terms, not the unnamed rows
    assert [(r["model"], r["term"], r["verdict"]) for r in rep] == [
        ("lags [model]", "sum x_l0..l1", "replication — no verdict"),
        ("lags [cluster(firm)]", "sum x_l0..l1", "replication — no verdict")]
    assert rep[1]["estimate"] == "0.35" and rep[1]["ci"] == "[-0.1755, 0.8734]" and rep[1]["n_clusters"] == "175"
    assert rep[0]["n_clusters"] == "" and rep[0]["statement"] == "Replication: toy elasticity"
    assert all(r["verdict"] != "not run" for r in rows if r["hypothesis"] == "R_TOY")
    # a single registered coefficient: that coefficient's row
    single = site.verdict_rows(registered, replications={"R_TOY": ["x_l1"]})
    assert [r["term"] for r in single if r["hypothesis"] == "R_TOY"] == ["x_l1"]
    html = site.render(progress=lambda m: None).read_text(encoding="utf-8")
    assert "<th>95 % CI</th>" in html and "<th>clusters</th>" in html
    h_ci = re.search(r"<tr><td><code>H_CI</code>.*?</tr>", html, re.S).group(0)
    assert '<td class="num">[0.3, 0.7]</td>' in h_ci and '<td class="num">37</td>' in h_ci


def test_replication_without_exported_rows_points_to_its_notebook(outputs):
    registered = {"R_TOY": "Replication: toy elasticity"}
    reps = {"R_TOY": ["x_l0", "x_l1"]}
    # its notebook has not run: "not run"
    def rep_rows():
        return [r for r in site.verdict_rows(registered, reps) if r["hypothesis"] == "R_TOY"]

    assert [r["verdict"] for r in rep_rows()] == ["not run"]
    # executed, no results CSV with its rows: a replication row pointing to the notebook
    _executed(outputs, "zz_summary", "R_TOY is listed here too")
    _executed(outputs, "rep_toy_replication", "# Registered entry R_TOY (role replication)")
    _executed(outputs, "other", "R_TOYS is another id")
    site.render(progress=lambda m: None)
    [row] = rep_rows()
    assert row["verdict"] == "replication — no verdict" and row["verdict_class"] == "replication"
    assert row["model"] == "see rep_toy_replication" and row["href"] == "nb/rep_toy_replication.html"


def test_registry_replication_entries_are_recognised(outputs):
    from analysis import registry

    reps = [h for h in registry.load() if h.extra.get("role") == "replication"]
    assert {h.id for h in reps} >= {"R1a", "R1b"}
    _executed(outputs, "h1_firm_replication_cincera", "Registered entries R1a and R1b (role replication)")
    rows = {r["hypothesis"]: r for r in site.verdict_rows()}
    for hid in ("R1a", "R1b"):
        assert rows[hid]["verdict"] == "replication — no verdict", rows[hid]
        assert rows[hid]["model"] == "see h1_firm_replication_cincera"
    assert all(r["verdict"] == "not run" for h, r in rows.items() if h not in ("R1a", "R1b") and h.startswith("R"))
    html = site.render(progress=lambda m: None).read_text(encoding="utf-8")
    row_r1a = re.search(r"<tr><td><code>R1a</code>.*?</tr>", html, re.S).group(0)
    assert "replication — no verdict" in row_r1a and "not run" not in row_r1a
