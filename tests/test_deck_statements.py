"""The registry of the deck's own statements (analysis.deck) and figure 9 built from it.

Quotes are checked verbatim against the vendored deck text; values are parsed from the quotes; cross-checks
are computed from the collected sources in data/raw/japan/deck_misc_sources.csv.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import deck, vintages
from analysis.errors import DataFileError, ParameterError
from analysis.figures import deck_statements as fig9


@pytest.fixture(scope="module")
def deck_txt(raw_dir) -> str:
    return deck.deck_text(raw_dir)


@pytest.fixture(scope="module")
def japan_tidy(japan_copy) -> pd.DataFrame:
    return japan_copy  # japan.load(raw_dir), loaded once per test run (conftest)


@pytest.fixture(scope="module")
def checks(japan_tidy) -> pd.DataFrame:
    return deck.crosscheck(japan_tidy)


def _row(df: pd.DataFrame, sid: str, **match) -> pd.Series:
    sub = df[df["id"] == sid]
    for k, v in match.items():
        sub = sub[sub[k] == v]
    assert len(sub) == 1, f"{sid}: {len(sub)} rows"
    return sub.iloc[0]


# --- the quotes ------------------------------------------------------------------------------------------

def test_every_quote_occurs_exactly_once_in_the_vendored_deck(deck_txt):
    loc = deck.locate(deck_txt)
    assert len(loc) == len(deck.STATEMENTS)
    bad = loc[loc["occurrences"] != 1]
    assert bad.empty, f"quotes not found exactly once: {bad.to_dict('records')}"


def test_deck_copy_is_the_registered_file(raw_dir):
    from analysis import manifest
    entry = [e for e in manifest.load(raw_dir)["files"] if e["path"] == vintages.resolve_relpath("deck/deck.txt", raw_dir)]
    assert len(entry) == 1 and entry[0]["source"] == "deck"
    assert entry[0]["sha256"] == "ecdc66153366f92130b6155d83e085ac3f8b76a8e256a46d903fe9c3af483069"


def test_locate_reports_a_quote_missing_from_an_edited_text(deck_txt):
    edited = deck_txt.replace("約850件", "約860件")
    loc = deck.locate(edited).set_index("id")
    assert loc.loc["kyushu_legal_2023", "occurrences"] == 0
    assert loc.loc["kyushu_legal_2019", "occurrences"] == 1


def test_number_and_period_are_part_of_the_deck_text(deck_txt):
    for s in deck.STATEMENTS:
        assert s.number in s.quote, s.id
        if s.number_high:
            assert s.number_high in s.quote, s.id
        if s.period:
            assert s.period in deck_txt, (s.id, s.period)


def test_registry_is_well_formed():
    ids = [s.id for s in deck.STATEMENTS]
    assert len(ids) == len(set(ids))
    for s in deck.STATEMENTS:
        assert s.topic in deck.TOPICS and s.qualifier in deck.QUALIFIERS, s.id
        assert s.checks or s.check_note_en, f"{s.id}: say why there is no cross-check"
        if s.equivalent_of:
            assert deck.by_id(s.equivalent_of).unit != "JPY" and s.unit == "JPY"


def test_missing_deck_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match="deck text not found"):
        deck.deck_text(tmp_path)


# --- parsing ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("5,400万", 54_000_000.0), ("7.1億", 710_000_000.0), ("1億", 1e8), ("90.1M", 90_100_000.0),
    ("8,500 万", 85_000_000.0), ("4,500億", 4.5e11), ("1/3", 1 / 3), ("半分", 0.5), ("32,000", 32000.0),
    ("160", 160.0),
])
def test_parse_number(text, expected):
    assert deck.parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text", ["約61億円", "five", "1,2.3.4", "", "3兆円"])
def test_parse_number_rejects_text_that_is_not_a_bare_number(text):
    with pytest.raises(ValueError, match="cannot parse"):
        deck.parse_number(text)


def test_values_parsed_from_the_quotes():
    # deck: 「5,400万シンガポールドル（約61億円）」, 「最大1億USドル（約153億円）」, 「10年間で総額100億円」, 「計8億円」
    assert deck.by_id("fujitsu_nus").value == 54_000_000 and deck.by_id("fujitsu_nus").unit == "SGD"
    assert deck.by_id("fujitsu_nus_jpy").value == 6.1e9
    assert deck.by_id("utokyo_chicago").value == 1e8 and deck.by_id("utokyo_chicago").qualifier == "max"
    assert deck.by_id("osaka_chugai").value == 1e10
    assert deck.by_id("ntu_taiwan").value == 8e8 and deck.by_id("ntu_taiwan").year == 2022
    # 「2019年（コロナ前）約500件 ⇒2023年 約850件」「2019年 約400件 ⇒2023年 約900件」
    assert [deck.by_id(f"kyushu_{k}").value for k in
            ("legal_2019", "legal_2023", "security_2019", "security_2023")] == [500, 850, 400, 900]
    # 「€90.1M（約144億円）」「€200M（約320億円）」「民間資金の割合が25-55％」「1/3ずつ」
    assert deck.by_id("quantonation_fund1").value == pytest.approx(90.1e6)
    band = deck.by_id("fraunhofer_private_band")
    assert (band.value, band.value_high) == (25, 55)
    assert deck.by_id("fraunhofer_one_third").value == pytest.approx(1 / 3)
    assert deck.by_id("skydeck_fund_assets").value == 85e6
    assert math.isnan(deck.by_id("skydeck_fund_assets").value_high)


# --- cross-checks against the collected sources ------------------------------------------------------------

def test_quantonation_fund_sizes_against_sources(checks):
    # deck_misc_sources.csv: quantonation_fund_I_size 2018 = 91 EUR m; Fund II final close 220 vs alt 200 EUR m
    r1 = _row(checks, "quantonation_fund1")
    assert r1["source_value"] == 91e6 and r1["status"] == deck.AGREE
    assert r1["rel_diff"] == pytest.approx(90.1 / 91 - 1)
    r220 = _row(checks, "quantonation_fund2", source_indicators="quantonation_fund_II_final_close")
    r200 = _row(checks, "quantonation_fund2", source_indicators="quantonation_fund_II_final_close_alt")
    assert (r220["source_value"], r220["status"]) == (220e6, deck.DIFFER)
    assert r220["rel_diff"] == pytest.approx(200 / 220 - 1)
    assert (r200["source_value"], r200["status"]) == (200e6, deck.AGREE)


def test_fraunhofer_checks_computed_from_sources(checks):
    # Fraunhofer 2023: ~32,000 staff, 76 institutes, industry revenue €836m, contract research €3.0bn
    assert _row(checks, "fraunhofer_staff")["source_value"] == 32000
    assert _row(checks, "fraunhofer_staff")["status"] == deck.AGREE
    assert _row(checks, "fraunhofer_institutes")["source_value"] == 76
    band = _row(checks, "fraunhofer_private_band")
    assert band["source_value"] == pytest.approx(836 / 3000 * 100)
    assert band["status"] == deck.AGREE  # 27.9 % lies in 25-55 %
    third = _row(checks, "fraunhofer_one_third")
    assert third["source_value"] == pytest.approx(836 / 3000)
    assert third["status"] == deck.DIFFER and third["rel_diff"] == pytest.approx((1 / 3) / (836 / 3000) - 1)
    assert _row(checks, "fraunhofer_budget_jpy")["status"] == deck.NOT_AVAILABLE


def test_skydeck_assets_against_sum_of_fund_sizes(japan_tidy, checks):
    # SkyDeck Fund I $24m (2018) + Fund II $60m (2022) = $84m vs the deck's 約8,500万ドル
    r = _row(checks, "skydeck_fund_assets")
    assert r["source_value"] == 84e6 and r["status"] == deck.AGREE
    strict = deck.crosscheck(japan_tidy, rel_tol=0.01)
    assert _row(strict, "skydeck_fund_assets")["status"] == deck.DIFFER  # 85/84 - 1 = 1.2 %


def test_kyushu_and_partnerships_have_no_source(checks):
    for sid in ("kyushu_legal_2019", "kyushu_security_2023", "toyota_mit_stanford", "osaka_chugai"):
        r = _row(checks, sid)
        assert r["status"] == deck.NOT_AVAILABLE and math.isnan(r["source_value"]) and r["note"]


def test_crosscheck_follows_the_data(japan_tidy):
    changed = japan_tidy.copy()
    changed.loc[changed["indicator"] == "fraunhofer_employees", "value"] = 40000.0
    r = _row(deck.crosscheck(changed), "fraunhofer_staff")
    assert r["source_value"] == 40000 and r["status"] == deck.DIFFER
    dropped = japan_tidy[japan_tidy["indicator"] != "fraunhofer_industry_revenue"]
    r = _row(deck.crosscheck(dropped), "fraunhofer_private_band")
    assert r["status"] == deck.NOT_AVAILABLE and "fraunhofer_industry_revenue (2023) not in the data" in r["note"]
    wrong_unit = japan_tidy.copy()
    wrong_unit.loc[wrong_unit["indicator"] == "fraunhofer_employees", "unit"] = "count"
    r = _row(deck.crosscheck(wrong_unit), "fraunhofer_staff")
    assert r["status"] == deck.NOT_AVAILABLE and "unit" in r["note"]


def test_crosscheck_statuses_and_topics(japan_tidy, checks):
    assert set(checks["status"]) <= set(deck.STATUSES)
    assert set(checks["id"]) == {s.id for s in deck.STATEMENTS}
    only = deck.crosscheck(japan_tidy, topics=["fraunhofer"])
    assert set(only["topic"]) == {"fraunhofer"}


# --- the deck against itself --------------------------------------------------------------------------------

def test_internal_consistency():
    c = deck.consistency().set_index("id")
    # 100万 + 370万 = 470万 USD; IBM 5000万 + Google 5000万 = 1億 USD
    assert c.loc["samsung_parts", "computed"] == 4.7e6 and c.loc["samsung_parts", "status"] == deck.AGREE
    assert c.loc["utokyo_parts", "computed"] == 1e8
    # €90.1M x 160 = 144.16億円 vs 約144億円; €50M x 160 = 80億円
    assert c.loc["quantonation_fund1_yen", "computed"] == pytest.approx(144.16e8)
    assert c.loc["quantonation_fund1_yen", "rel_diff"] == pytest.approx(144 / 144.16 - 1)
    assert c.loc["quantonation_public_yen", "stated"] == 80e8
    assert (c["status"] == deck.AGREE).all()
    strict = deck.consistency(rel_tol=0.0).set_index("id")
    assert strict.loc["quantonation_fund1_yen", "status"] == deck.DIFFER


def test_implied_exchange_rates():
    r = deck.implied_rates().set_index("id")
    assert r.loc["toyota_mit_stanford", "implied_jpy_per_unit"] == pytest.approx(76e8 / 50e6)  # 152
    assert r.loc["fujitsu_nus", "implied_jpy_per_unit"] == pytest.approx(61e8 / 54e6)
    assert r.loc["fujitsu_nus", "currency"] == "SGD"


# --- parameters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [-0.1, 1.0, True, "5%"])
def test_rel_tol_is_validated(bad):
    with pytest.raises(ParameterError, match="rel_tol"):
        deck.check_rel_tol(bad)


def test_topics_and_ids_are_validated():
    with pytest.raises(ParameterError, match="unknown topic.*partnership"):
        deck.check_topics(["partnerships"])
    with pytest.raises(ParameterError, match="topics"):
        deck.check_topics("fraunhofer")
    with pytest.raises(ParameterError, match="unknown deck statement"):
        deck.by_id("nope")


# --- figure 9 -------------------------------------------------------------------------------------------

def test_fig9_validate_params():
    fig9.validate_params({"lang": "ja", "rel_tol": 0.05, "output_dir": ""})
    with pytest.raises(ParameterError, match="lang"):
        fig9.validate_params({"lang": "fr"})
    with pytest.raises(ParameterError, match="rel_tol"):
        fig9.validate_params({"rel_tol": 2})
    with pytest.raises(ParameterError, match="unknown parameter"):
        fig9.validate_params({"colour": "red"})


def test_fig9_partnership_table_uses_the_deck_figures():
    t = fig9.partnership_table("ja").set_index("id")
    assert t.loc["toyota_mit_stanford", "amount"] == 5e7 and t.loc["toyota_mit_stanford", "jpy"] == 76e8
    assert t.loc["osaka_chugai", "currency"] == "JPY" and t.loc["osaka_chugai", "jpy"] == 1e10
    assert t.loc["ntu_taiwan", "jpy"] == 8e8
    assert set(t["source"]) == {"METI deck"}


def test_fig9_figure_and_outputs_are_deterministic(japan_tidy, tmp_path):
    fig, data = fig9.figure(japan_tidy, lang="en")
    assert {"panel", "id", "value", "source"} <= set(data.columns)
    assert set(data["panel"]) == {"partnerships", "kyushu", "quantonation", "fraunhofer", "skydeck"}
    k = data[(data["panel"] == "kyushu")].set_index("id")["value"]
    assert k["kyushu_security_2023"] == 900
    out1 = fig9.write(fig, data, tmp_path / "a")
    fig2, data2 = fig9.figure(japan_tidy, lang="en")
    out2 = fig9.write(fig2, data2, tmp_path / "b")
    for ext in ("png", "svg", "csv"):
        assert out1[ext].read_bytes() == out2[ext].read_bytes(), ext
