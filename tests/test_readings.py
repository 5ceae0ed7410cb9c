"""The Reading sections of h1-h3 are generated from the estimates of the run: other parameters give other
numbers and counts, and every number quoted is the one in the results table."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import data
from analysis.models import firm, industry, readings


@pytest.fixture(scope="module")
def panel():
    return firm.load_panel()


@pytest.mark.parametrize("start, end, max_lag", [(1987, 1991, 4), (1988, 1991, 3)])
def test_replication_reading_quotes_this_runs_sample_and_elasticities(panel, start, end, max_lag):
    rep = firm.replication(panel, start, end, max_lag)
    text = readings.replication_reading(rep, "en")
    s = rep["sample"]
    assert f"{len(s):,} firm-years ({s['firm'].nunique()} firms, {start}-{end})" in text
    assert f"{rep['fit'].n_obs:,} are informative" in text
    for term, r in rep["long_run"].iterrows():
        assert f"{r['hypothesis']}: long-run" in text and f"elasticity {r['estimate']:.3f}**" in text
        assert readings.fmt_p(r["p_cluster"]) in text
    ratio = rep["coefficients"]["se_cluster"] / rep["coefficients"]["se_model"]
    assert f"{ratio.min():.1f}-{ratio.max():.1f} times" in text
    assert f"over {max_lag + 1} lags" in text


def test_firm_reading_follows_the_estimators_and_years_chosen(panel):
    res, _ = firm.estimate(panel, {"estimators": ["pooled_poisson"], "start_year": 1985, "end_year": 1991})
    text = readings.firm_reading(res, panel, 1985, 1991, "en")
    head = res[(res["hypothesis"] == "F1") & (res["role"] == "hypothesis")].iloc[0]
    assert f"**F1 (headline): {head['verdict']}.**" in text and "with 1 of 1 estimators" in text
    assert f"pooled Poisson {head['estimate']:+.3f} (SE {head['std_error']:.3f}" in text
    assert "NB2's dispersion" not in text  # NB2 not estimated in this run
    share = firm.variation_explained(panel, 1985, 1991)["share explained by controls"]["spil"]
    assert f"explain {share:.0%} of the variance of log spillovers" in text
    n_jp = panel[panel["year"].between(1985, 1991) & (panel["region"] == "japan")]["firm"].nunique()
    assert f"{n_jp} Japanese firms" in text


def test_industry_reading_counts_the_models_of_this_run():
    panel = data.load("ehs2013_panel")
    res, _ = industry.run(panel, drop_countries=["JPN"], reps=99, seed=1)
    text = readings.industry_reading(res, "ja")
    for r in res[res["role"] == "hypothesis"].itertuples():
        assert f"**{r.hypothesis}（{r.term}）：{r.verdict}。** 主推定 {r.estimate:+.4f}" in text
        others = res[(res["term"] == r.term) & (res["model"] != r.model) & ~res["model"].str.endswith("WCR")]
        same = int((np.sign(others["estimate"]) == np.sign(r.estimate)).sum())
        assert f"他の{len(others)}モデルでは{same}本が同符号" in text
