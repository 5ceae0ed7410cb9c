"""The cross-family summary: verdicts and robustness counts follow the registered rule; text is generated."""

from __future__ import annotations

import pandas as pd

from analysis import registry
from analysis.models import results, summary, verdicts


def _rows():
    # F1 (expected +) with a contrary headline estimate and two robustness rows (one contrary, one not significant);
    # C1b (expected +) supported with one supportive robustness row.
    # clusters and inference as the registry states them for each family (cluster by firm / by country)
    firm_base = dict(estimator="x", sample="s", n_obs=100, n_clusters=181, inference="cluster(firm)")
    ctry_base = dict(estimator="x", sample="s", n_obs=100, n_clusters=47, inference="CR1 clustered by entity, t(46)")
    return results.frame([
        dict(firm_base, hypothesis="F1", model="m", term="rdexp:spil", estimate=-0.3, std_error=0.1, ci_low=-0.5,
             ci_high=-0.1, p_value=0.003, role="hypothesis"),
        dict(firm_base, hypothesis="F1", model="r1", term="rdexp:spil", estimate=-0.2, std_error=0.1, ci_low=-0.4,
             ci_high=0.0, p_value=0.04, role="robustness"),
        dict(firm_base, hypothesis="F1", model="r2", term="rdexp:spil", estimate=-0.1, std_error=0.1, ci_low=-0.3,
             ci_high=0.1, p_value=0.3, role="robustness"),
        dict(ctry_base, hypothesis="C1b", model="m", term="log_berd:log_herd", estimate=0.07, std_error=0.02,
             ci_low=0.03, ci_high=0.11, p_value=0.004, role="hypothesis"),
        dict(ctry_base, hypothesis="C1b", model="r", term="log_berd:log_herd", estimate=0.03, std_error=0.01,
             ci_low=0.01, ci_high=0.05, p_value=0.01, role="robustness"),
    ]).assign(family=["firm", "firm", "firm", "country", "country"])


def test_verdicts_and_robustness_counts_follow_the_rule():
    res = results.add_verdicts(_rows())
    table = summary.verdict_table(res).set_index("hypothesis")
    assert table.loc["F1", "verdict"] == registry.CONTRARY
    assert table.loc["F1", "robustness same verdict"] == "1/2"
    assert table.loc["C1b", "verdict"] == registry.SUPPORTED
    assert table.loc["C1b", "robustness same verdict"] == "1/1"
    assert (table["verdict_flag"] == "").all()
    assert set(verdicts.EXPORT_COLUMNS) == set(table.reset_index().columns)
    # the results layout carries the same count on the hypothesis rows, and nothing on the others
    hyp = res[res["role"] == "hypothesis"].set_index("hypothesis")
    assert hyp.loc["F1", "robustness_same"] == "1/2" and hyp.loc["C1b", "robustness_same"] == "1/1"
    assert (res.loc[res["role"] != "hypothesis", ["verdict", "verdict_flag", "robustness_same"]] == "").all().all()


def test_too_few_clusters_give_no_verdict_in_the_table_and_the_text():
    rows = _rows()
    rows.loc[rows["hypothesis"] == "C1b", "n_clusters"] = 3
    table = summary.verdict_table(results.add_verdicts(rows)).set_index("hypothesis")
    assert table.loc["C1b", "verdict"] == registry.NO_VERDICT_FEW_CLUSTERS
    assert table.loc["C1b", "verdict_flag"] == "too few clusters (3 < 20)"
    assert table.loc["C1b", "robustness same verdict"] == ""
    text = "\n".join(summary.narrative(table.reset_index()))
    assert "country: 0 of 1 headline hypotheses supported; no verdict (too few clusters): C1b." in text
    assert "C1b (no verdict (too few clusters)) is flagged: too few clusters (3 < 20)." in text
    counts = summary.verdict_counts(table.reset_index())
    assert counts.loc["country", registry.NO_VERDICT_FEW_CLUSTERS] == 1
    fig, data = summary.coefficient_plot(table.reset_index(), "en")
    assert data.set_index("hypothesis").loc["C1b", "verdict_flag"] == "too few clusters (3 < 20)"


def test_export_writes_the_table_the_site_reads(tmp_path):
    res = results.add_verdicts(_rows())
    table = summary.verdict_table(res)
    files = summary.export(table, res, tmp_path)
    assert [f.name for f in files] == [verdicts.EXPORT_NAME, "all_results.csv"]
    back = verdicts.read_export(files[0])
    assert [(r["hypothesis"], r["verdict"], r["robustness same verdict"]) for r in back] == [
        ("F1", "contrary", "1/2"), ("C1b", "supported", "1/1")]


def test_narrative_is_generated_from_the_table():
    table = summary.verdict_table(results.add_verdicts(_rows()))
    text = "\n".join(summary.narrative(table))
    assert "firm: 0 of 1 headline hypotheses supported; significant with the opposite sign: F1." in text
    assert "country: 1 of 1 headline hypotheses supported (C1b: same verdict on 1/1 robustness rows)." in text


def test_registry_frame_lists_every_family_once_per_id():
    reg = summary.registry_frame()
    assert reg["id"].is_unique
    assert {"firm", "industry", "country"} <= set(reg["family"])
    assert pd.Series(reg["expected sign"]).isin(["+", "-"]).all()
