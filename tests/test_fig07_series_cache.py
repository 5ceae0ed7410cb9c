"""Figure 7's ``series`` is memoised by the content of the selected rows: the same results as without the cache
on the real data, and an edited frame or a modified returned copy never comes back from the cache."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import data
from analysis.figures import university_finance as uf


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return data.load("japan")


def _uncached(tidy: pd.DataFrame, inst: str, measure: str) -> pd.DataFrame:
    inds = uf.INSTITUTIONS[inst][measure] if inst in uf.INSTITUTIONS else [uf.NIAD_INDICATORS[measure]]
    sub = tidy[tidy["indicator"].isin(inds) & (tidy["entity"] == inst) & tidy["year"].notna()]
    return uf._series(sub, measure)


def test_cached_series_equal_the_uncached_ones(tidy):
    uf._SERIES_CACHE.clear()
    pairs = [(k, m) for k, v in uf.INSTITUTIONS.items() for m in uf.MEASURES if v[m]]
    for inst, m in pairs:
        ref = _uncached(tidy, inst, m)
        assert len(ref) > 0, f"{inst} {m}: no data in the real series"
        for _ in range(2):
            pd.testing.assert_frame_equal(uf.series(tidy, inst, m), ref, check_exact=True)
    assert len(uf._SERIES_CACHE) == len(pairs)
    # Harvard's revenue: FY2000-2024 with the published gaps (FY2001, 2003, 2004, 2007)
    years = uf.available_years(tidy, "Harvard University", "revenue")
    assert 2006 in years and not {2001, 2003, 2004, 2007} & set(years)


def test_an_edited_frame_or_modified_copy_is_not_served_from_the_cache(tidy):
    first = uf.series(tidy, "東京大学", "assets")
    first["value"] = -1.0  # the caller owns its copy
    assert (uf.series(tidy, "東京大学", "assets")["value"] > 0).all()
    edited = tidy.copy()
    row = edited.index[(edited["indicator"] == "niad_assets") & (edited["entity"] == "東京大学")][0]
    edited.loc[row, "value"] = edited.loc[row, "value"] * 2
    got = uf.series(edited, "東京大学", "assets")
    pd.testing.assert_frame_equal(got, _uncached(edited, "東京大学", "assets"), check_exact=True)
    assert not got.equals(uf.series(tidy, "東京大学", "assets"))
    dropped = tidy.drop(index=row)  # a year removed: the cache must not bring it back
    assert len(uf.series(dropped, "東京大学", "assets")) == len(uf.series(tidy, "東京大学", "assets")) - 1
