"""The field checks shared by the project's TOML data files (deck statements, figure 6 series): one helper,
the same errors (file, field, entry number) from both loaders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import datafiles, deck
from analysis.errors import DataFileError
from analysis.figures import tech_transfer_series as series

SPEC = {"name": (str, True), "year": (int, False), "years": ((int, list), False)}


@pytest.mark.parametrize("entry, column, message", [
    ({}, "name", "entry #3 lacks required field 'name'"),
    ({"name": "a", "nmae": "b"}, "nmae", "entry #3: unknown field 'nmae'"),
    ({"name": 1}, "name", "entry #3: name = 1 is not text"),
    ({"name": "a", "year": True}, "year", "entry #3: year = True is not an integer"),  # a bool is not a year
    ({"name": "a", "year": "2020"}, "year", "entry #3: year = '2020' is not an integer"),
    ({"name": "a", "years": 2.5}, "years", "entry #3: years = 2.5 is not an integer or a list"),
])
def test_check_fields_names_the_field_and_the_entry(entry, column, message):
    with pytest.raises(DataFileError) as err:
        datafiles.check_fields(Path("x.toml"), entry, SPEC, 3, "entry #3")
    assert err.value.column == column and err.value.row == 3 and message in str(err.value)


def test_check_fields_accepts_a_valid_entry_and_empty_text_only_when_allowed():
    datafiles.check_fields(Path("x.toml"), {"name": "", "year": 2020, "years": [2020]}, SPEC, 1, "entry")
    with pytest.raises(DataFileError, match=r"name = '' is not text \(non-empty\)"):
        datafiles.check_fields(Path("x.toml"), {"name": ""}, SPEC, 1, "entry", nonempty_text=True)
    with pytest.raises(DataFileError, match="is not a table") as err:
        datafiles.check_fields(Path("x.toml"), ["a"], SPEC, 2, "entry", prefix="check.")
    assert err.value.column == "check"


def test_check_choice_and_read_toml(tmp_path):
    with pytest.raises(DataFileError, match="x: unknown flag 'Q'") as err:
        datafiles.check_choice(Path("x.toml"), "Q", ("D",), "x", "metrics.startups.flag", 4)
    assert err.value.column == "metrics.startups.flag" and "expected one of D" in str(err.value)
    with pytest.raises(DataFileError, match="series file not found"):
        datafiles.read_toml(tmp_path / "absent.toml", "series file")
    bad = tmp_path / "bad.toml"
    bad.write_text("a = [", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid TOML"):
        datafiles.read_toml(bad, "series file")


def test_both_loaders_report_a_boolean_the_same_way(tmp_path):
    """A boolean where text is expected, in either file, is the shared helper's error."""
    text = (Path(deck.__file__).parent / deck.STATEMENTS_FILE).read_text(encoding="utf-8")
    broken = tmp_path / "statements.toml"
    broken.write_text(re.sub(r'(?m)^unit = ".*"$', "unit = true", text, count=1), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"statement #\d+: unit = True is not text") as err:
        deck.load_statements(broken)
    assert err.value.column == "unit"
    text = (Path(series.__file__).parent / "tech_transfer_series.toml").read_text(encoding="utf-8")
    broken = tmp_path / "series.toml"
    broken.write_text(re.sub(r'(?m)^color = ".*"$', "color = true", text, count=1), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"series #1: color = True is not text \(non-empty\)") as err:
        series.load_series(broken)
    assert err.value.column == "color"
