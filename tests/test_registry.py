"""Verdicts come from estimates by the registered decision rule."""

from __future__ import annotations

import pytest

from analysis import registry
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
