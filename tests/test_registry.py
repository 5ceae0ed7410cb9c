"""Verdicts come from estimates by the registered decision rule."""

from __future__ import annotations

import json

import pytest

from analysis import inputs, registry
from analysis.errors import DataFileError, ParameterError


@pytest.mark.parametrize("est,p,sign,expected", [
    (0.3, 0.01, "+", "supported"),
    (-0.3, 0.01, "+", "contrary"),
    (0.3, 0.20, "+", "not supported"),
    (-0.3, 0.049, "-", "supported"),
    (0.3, 0.049, "-", "contrary"),
    (0.3, 0.05, "+", "not supported"),  # p must be strictly below alpha
    (float("nan"), float("nan"), "+", "not supported"),
])
def test_verdict_rule(est, p, sign, expected):
    assert registry.verdict(est, p, sign, 0.05) == expected


def test_verdict_rejects_bad_sign_and_alpha():
    with pytest.raises(ParameterError, match="expected_sign"):
        registry.verdict(1, 0.01, "up", 0.05)
    with pytest.raises(ParameterError, match="alpha"):
        registry.verdict(1, 0.01, "+", 5)


def test_registry_file_errors_name_field(tmp_path):
    (tmp_path / "h.toml").write_text('[[hypothesis]]\nid = "X1"\nfamily = "firm"\n')
    with pytest.raises(DataFileError, match="h.toml.*lacks 'statement'"):
        registry.load(tmp_path)


def test_registered_hypotheses_are_complete():
    hyps = registry.load()
    for h in hyps:
        assert h.expected_sign in {"+", "-"} and 0 < h.alpha < 1 and h.coefficients
    assert len({h.id for h in hyps}) == len(hyps)


def reads(log) -> list[tuple[str, str]]:
    """(kind, name) of every read in an ``$SANGAKU_READ_LOG`` file."""
    return [(r["kind"], r["name"]) for r in map(json.loads, log.read_text().splitlines())]


def test_load_reads_only_the_requested_families_files(tmp_path, monkeypatch):
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv("SANGAKU_READ_LOG", str(log))
    monkeypatch.delenv("SANGAKU_DECLARED", raising=False)
    firm = registry.load(families="firm")
    assert {h.family for h in firm} == {"firm"} and "F1" in {h.id for h in firm}
    assert reads(log) == [("package", "hypotheses/firm.toml")]
    log.unlink()
    everything = registry.load()
    assert {h.family for h in everything} == set(registry.family_names()) == {"firm", "industry", "country"}
    assert sorted(reads(log)) == [("package", "hypotheses/country.toml"), ("package", "hypotheses/firm.toml"),
                                  ("package", "hypotheses/industry.toml")]


def test_a_notebook_declaring_one_family_cannot_read_another(monkeypatch):
    monkeypatch.setenv("SANGAKU_DECLARED", json.dumps({"notebook": "h2_firm_absorptive_capacity",
                                                      "package": ["hypotheses/firm.toml"]}))
    assert registry.load(families=["firm"])
    with pytest.raises(inputs.UndeclaredInputError, match="hypotheses/country.toml"):
        registry.load(families=["country"])
    with pytest.raises(inputs.UndeclaredInputError):
        registry.load()


def test_unknown_family_lists_the_registry_files():
    with pytest.raises(ParameterError, match=r"families=\['firms'\].*valid choices: country, firm, industry"):
        registry.load(families="firms")


ENTRY = ('[[hypothesis]]\nid = "X1"\nfamily = "{family}"\nstatement = "s"\nunit = "u"\ndata = "d"\noutcome = "y"\n'
         'regressors = ["x"]\ncoefficients = ["x"]\nexpected_sign = "+"\nestimators = ["ols"]\n'
         'inference = "cluster"\nalpha = 0.05\n{more}')


def test_file_fields_apply_to_every_entry_and_an_entry_may_override(tmp_path):
    (tmp_path / "toy.toml").write_text('min_clusters = 12\ncluster = "id"\nnotebook = "nb_toy"\n'
                                       + ENTRY.format(family="toy", more='min_clusters = 30\n')
                                       + ENTRY.format(family="toy", more="").replace('"X1"', '"X2"'))
    x1, x2 = registry.load(tmp_path, families="toy")
    assert (x1.min_clusters, x2.min_clusters) == (30, 12)
    assert x1.cluster == x2.cluster == "id" and x2.notebook == "nb_toy"
    assert "no verdict on fewer than 12 clusters" in x2.decision_rule


@pytest.mark.parametrize("text,match", [
    ("min_clusters = 1\n" + ENTRY.format(family="toy", more=""), r"toy.toml.*'min_clusters'.*integer >= 2"),
    (ENTRY.format(family="toy", more='min_clusters = "ten"\n'), r"toy.toml.*X1: min_clusters must be an integer"),
    (ENTRY.format(family="firm", more=""), r"toy.toml.*'family'.*X1: family 'firm' filed in toy.toml"),
])
def test_bad_verdict_check_fields_name_file_and_field(tmp_path, text, match):
    (tmp_path / "toy.toml").write_text(text)
    with pytest.raises(DataFileError, match=match):
        registry.load(tmp_path)
