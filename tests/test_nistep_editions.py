"""Figure 1 against NISTEP editions: MSTI B_RS.FTE next to every value NISTEP editions print (same / revised /
different definition of the year)."""

from __future__ import annotations

import pytest

from analysis import data
from analysis.figures import nistep_editions as ne


@pytest.fixture(scope="module")
def table():
    frames = {name: data.load(name) for name in ne.DATASETS}
    return ne.compare(*(frames[name] for name in ne.DATASETS))


def row(table, entity, edition, year):
    sub = table[(table["entity"] == entity) & (table["edition"] == edition) & (table["nistep_year"] == year)]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def test_every_edition_is_compared(table):
    assert sorted(table["edition"].unique()) == [2015, 2016, 2017, 2018, 2021, 2022, 2023, 2024]
    assert len(table) == 39  # 27 values in data/raw/japan + 12 in nistep_text_phd_bizres_2
    assert table["status"].value_counts().to_dict() == {"same": 19, "different definition (year)": 8,
                                                       "year not stated": 7, "revised": 5}


def test_published_values_and_statuses(table):
    # 2024 edition (the deck's source): US 2021 133.3万 = MSTI 1,333,100; KOR 2022 40.4万
    us = row(table, "USA", 2024, 2021)
    assert us["nistep_10k"] == 133.3 and us["status"] == "same" and us["msti_10k"] == pytest.approx(133.31)
    assert row(table, "KOR", 2024, 2022)["status"] == "same"
    # Japan 2024 edition "2023: 53.1万" is MSTI's 2022 (530,587), not MSTI 2023 (523,548)
    jp = row(table, "JPN", 2024, 2023)
    assert jp["status"] == "different definition (year)" and jp["msti_year"] == 2022
    assert jp["msti_10k"] == pytest.approx(53.06) and jp["msti_flags"] == "D"
    # 2023 edition US 2020 120.1万 vs MSTI 122.3万 today: revised
    us20 = row(table, "USA", 2023, 2020)
    assert us20["status"] == "revised" and us20["difference_10k"] == pytest.approx(2.2)
    # every Japanese value matches only one year earlier in MSTI
    jpn = table[table["entity"] == "JPN"]
    assert (jpn["status"] == "different definition (year)").all() and (jpn["nistep_year"] - jpn["msti_year"] == 1).all()


def test_without_the_year_convention_japan_would_read_as_revised(table, monkeypatch):
    frames = {name: data.load(name) for name in ne.DATASETS}
    monkeypatch.setattr(ne, "conventions", lambda: {"rounding_persons": 500, "year_offset": {}})
    plain = ne.compare(*(frames[name] for name in ne.DATASETS))
    assert set(plain.loc[plain["entity"] == "JPN", "status"]) == {"revised"}


def test_summary_and_files(table, tmp_path):
    text = ne.summary(table, "en")
    assert "19 same, 8 different definition (year), 5 revised, 7 year not stated" in text
    assert "USA 2020 (2023 ed.) 120.1 vs 122.30" in text
    assert "同じ 19件" in ne.summary(table, "ja")
    paths = ne.write(table, tmp_path, "fig01")
    assert paths["csv"].exists() and paths["md"].read_text(encoding="utf-8").count("\n") == len(table) + 2
