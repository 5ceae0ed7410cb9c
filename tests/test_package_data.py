"""Package data files read by validating loaders: the deck's statements and the series of figure 6.

The loaders are run on the real files (counts, known entries with their values as the files state them), on
malformed copies in tmp_path (each error names the file, the field and the entry number) and under a declared
spec that does not list the file (analysis.inputs refuses the read).
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

import pytest

from analysis import deck, inputs
from analysis.errors import DataFileError
from analysis.figures import tech_transfer_us_jp as f6

ROOT = Path(__file__).resolve().parents[1]
DECK_TOML = inputs.PACKAGE_DIR / deck.STATEMENTS_FILE
SERIES_TOML = inputs.PACKAGE_DIR / f6.SERIES_FILE


def _edit(src: Path, dst: Path, old: str, new: str, count: int = 1) -> Path:
    """A copy of ``src`` with the first ``count`` occurrences of ``old`` replaced (asserting they exist)."""
    text = src.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {src.name}"
    dst.write_text(text.replace(old, new, count), encoding="utf-8")
    return dst


def _raises(loader, path: Path, column: str | None, row: int | None, match: str) -> DataFileError:
    with pytest.raises(DataFileError, match=match) as info:
        loader(path)
    err = info.value
    assert (err.path, err.column, err.row) == (str(path), column, row)
    assert str(path) in str(err)
    if column is not None:
        assert f"column {column!r}" in str(err)
    if row is not None:
        assert f"row {row}" in str(err)
    return err


# ================================================================ deck statements: the real file

def test_statements_file_loads_the_registry():
    st = deck.load_statements()
    assert len(st) == 41
    assert st == deck.STATEMENTS == deck.all_statements()
    assert [s.id for s in st][:3] == ["fujitsu_nus", "fujitsu_nus_jpy", "samsung_texas"]
    assert st[-1].id == "engine_fund"
    topics = [s.topic for s in st]
    assert {t: topics.count(t) for t in deck.TOPICS} == {"partnership": 19, "kyushu": 4, "quantonation": 8,
                                                         "fraunhofer": 6, "skydeck": 3, "us_vc": 1}


def test_statements_keep_the_deck_quotes_verbatim(raw_dir):
    text = deck.deck_text(raw_dir)
    # line breaks and full-width characters as in data/raw/deck/deck.txt
    s = deck.by_id("fujitsu_nus_jpy")
    assert s.quote == "5,400万シンガポールドル\n（約61億円）" and s.number == "61億" and s.qualifier == "approx"
    assert s.equivalent_of == "fujitsu_nus" and s.value == 6.1e9
    aum = deck.by_id("quantonation_aum")
    assert aum.quote == "運用資産額：€170M（約272億円）" and "\uff1a" in aum.quote and "\uff08" in aum.quote
    assert (aum.number, aum.unit, aum.value) == ("170M", "EUR", 170e6)
    assert deck.by_id("skydeck_fund_assets").quote == "2024 年までに約8,500 万\nドルの資産を管理"
    for s in deck.all_statements():
        assert text.count(s.quote) == 1, s.id


def test_statements_checks_and_shared_notes_are_read():
    sky = deck.by_id("skydeck_fund_assets")
    assert [(c.numerator, c.year) for c in sky.checks] == [(("skydeck_fund_I_size", "skydeck_fund_II_size"),
                                                            (2018, 2022))]
    q2 = deck.by_id("quantonation_fund2")
    assert [c.numerator for c in q2.checks] == [("quantonation_fund_II_final_close",),
                                                ("quantonation_fund_II_final_close_alt",)]
    assert all(c.year is None for c in q2.checks)  # the undated rows of deck_misc_sources.csv
    band = deck.by_id("fraunhofer_private_band")
    assert (band.number, band.number_high, band.unit) == ("25", "55", "%")
    assert band.checks[0].denominator == ("fraunhofer_contract_research",) and band.checks[0].year == 2023
    # check_note = "partnership_not_collected" resolves to the text in [check_notes]
    doc = tomllib.loads(DECK_TOML.read_text(encoding="utf-8"))
    assert deck.by_id("toyota_mit_stanford").check_note_en == doc["check_notes"]["partnership_not_collected"]["en"]
    assert deck.by_id("kyushu_legal_2023").check_note_ja.startswith("独立した出典なし（九州大学")
    assert deck.by_id("engine_fund").check_note_en == "no independent source collected"


# ================================================================ deck statements: malformed copies

@pytest.mark.parametrize("old, new, column, row, match", [
    # missing required field: the first statement (fujitsu_nus) loses its unit
    ('unit = "SGD"\n', "", "unit", 1, "lacks required field 'unit'"),
    # duplicate id: statement 2 (fujitsu_nus_jpy) takes the id of statement 1
    ('id = "fujitsu_nus_jpy"', 'id = "fujitsu_nus"', "id", 2, "duplicate statement id 'fujitsu_nus'"),
    # wrong type: samsung_texas (statement 3) gives its year as text
    ("year = 2023", 'year = "2023"', "year", 3, "is not an integer"),
    ('number = "5,400万"', "number = 54000000", "number", 1, "is not text"),
    # unknown values of enumerated fields; kyushu_legal_2019 is statement 20
    ('topic = "kyushu"', 'topic = "kyusyu"', "topic", 20, "unknown topic 'kyusyu'"),
    ('qualifier = "approx"', 'qualifier = "about"', "qualifier", 2, "unknown qualifier 'about'"),
    ('unit = "SGD"', 'unit = "S$"', "unit", 1, "unknown unit 'S\\$'"),
    ('check_note = "partnership_not_collected"', 'check_note = "partner"', "check_note", 1,
     "unknown check_note 'partner'"),
    ("period = ", "perod = ", "perod", 1, "unknown field 'perod'"),
])
def test_malformed_statement_is_located(tmp_path, old, new, column, row, match):
    _raises(deck.load_statements, _edit(DECK_TOML, tmp_path / "s.toml", old, new), column, row, match)


def test_statement_numbers_and_references_are_checked(tmp_path):
    p = _edit(DECK_TOML, tmp_path / "a.toml", 'number = "61億"', 'number = "62億"')
    _raises(deck.load_statements, p, "number", 2, "number '62億' is not part of the quote")
    p = _edit(DECK_TOML, tmp_path / "b.toml", 'number = "5,400万"', 'number = "五千四百万"')
    _raises(deck.load_statements, p, "number", 1, "cannot parse a number")
    p = _edit(DECK_TOML, tmp_path / "c.toml", 'equivalent_of = "fujitsu_nus"', 'equivalent_of = "fujitsu"')
    _raises(deck.load_statements, p, "equivalent_of", 2, "equivalent_of 'fujitsu' names no statement")
    # statement 27 (quantonation_fund1) has one check; its year must be an integer or one per numerator
    assert [s.id for s in deck.all_statements()].index("quantonation_fund1") == 26
    p = _edit(DECK_TOML, tmp_path / "d.toml", 'numerator = ["quantonation_fund_I_size"]\nyear = 2018',
              'numerator = ["quantonation_fund_I_size"]\nyear = [2018, 2019]')
    _raises(deck.load_statements, p, "check.year", 27, "one integer year per numerator")
    p = _edit(DECK_TOML, tmp_path / "e.toml", 'numerator = ["quantonation_fund_I_size"]', "numerator = []")
    _raises(deck.load_statements, p, "check.numerator", 27, "numerator is empty")


def test_statement_without_check_must_say_why(tmp_path):
    p = _edit(DECK_TOML, tmp_path / "s.toml", 'check_note = "partnership_not_collected"\n', "")
    _raises(deck.load_statements, p, "check_note", 1, "say why")


def test_unreadable_statements_file(tmp_path):
    _raises(deck.load_statements, tmp_path / "none.toml", None, None, "statements file not found")
    p = _edit(DECK_TOML, tmp_path / "bad.toml", "\n[[statement]]\n", "\n[[statement]\n")
    _raises(deck.load_statements, p, None, None, "not valid TOML")


# ================================================================ figure 6 series: the real file

def test_series_file_loads_the_four_series():
    s = f6.load_series()
    assert list(s) == ["US_AUTM", "US_AUTM_UNIV", "JP_UNITT", "JP_MEXT"] == f6.DEFAULT_SERIES
    assert s == f6.SERIES == f6.all_series()
    assert f6.SERIES_COLORS == {"US_AUTM": "#1f77b4", "US_AUTM_UNIV": "#9ecae1", "JP_UNITT": "#d62728",
                                "JP_MEXT": "#f4a6a6"}
    assert [(v.country, v.data) for v in s.values()] == [("USA", "japan"), ("USA", "ncses_autm"),
                                                         ("JPN", "japan"), ("JPN", "japan")]
    assert s["US_AUTM_UNIV"].denominator == "us_herd_total" and "licence_income" not in s["US_AUTM_UNIV"].metrics
    assert list(s["JP_MEXT"].metrics) == ["licence_income", "startups", "research_expenditure"]


def test_series_indicators_in_order_of_preference_with_flags():
    s = f6.load_series()
    lic = s["JP_UNITT"].metrics["licences"]
    assert [i for i, *_ in lic] == ["unitt_jp_new_licenses_options", "unitt_jp_new_licenses"]
    assert lic[0] == ("unitt_jp_new_licenses_options", "", "", "")
    assert lic[1][1] == "D" and lic[1][2].startswith("FY2019 新規ライセンス契約件数: licences only")
    assert s["JP_UNITT"].metrics["licence_income"] == (("unitt_jp_license_income_total", "", "", ""),
                                                       ("unitt_jp_license_income_received", "", "", ""))
    ip = s["JP_MEXT"].metrics["licence_income"]
    assert ip[0][:2] == ("ip_income_total", "D") and ip[0][3].startswith("知的財産権等収入は")


# ================================================================ figure 6 series: malformed copies

@pytest.mark.parametrize("old, new, column, row, match", [
    ('color = "#1f77b4"\n', "", "color", 1, "lacks required field 'color'"),
    ('key = "JP_MEXT"', 'key = "JP_UNITT"', "key", 4, "duplicate series key 'JP_UNITT'"),
    ('label_en = "US: AUTM universities (NCSES)"', "label_en = 2", "label_en", 2, "is not text"),
    ('country = "JPN"', 'country = "JP"', "country", 3, "unknown country 'JP'"),
    ('data = "ncses_autm"', 'data = "ncses"', "data", 2, "unknown data 'ncses'"),
    ('color = "#d62728"', 'color = "red"', "color", 3, "is not #rrggbb"),
    ("startups = [\"autm_us_startups_formed\"]", "start_ups = [\"autm_us_startups_formed\"]", "metrics.start_ups",
     1, "unknown metric 'start_ups'"),
    ('flag = "D", reason_en = "FY2019', 'flag = "d", reason_en = "FY2019', "metrics.licences.flag", 3,
     "unknown flag 'd'"),
    ('{ indicator = "ip_income_total", flag = "D", ', '{ indicator = "ip_income_total", ',
     "metrics.licence_income.flag", 4, "lacks required field 'flag'"),
    ('startups = ["university_startups_founded_mext"]', "startups = []", "metrics.startups", 4,
     "at least one indicator"),
    ("denominator_en = ", "denominator_english = ", "denominator_english", 1, "unknown field"),
])
def test_malformed_series_is_located(tmp_path, old, new, column, row, match):
    _raises(f6.load_series, _edit(SERIES_TOML, tmp_path / "s.toml", old, new), column, row, match)


def test_unreadable_series_file(tmp_path):
    _raises(f6.load_series, tmp_path / "none.toml", None, None, "series file not found")
    p = tmp_path / "renamed.toml"  # every [[series]] table renamed [[serie]]
    p.write_text(SERIES_TOML.read_text(encoding="utf-8").replace("[[series]]\n", "[[serie]]\n")
                 .replace("[series.metrics]", "[serie.metrics]"), encoding="utf-8")
    _raises(f6.load_series, p, "series", None, "expected only \\[\\[series\\]\\] tables")


# ================================================================ declared inputs

def _declare(monkeypatch, **spec) -> None:
    monkeypatch.setenv(inputs.ENV_DECLARED, json.dumps({"notebook": "nb_test", **spec}))


def test_undeclared_statements_file_is_refused(monkeypatch):
    _declare(monkeypatch, raw=["deck/deck.txt"], package=["figures/tech_transfer_series.toml"])
    with pytest.raises(inputs.UndeclaredInputError, match="deck_statements.toml"):
        deck.load_statements()
    with pytest.raises(inputs.UndeclaredInputError, match="deck_statements.toml"):
        deck.all_statements()  # also once parsed: the read is asked for on every call
    with pytest.raises(inputs.UndeclaredInputError, match="deck_statements.toml"):
        deck.by_id("fujitsu_nus")


def test_undeclared_deck_text_is_refused(monkeypatch, raw_dir):
    _declare(monkeypatch, package=["deck_statements.toml"])
    with pytest.raises(inputs.UndeclaredInputError, match="deck/deck.txt"):
        deck.deck_text(raw_dir)
    assert len(deck.all_statements()) == 41


def test_undeclared_series_file_is_refused(monkeypatch):
    _declare(monkeypatch, package=["deck_statements.toml"], processed=["japan", "ncses_autm"])
    with pytest.raises(inputs.UndeclaredInputError, match="figures/tech_transfer_series.toml"):
        f6.load_series()
    with pytest.raises(inputs.UndeclaredInputError, match="figures/tech_transfer_series.toml"):
        f6.SERIES_COLORS


def test_declared_reads_are_logged(monkeypatch, tmp_path, raw_dir):
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(inputs.ENV_READ_LOG, str(log))
    _declare(monkeypatch, raw=["deck/deck.txt"], package=["deck_statements.toml", "figures/tech_transfer_series.toml"])
    deck.deck_text(raw_dir)
    deck.by_id("engine_fund")
    f6.all_series()
    reads = {(r["kind"], r["name"]) for r in map(json.loads, log.read_text(encoding="utf-8").splitlines())}
    assert {("raw", "deck/deck.txt"), ("package", "deck_statements.toml"),
            ("package", "figures/tech_transfer_series.toml")} <= reads


def test_data_files_are_shipped_as_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["analysis"]
    for rel in (deck.STATEMENTS_FILE, f6.SERIES_FILE):
        assert (inputs.PACKAGE_DIR / rel).is_file()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), rel
