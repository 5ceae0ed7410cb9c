"""Verdicts that cannot mislead: below the registry's minimum number of clusters there is no verdict, and a
verdict computed with standard errors other than the registered ones is flagged. Real estimates on the real
panels, with the registry's own minimum and clustering variables."""

from __future__ import annotations

import pytest

from analysis import data, registry
from analysis.models import country, firm, industry, results, verdicts


def _hypothesis_rows(res):
    return res[res["role"] == "hypothesis"].set_index("hypothesis")


def test_the_registry_states_a_minimum_and_the_clustering_of_every_verdict():
    for h in registry.load():
        if h.extra.get("role") == "replication":
            continue
        assert isinstance(h.min_clusters, int) and h.min_clusters >= 2, h.id
        assert h.cluster and h.cluster_unit and h.notebook, h.id
        assert "no verdict on fewer than" in h.decision_rule
    assert {h.cluster for h in registry.load(families="firm")} == {"firm"}
    assert {h.cluster for h in registry.load(families="industry")} == {"id"}
    assert {h.cluster for h in registry.load(families="country")} == {"entity"}


@pytest.mark.parametrize("n_clusters,expected", [(None, registry.SUPPORTED), (float("nan"), registry.SUPPORTED),
                                                 (3, registry.NO_VERDICT_FEW_CLUSTERS),
                                                 (19, registry.NO_VERDICT_FEW_CLUSTERS),
                                                 (20, registry.SUPPORTED), (181, registry.SUPPORTED)])
def test_verdict_is_refused_below_the_minimum(n_clusters, expected):
    assert registry.verdict(0.3, 0.001, "+", 0.05, n_clusters, 20) == expected
    # without a stated minimum the rule is the registered one
    assert registry.verdict(0.3, 0.001, "+", 0.05, 3) == registry.SUPPORTED


def test_three_clusters_give_no_verdict_with_the_flag():
    """Three economies: every registered country model by OLS with SEs clustered by economy, t(2) inference.
    No verdict, and the table says why. (The registered models are fitted here directly; the full
    ``country.estimate`` with three economies, bootstrap included, is tested in test_inference_few_clusters.py.)"""
    three = ["JPN", "KOR", "USA"]
    panel = country.build_panel(data.load("oecd_msti"), data.load("pwt"))
    rows = []
    for spec in country.SPECS:
        fit = country.fit_ols(country.model_frame(panel, spec, lag=spec.fixed_lag or 0, countries=three))
        rows += [{**fit.row(term), "hypothesis": hid, "model": spec.name, "role": "hypothesis"}
                 for hid, term in spec.carries.items()]
    hyps = {h.id: h for h in registry.load(families="country")}
    hyp = _hypothesis_rows(results.add_verdicts(results.frame(rows), hyps))
    minimum = hyps["C1b"].min_clusters
    assert set(hyp.index) == {"C1a", "C1b", "C1c", "C2a", "C2b", "C3a"}
    assert set(hyp["n_clusters"]) == {3} and hyp["inference"].str.endswith("t(2)").all()
    assert (hyp["verdict"] == registry.NO_VERDICT_FEW_CLUSTERS).all()
    assert (hyp["verdict_flag"] == f"too few clusters (3 < {minimum})").all()
    assert (hyp["robustness_same"] == "").all()
    # the estimate is still reported: only the verdict is refused
    assert hyp["estimate"].notna().all() and hyp["p_value"].notna().all()


def test_model_based_standard_errors_where_clustering_is_registered_are_flagged():
    panel = firm.load_panel()
    clustered, _ = firm.estimate(panel, {"estimators": ["pooled_poisson"]})
    model, _ = firm.estimate(panel, {"estimators": ["pooled_poisson"], "clustering": "none"})
    c, m = _hypothesis_rows(clustered), _hypothesis_rows(model)
    # registered (firm-clustered): 181 firms, no flag, the verdict the README reports
    assert c.loc["F1", "n_clusters"] == 181 and c.loc["F1", "verdict_flag"] == ""
    assert c.loc["F1", "verdict"] == registry.NOT_SUPPORTED
    # model-based SEs: the rule's verdict is kept but flagged as not the registered inference
    flag = "inference differs from registered (model SEs; registered: cluster by firm)"
    assert (m["verdict_flag"] == flag).all()
    assert m.loc["F1", "verdict"] == registry.verdict(m.loc["F1", "estimate"], m.loc["F1", "p_value"], "+", 0.05)
    assert m.loc["F1", "std_error"] < c.loc["F1", "std_error"]


def test_clustering_on_another_variable_is_flagged_and_ten_clusters_are_too_few():
    panel = data.load("ehs2013_panel")
    spec = industry.Spec("(1) headline, clustered by country", cluster="country", role="hypothesis")
    rows, _, _ = industry.run_spec(panel, spec, *industry.YEARS, reps=99, seed=1, weights="webb")
    hyps = {h.id: h for h in registry.load(families="industry")}
    hyp = _hypothesis_rows(results.add_verdicts(results.frame(rows), hyps))
    assert set(hyp["n_clusters"]) == {panel["country"].nunique()} == {10}
    assert (hyp["verdict"] == registry.NO_VERDICT_FEW_CLUSTERS).all()
    assert (hyp["verdict_flag"] == "too few clusters (10 < 20); inference differs from registered "
                                   "(clustered by country; registered: cluster by country-sector)").all()


def test_default_country_run_keeps_its_verdicts_unflagged():
    """The committed h4 run: 47 (C1, C3) and 44 (C2) economies, every verdict above the minimum."""
    res = country.estimate(data.load("oecd_msti"), data.load("pwt"), {"bootstrap_reps": 99}).table
    hyp = _hypothesis_rows(res)
    assert hyp["n_clusters"].min() >= registry.get("C2a", families="country").min_clusters
    assert (hyp["verdict_flag"] == "").all()
    assert hyp.loc["C1b", "verdict"] == registry.SUPPORTED and hyp.loc["C1a", "verdict"] == registry.NOT_SUPPORTED


@pytest.mark.parametrize("inference,cluster", [
    ("cluster(firm)", "firm"), ("CR1 clustered by entity, t(46)", "entity"),
    ("PPML, cluster-robust by entity, t(46)", "entity"), ("model", None),
    ("WCR bootstrap-t, webb weights, 999 draws, clustered (47 clusters)", None)])
def test_cluster_variable_is_read_from_the_inference_text(inference, cluster):
    assert verdicts.cluster_of(inference) == cluster


def test_an_unregistered_hypothesis_row_is_named():
    df = results.frame([dict(hypothesis="NOPE", model="m", term="x", estimate=1.0, p_value=0.01, n_clusters=50,
                             inference="cluster(firm)", role="hypothesis")])
    with pytest.raises(Exception, match="hypothesis='NOPE'.*model 'm'"):
        results.add_verdicts(df, {h.id: h for h in registry.load(families="firm")})
