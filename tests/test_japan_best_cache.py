"""``japan.best`` is memoised by the frame's content: same results as without the cache, on the real data."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import data
from analysis.errors import ParameterError
from analysis.sources import japan


@pytest.fixture(scope="module")
def japan_tidy() -> pd.DataFrame:
    return data.load("japan")


def test_memoised_best_equals_uncached_where_a_choice_is_made(japan_tidy):
    # indicators where some year has values from more than one source (choice, alternatives, differences)
    multi = japan_tidy[japan_tidy.duplicated(["indicator", "entity", "year", "year_type"], keep=False)]
    inds = sorted(multi["indicator"].unique())
    assert len(inds) >= 4  # business researchers, joint-research amounts, licensing counts and income
    japan._BEST_CACHE.clear()
    for ind in inds[:8]:
        rows = japan_tidy[japan_tidy["indicator"] == ind]  # as the figures pass them
        ref = japan._best(rows, ind, None)
        assert (ref["n_sources"] > 1).any() and ref["alternatives"].str.len().gt(0).any()
        first, again = japan.best(rows, ind), japan.best(rows, ind)
        pd.testing.assert_frame_equal(first, ref, check_exact=True)
        pd.testing.assert_frame_equal(again, ref, check_exact=True)
    assert len(japan._BEST_CACHE) == min(8, len(inds))


def test_an_edited_frame_or_returned_copy_never_comes_from_the_cache(japan_tidy):
    ind = "joint_research_private_count"
    assert ind in set(japan_tidy["indicator"]), "indicator used by figure 2 is missing from the real data"
    before = japan.best(japan_tidy, ind)
    before["value"] = -1.0  # the caller owns its copy
    assert (japan.best(japan_tidy, ind)["value"] > 0).all()
    edited = japan_tidy.copy()
    row = edited.index[(edited["indicator"] == ind)][0]
    edited.loc[row, "value"] = edited.loc[row, "value"] * 2
    pd.testing.assert_frame_equal(japan.best(edited, ind), japan._best(edited, ind, None), check_exact=True)
    assert not japan.best(edited, ind).equals(japan.best(japan_tidy, ind))


def test_errors_are_raised_on_every_call(japan_tidy):
    for _ in range(2):
        with pytest.raises(ParameterError, match="indicator"):
            japan.best(japan_tidy, "no_such_indicator")
