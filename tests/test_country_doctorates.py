"""Registered robustness row C1-PHD: doctorates per million as the absorptive-capacity measure in C1a/C1b."""

from __future__ import annotations

import pytest

from analysis import data
from analysis.models import country, country_doctorates as cd

SEL = {"countries": [], "exclude": [], "years": None}


@pytest.fixture(scope="module")
def inputs_():
    return data.load("oecd_msti"), data.load(cd.DATASET)


def test_registered_entry_names_the_estimated_coefficient():
    entry = cd.registered()
    assert entry["coefficient"] == cd.TERM and entry["hypotheses"] == ["C1a", "C1b"]
    assert [s.carries for s in cd.specs()] == [{"C1a": cd.TERM}, {"C1b": cd.TERM}]


def test_doctorates_per_million_in_the_panel(inputs_):
    msti, t46 = inputs_
    panel = cd.add_doctorates(country.build_panel(msti, None), msti, t46)
    jp = panel[(panel["entity"] == "JPN") & (panel["year"] == 2011)].iloc[0]
    assert round(jp["phd_pm"], 1) == 124.5  # 15,911 / 127.83 m (NISTEP 2015 edition: 125)
    assert set(panel.loc[panel["phd_pm"].notna(), "entity"]) == {"JPN", "USA", "DEU", "FRA", "GBR", "CHN", "KOR"}
    assert panel.loc[(panel["entity"] == "USA") & (panel["year"] == 2021), "phd_pm"].isna().all()  # no count


def test_rows_are_robustness_rows_on_seven_clusters(inputs_):
    msti, t46 = inputs_
    params = {**country.DEFAULTS, "bootstrap_reps": 99}
    rows = cd.rows(msti, params, SEL, t46)
    assert [r["hypothesis"] for r in rows] == ["C1a", "C1a", "C1b", "C1b"]
    assert {r["role"] for r in rows} == {"robustness"} and {r["term"] for r in rows} == {cd.TERM}
    ols = rows[0]
    assert ols["n_clusters"] == 7 and ols["n_obs"] == 151
    assert ols["estimate"] == pytest.approx(-0.72143, abs=1e-4)
    # OLS and bootstrap rows share the point estimate; the bootstrap p-value differs
    assert rows[1]["estimate"] == pytest.approx(ols["estimate"]) and rows[1]["p_value"] != ols["p_value"]


def test_selection_without_two_economies_gives_no_rows(inputs_):
    msti, t46 = inputs_
    params = {**country.DEFAULTS, "bootstrap_reps": 99}
    assert cd.rows(msti, params, {**SEL, "countries": ["JPN", "SGP", "TWN"]}, t46) == []
    rows = cd.rows(msti, params, {**SEL, "exclude": ["CHN"]}, t46)
    assert rows[0]["n_clusters"] == 6
