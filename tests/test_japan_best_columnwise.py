"""``japan.best`` chooses column-wise (``_choose``); the result equals the group-by-group reference
(``_best_rowwise``) exactly, on the real data (every indicator with a choice among sources) and on edited copies with the edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis.sources import japan_select as js


def _reference(df: pd.DataFrame, indicator: str) -> pd.DataFrame:
    sub = df[df["indicator"] == indicator]
    sub = sub.assign(_rank=js._rank(sub["reliability"]), _year=sub["year"].fillna(-1))
    sub = sub.sort_values(["entity", "_year", "year_type", "_rank", "source", "source_id"], kind="mergesort")
    return js._best_rowwise(sub)


@pytest.mark.parametrize("name", ["japan", "ncses_autm"])
def test_every_real_indicator_equals_the_rowwise_choice(name):
    tidy = data.load(name)
    several = tidy[tidy.duplicated(["indicator", "entity", "year", "year_type"], keep=False)]["indicator"]
    inds = sorted(set(several) | set(sorted(tidy["indicator"].unique())[::8]))  # every choice, and a spread of others
    multi = 0
    for ind in inds:
        got = js._best(tidy, ind, None)
        pd.testing.assert_frame_equal(got, _reference(tidy, ind), check_exact=True)
        multi += int((got["n_sources"] > 1).any())
    if name == "japan":
        assert multi >= 4  # choices among several sources are exercised, not only single-source years


def test_zero_missing_and_equal_values_give_the_same_spread_and_alternatives():
    tidy = data.load("japan")
    multi = tidy[tidy.duplicated(["indicator", "entity", "year", "year_type"], keep=False)]
    ind = sorted(multi["indicator"].unique())[0]
    rows = tidy[tidy["indicator"] == ind].copy()
    dup = rows.index[rows.duplicated(["entity", "year", "year_type"], keep=False)]
    assert len(dup) >= 3
    rows.loc[dup[0], "value"] = 0.0  # a chosen or alternative value of zero
    rows.loc[dup[1], "value"] = np.nan  # a missing value in a group
    got = js._best(rows, ind, None)
    pd.testing.assert_frame_equal(got, _reference(rows, ind), check_exact=True)
    assert got["alternatives"].str.contains("nan").any() or got["max_rel_diff"].isna().any()


def test_a_frame_with_another_column_or_dtype_uses_the_rowwise_path():
    tidy = data.load("japan")
    ind = "joint_research_private_count"
    extra = tidy.assign(comment="x")
    pd.testing.assert_frame_equal(js._best(extra, ind, None), _reference(extra, ind), check_exact=True)
    assert "comment" in js._best(extra, ind, None).columns
    ints = tidy[tidy["indicator"] == ind].assign(value=lambda d: d["value"].round().astype("Int64"))
    pd.testing.assert_frame_equal(js._best(ints, ind, None), _reference(ints, ind), check_exact=True)
