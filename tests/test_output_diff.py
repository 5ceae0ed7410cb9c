"""analysis.output_diff: the outputs of two revisions compared, value by value, verdict flips first.

The folder tests write figure 1's and figure 4's CSVs from the real processed MSTI data (``index_frame`` and
``trend_frame``, the functions the notebooks call) and change exactly known cells in one copy; the git test
reproduces two commits of a toy project (conftest ``project``) that differ in one notebook parameter default.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from analysis import data, io, output_compare, output_diff, output_revisions, verdict_diff
from analysis.errors import DataFileError, ParameterError
from analysis.figures import business_researchers as fig01
from analysis.figures import herd_business_share as fig04

FIG01 = "figures/fig01_business_researchers_index/fig01_business_researchers_index.csv"
FIG04 = "figures/fig04_herd_business_share_trend/fig04_herd_business_share_trend.csv"
VERDICTS = output_diff.VERDICTS
# The verdict export's layout with two made-up rows: verdict_diff's own comparison is tested in test_update.py;
# here it matters only that its flips come first in the output diff.
EXPORT = pd.DataFrame(
    [["country", "C1b", "True", "C1b FE", "log_berd:log_herd", "cluster(country)", 0.10, 0.03, 0.17, 0.004, 900,
      "supported"],
     ["firm", "F1", "True", "F1 pooled Poisson", "rdexp:spil", "cluster(firm)", -0.12, -0.33, 0.09, 0.26, 1629,
      "not supported"]],
    columns=["family", "hypothesis", "headline", "model", "term", "inference", "estimate", "ci_low", "ci_high",
             "p_value", "n_obs", "verdict"])


@pytest.fixture(scope="module")
def msti():
    return data.load(fig01.DATA_NAME)


def _row(df: pd.DataFrame, entity: str, year: int) -> int:
    hit = df.index[(df["entity"] == entity) & (df["year"] == year)]
    assert len(hit) == 1, (entity, year)
    return hit[0]


@pytest.fixture()
def folders(tmp_path, msti):
    """old/ and new/ output folders; new/ differs from old/ in exactly the cells ``changes`` lists."""
    f1 = fig01.index_frame(msti, ["JPN", "USA", "KOR"], base_year=2011, start_year=2011)
    last = int(f1["year"].max())
    old1, new1 = f1[f1["year"] < last].drop(columns="definition_differs"), f1.copy()
    jpn, usa, kor = _row(new1, "JPN", 2015), _row(new1, "USA", 2012), _row(new1, "KOR", 2016)
    jpn_old = new1.loc[jpn, "value"]
    new1.loc[jpn, "value"] = jpn_old * 1.01  # revised by 1 %
    new1.loc[usa, "value"] = new1.loc[usa, "value"] * (1 + 1e-9)  # below the tolerance: not listed
    kor_flags = new1.loc[kor, "flags"]
    new1.loc[kor, "flags"] = kor_flags + "P"  # a provisional flag appears
    f4 = fig04.trend_frame(msti, ["JPN", "KOR"], 2015)
    new_export = EXPORT.copy()
    new_export.loc[0, ["estimate", "verdict"]] = [0.02, "not supported"]  # C1b flips
    for side, frames in (("old", {FIG01: old1, FIG04: f4, VERDICTS: EXPORT}),
                         ("new", {FIG01: new1, VERDICTS: new_export})):
        for rel, df in frames.items():
            io.write_csv(tmp_path / side / rel, df)
    return tmp_path / "old", tmp_path / "new", dict(last=last, jpn_old=jpn_old, kor_flags=kor_flags,
                                                    entities=["JPN", "USA", "KOR"])


def test_folder_diff_lists_exactly_the_changes_with_flips_first(folders, tmp_path):
    old, new, known = folders
    csv_path, md_path = output_diff.run(str(old), str(new), output=tmp_path / "diff")
    assert (csv_path.name, md_path.name) == ("outputs_old_new.csv", "outputs_old_new.md")
    t = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(t.columns) == output_compare.COLUMNS
    first = t.iloc[0]
    assert (first["file"], first["change"], first["column"], first["old"], first["new"]) == (
        VERDICTS, "verdict flipped", "verdict", "supported", "not supported")
    assert first["key"] == "family=country; hypothesis=C1b; model=C1b FE; term=log_berd:log_herd"
    verdict_rows = t[t["file"] == VERDICTS]
    assert [(r.change, r.column, r.old, r.new) for r in verdict_rows.itertuples()] == [
        ("verdict flipped", "verdict", "supported", "not supported"), ("moved", "estimate", "0.1", "0.02")]
    assert t[t["file"] == FIG04][["change", "key"]].values.tolist() == [["file removed", ""]]

    f1 = t[t["file"] == FIG01]
    last = known["last"]
    got = [(r.change, r.key, r.column) for r in f1.itertuples()]
    assert got == ([("column added", "", "definition_differs"), ("year added", f"year={last}", "year")]
                   + [("row added", f"entity={e}; year={last}; indicator=B_RS.FTE._Z._Z", "")
                      for e in known["entities"]]
                   + [("flag changed", "entity=KOR; year=2016; indicator=B_RS.FTE._Z._Z", "flags"),
                      ("moved", "entity=JPN; year=2015; indicator=B_RS.FTE._Z._Z", "value")])
    moved = f1[f1["change"] == "moved"].iloc[0]
    assert float(moved["old"]) == known["jpn_old"]
    assert float(moved["new"]) == pytest.approx(known["jpn_old"] * 1.01, rel=1e-12)
    assert float(moved["rel_change"]) == pytest.approx(0.01, rel=1e-9)
    flag = f1[f1["change"] == "flag changed"].iloc[0]
    assert (flag["old"], flag["new"]) == (known["kor_flags"], known["kor_flags"] + "P")

    md = md_path.read_text(encoding="utf-8")
    assert md == output_diff.markdown(output_diff.diff(str(old), str(new)))
    assert md.index("## Summary") < md.index("## Verdict flips") < md.index("## Per file")
    assert f"| `{FIG01}` | 1 column added, 1 year added, 3 row added, 1 flag changed, 1 moved |" in md
    assert "hypothesis=C1b" in md.split("## Verdict flips")[1].split("## Per file")[0]
    assert "Rows matched on `entity`, `year`, `indicator`." in md


def test_same_outputs_have_no_changes(folders, tmp_path):
    old, _, _ = folders
    d = output_diff.diff(str(old), str(old))
    assert d.table.empty
    assert "No output changed." in output_diff.markdown(d) and "No verdict flipped." in output_diff.markdown(d)


def test_key_widens_until_rows_are_unique_and_numbers_match_across_formats(tmp_path):
    rules = output_compare.load_rules()
    old = pd.DataFrame({"id": ["a", "a"], "unit": ["JPY", "SGD"], "year": ["2021", "2021"], "value": ["1", "2"]})
    new = old.assign(year=["2021.0", "2021.0"], value=["1", "2.5"])
    table, key = output_compare.compare_tables("figures/x/x.csv", old, new, 1e-6, rules)
    assert key == ["id", "year", "unit"]
    assert table[["key", "change", "old", "new"]].values.tolist() == [
        ["id=a; year=2021; unit=SGD", "moved", "2", "2.5"]]


def test_bad_inputs_are_named(folders, tmp_path):
    old, new, _ = folders
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match=r"empty: not an output folder"):
        output_diff.diff(str(tmp_path / "empty"), str(new))
    with pytest.raises(ParameterError, match="tolerance"):
        output_diff.diff(str(old), str(new), rtol=-1)
    dup = pd.concat([EXPORT, EXPORT.iloc[[1]]], ignore_index=True)
    io.write_csv(old / VERDICTS, dup)
    with pytest.raises(DataFileError, match=r"old/tables/h5_summary_all_hypotheses/verdicts.csv, row 4: two rows"):
        output_diff.diff(str(old), str(new))


# ------------------------------------------------------------------ two git revisions of a toy project
def _git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _scale_notebook(scale: float) -> nbformat.NotebookNode:
    import nbfixtures

    params = new_code_cell(f"scale = {scale!r}  # multiplies the toy values")
    params.metadata["tags"] = ["parameters"]
    body = new_code_cell(
        "import pandas as pd\n"
        "from analysis import inputs, io, paths\n"
        "inputs.processed('toy')\n"
        "df = pd.read_csv(paths.processed_dir() / 'toy.csv').rename(columns={'country': 'entity'})\n"
        "df['value'] = df['value'] * scale\n"
        "io.write_csv(paths.output_dir() / 'tables' / 'hyp_scale' / 'hyp_scale.csv', df)\n")
    return nbfixtures._nb([params, body], {"kind": "hypothesis", "title_ja": "倍率", "title_en": "Scale"})


@pytest.fixture()
def toy_repo(project, tmp_path, monkeypatch):
    """The toy project as a git repository: commit 1 has ``scale = 1.0``, commit 2 ``scale = 2.0``."""
    import nbfixtures

    (project / "notebooks" / "fig_toy.ipynb").unlink()  # its validate hook lives in the tests, not the package
    (project / "notebooks" / "notebooks.toml").write_text(
        '[hyp_toy]\nkind = "hypothesis"\noutputs = "tables/hyp_toy"\nraw = ["toy_source/toy.csv"]\n\n'
        '[hyp_scale]\nkind = "hypothesis"\noutputs = "tables/hyp_scale"\nprocessed = ["toy"]\n', encoding="utf-8")
    _git(project, "init", "-q")
    for scale in (1.0, 2.0):
        nbfixtures.write_notebook(project / "notebooks" / "hyp_scale.ipynb", _scale_notebook(scale))
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", f"scale {scale}")
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "out"))
    return project


def test_two_revisions_list_the_changed_parameter_default(toy_repo, tmp_path):
    with pytest.raises(output_revisions.RevisionError, match=r"revision 'no-such-branch': no such commit"):
        output_diff.run("HEAD~1", "no-such-branch", repo=toy_repo, build_data=False)  # before any reproduce
    head = _git(toy_repo, "rev-parse", "HEAD")
    with pytest.raises(output_revisions.RevisionError, match=r"'HEAD' and '[0-9a-f]{40}' are the same commit"):
        output_diff.run("HEAD", head, repo=toy_repo, build_data=False)
    with pytest.raises(output_revisions.RevisionError, match="not a revision name"):
        output_diff.run("--output=x", "HEAD", repo=toy_repo, build_data=False)
    (toy_repo / "notebooks" / "scratch.txt").write_text("not committed\n")
    with pytest.raises(output_revisions.DirtyTreeError, match=r"uncommitted changes \(notebooks/scratch.txt\)"):
        output_diff.run("HEAD~1", "HEAD", repo=toy_repo, build_data=False)
    (toy_repo / "notebooks" / "scratch.txt").unlink()
    assert not (tmp_path / "out" / "diff").exists()  # refused before any checkout or reproduce

    first, second = _git(toy_repo, "rev-parse", "HEAD~1"), _git(toy_repo, "rev-parse", "HEAD")
    csv_path, md_path = output_diff.run("HEAD~1", "HEAD", repo=toy_repo, build_data=False)
    assert csv_path == tmp_path / "out" / "diff" / f"outputs_{first[:12]}_{second[:12]}.csv"
    t = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert t[["file", "key", "column", "change", "old", "new", "rel_change"]].values.tolist() == [
        ["tables/hyp_scale/hyp_scale.csv", "entity=JPN", "value", "moved", "3", "6", "1"],
        ["tables/hyp_scale/hyp_scale.csv", "entity=USA", "value", "moved", "2", "4", "1"]]
    assert f"# Outputs: HEAD~1 ({first[:12]}) -> HEAD ({second[:12]})" in md_path.read_text(encoding="utf-8")
    assert _git(toy_repo, "worktree", "list").count("\n") == 0  # the checkouts are gone
    revisions = tmp_path / "out" / "diff" / ".revisions"
    assert sorted(p.name for p in revisions.iterdir() if not p.name.startswith(".")) == sorted([first, second])

    output_diff.run("HEAD~1", "HEAD", repo=toy_repo, build_data=False)  # again: both revisions from their cache
    log = (revisions / second / "reproduce.log").read_text(encoding="utf-8")
    assert "0 ran, 2 cached, 0 failed" in log, log


def _reproduce_replaced(monkeypatch, action) -> list[Path]:
    """``analysis reproduce`` in the checkout replaced by ``action(kwargs)``; git itself still runs."""
    real, seen = subprocess.run, []

    def run(cmd, *args, **kwargs):
        if "analysis.cli" not in cmd:
            return real(cmd, *args, **kwargs)
        seen.append(Path(kwargs["cwd"]))
        return action(cmd, kwargs)

    monkeypatch.setattr(output_revisions.subprocess, "run", run)
    return seen


def test_a_failed_or_interrupted_reproduce_is_named_and_leaves_no_checkout(toy_repo, monkeypatch):
    def fail(cmd, kwargs):
        kwargs["stdout"].write("[notebooks] hyp_scale: FAILED in cell 2\n")
        return subprocess.CompletedProcess(cmd, 1)

    seen = _reproduce_replaced(monkeypatch, fail)
    with pytest.raises(output_revisions.RevisionError, match=r"(?s)'HEAD~1' \([0-9a-f]{12}\): `analysis reproduce "
                                                             r"--no-site` failed.*exit 1.*hyp_scale: FAILED in cell 2"):
        output_diff.run("HEAD~1", "HEAD", repo=toy_repo, build_data=False)

    def interrupt(cmd, kwargs):
        raise KeyboardInterrupt

    seen_too = _reproduce_replaced(monkeypatch, interrupt)
    with pytest.raises(KeyboardInterrupt):
        output_diff.run("HEAD~1", "HEAD", repo=toy_repo, build_data=False)
    checkouts = seen + seen_too
    assert len(checkouts) == 2 and not any(p.exists() for p in checkouts)  # both removed
    assert _git(toy_repo, "worktree", "list").count("\n") == 0


def test_allow_dirty_is_only_for_revisions(capsys):
    from analysis import cli

    assert cli.main(["diff", "msti=2025-03", "msti=2026-12-01", "--allow-dirty"]) == 2
    assert "--allow-dirty" in capsys.readouterr().err
