"""Figure 6's narrative is generated from the tables drawn: another selection of series or years says other
things (no fixed list of years, flags or gaps)."""

from __future__ import annotations

import pytest

from analysis import data
from analysis.figures import tech_transfer_us_jp as f6


@pytest.fixture(scope="module")
def frames():
    return {name: data.load(name) for name in f6.DATA_NAMES}


def test_default_text_names_each_series_latest_years_gaps_and_flags(frames):
    levels = f6.table(frames, f6.DEFAULT_METRICS, lang="en")
    per = f6.table(frames, f6.DEFAULT_METRICS, normalise=True, lang="en")
    text = f6.coverage_text(levels, per, "en")
    for r in levels[levels["value"].notna()].itertuples():
        assert f"{r.metric_label} FY{int(r.year)}" in text
    for r in levels[levels["value"].isna()].itertuples():
        assert f"{r.metric_label} ({r.gap})" in text
    flagged = levels[levels["flags"].str.contains("D")]
    assert len(flagged) and all(r.flag_reason in text for r in flagged.itertuples())
    lost = per[per["gap"] == "no same-year research spending"]
    assert len(lost) and "No same-year research spending" in text
    yrs = levels.loc[levels["value"].notna(), "year"].astype(int)
    assert f"FY{yrs.min()}-FY{yrs.max()}" in text


def test_one_series_in_an_earlier_year_speaks_of_that_year_only(frames):
    levels = f6.table(frames, ["licences", "licence_income"], ["JP_UNITT"], {"JP_UNITT": 2016}, lang="en")
    text = f6.coverage_text(levels, None, "en")
    assert "US:" not in text and "MEXT" not in text and "Per research spending" not in text
    assert "FY2019" not in text  # the default's UNITT year and its D flag
    shown = levels[levels["value"].notna()]
    assert set(shown["year"]) == {2016} and all(f"{m} FY2016" in text for m in shown["metric_label"])
    assert "Years differ" not in text


def test_japanese_text_translates_the_gap_reasons(frames):
    levels = f6.table(frames, f6.DEFAULT_METRICS, lang="ja")
    text = f6.coverage_text(levels, None, "ja")
    assert "収集データにこの指標の系列なし" in text and "no series for this metric" not in text
