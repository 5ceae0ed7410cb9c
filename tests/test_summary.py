"""The cross-family summary: verdicts and robustness counts follow the registered rule; text is generated."""

from __future__ import annotations

import pandas as pd

from analysis import registry
from analysis.models import results, summary


def _rows():
    # F1 (expected +) with a contrary headline estimate and two robustness rows (one contrary, one not significant);
    # C1b (expected +) supported with one supportive robustness row.
    base = dict(estimator="x", sample="s", n_obs=100, n_clusters=10, inference="CR1")
    return results.frame([
        dict(base, hypothesis="F1", model="m", term="rdexp:spil", estimate=-0.3, std_error=0.1, ci_low=-0.5,
             ci_high=-0.1, p_value=0.003, role="hypothesis"),
        dict(base, hypothesis="F1", model="r1", term="rdexp:spil", estimate=-0.2, std_error=0.1, ci_low=-0.4,
             ci_high=0.0, p_value=0.04, role="robustness"),
        dict(base, hypothesis="F1", model="r2", term="rdexp:spil", estimate=-0.1, std_error=0.1, ci_low=-0.3,
             ci_high=0.1, p_value=0.3, role="robustness"),
        dict(base, hypothesis="C1b", model="m", term="log_berd:log_herd", estimate=0.07, std_error=0.02,
             ci_low=0.03, ci_high=0.11, p_value=0.004, role="hypothesis"),
        dict(base, hypothesis="C1b", model="r", term="log_berd:log_herd", estimate=0.03, std_error=0.01,
             ci_low=0.01, ci_high=0.05, p_value=0.01, role="robustness"),
    ]).assign(family=["firm", "firm", "firm", "country", "country"])


def test_verdicts_and_robustness_counts_follow_the_rule():
    res = results.add_verdicts(_rows())
    table = summary.verdict_table(res).set_index("hypothesis")
    assert table.loc["F1", "verdict"] == registry.CONTRARY
    assert table.loc["F1", "robustness same verdict"] == "1/2"
    assert table.loc["C1b", "verdict"] == registry.SUPPORTED
    assert table.loc["C1b", "robustness same verdict"] == "1/1"


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
