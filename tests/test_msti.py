"""OECD MSTI loader: real values from the extract, four-part series keys, UNIT_MULT, flags, errors."""

from __future__ import annotations

import gzip

import pytest

from analysis.errors import DataFileError, ParameterError
from analysis.schema import validate_tidy
from analysis.sources import msti


def _value(t, key, area, year):
    row = t[(t.indicator == key) & (t.entity == area) & (t.year == year)]
    assert len(row) == 1, (key, area, year, len(row))
    return row.iloc[0]


def test_shape_and_schema(msti_tidy):
    validate_tidy(msti_tidy, "oecd_msti")
    # 203,738 rows in the extract, of which 1,207 have an empty OBS_VALUE (gaps, dropped).
    assert len(msti_tidy) == 203_738 - 1_207
    assert msti_tidy.entity.nunique() == 49


def test_business_researchers_japan_2021(msti_tidy):
    row = _value(msti_tidy, "B_RS.FTE._Z._Z", "JPN", 2021)
    assert row.value == 529_053.0  # OECD MSTI, JPN business researchers FTE, 2021
    assert "D" in row["flags"]  # Japan: definition differs, throughout


def test_index_2011_matches_published_check(msti_tidy):
    s = msti.select(msti_tidy, "B_RS", "FTE", countries=["JPN", "USA", "DEU", "FRA", "CHN", "KOR"])
    w = s.pivot(index="year", columns="entity", values="value")
    idx = (w.loc[2021] / w.loc[2011] * 100).round(1).to_dict()
    assert idx == {"CHN": 170.0, "DEU": 145.3, "FRA": 138.7, "JPN": 107.8, "KOR": 174.7, "USA": 156.3}


def test_herd_financed_by_business_2021(msti_tidy):
    s = msti.select(msti_tidy, "H_FB", "PT_HERD", years=(2021, 2021)).set_index("entity")["value"].round(1)
    assert s["JPN"] == 3.2 and s["KOR"] == 14.1 and s["CHN"] == 32.6 and s["USA"] == 5.1 and s["TWN"] == 12.3


def test_unit_mult_applied_and_price_base_distinguishes_series(msti_tidy):
    q = _value(msti_tidy, "B.USD_PPP.Q._Z", "JPN", 2020).value
    v = _value(msti_tidy, "B.USD_PPP.V._Z", "JPN", 2020).value
    assert q > 1e11  # millions multiplied out: Japan's BERD is > 100 bn USD PPP
    assert q == pytest.approx(v, rel=1e-9)  # base year 2020: constant equals current
    q19 = _value(msti_tidy, "B.USD_PPP.Q._Z", "JPN", 2019).value
    v19 = _value(msti_tidy, "B.USD_PPP.V._Z", "JPN", 2019).value
    assert q19 != pytest.approx(v19, rel=1e-4)
    assert "constant prices (base 2020)" in _value(msti_tidy, "B.USD_PPP.Q._Z", "JPN", 2019).unit


def test_flags_carried(msti_tidy):
    assert "B" in _value(msti_tidy, "B_RS.FTE._Z._Z", "CHN", 2009)["flags"]
    assert "B" in _value(msti_tidy, "H_FB.PT_HERD._Z._Z", "GBR", 2018)["flags"]
    assert _value(msti_tidy, "B_RS.FTE._Z._Z", "FRA", 2015)["flags"] == ""


def test_select_rejects_unknown_country(msti_tidy):
    with pytest.raises(ParameterError, match="XXX.*valid choices"):
        msti.select(msti_tidy, "B_RS", "FTE", countries=["JPN", "XXX"])


# ---- malformed input -------------------------------------------------------------------------------------------
HEADER = ("STRUCTURE,STRUCTURE_ID,STRUCTURE_NAME,ACTION,REF_AREA,Zone,FREQ,F,MEASURE,Mesure,UNIT_MEASURE,U,"
          "PRICE_BASE,P,TRANSFORMATION,T,TIME_PERIOD,TP,OBS_VALUE,OV,OBS_STATUS,OS,OBS_STATUS_2,OS2,OBS_STATUS_3,"
          "OS3,UNIT_MULT,UM,BASE_PER,BP")


def _row(area="JPN", measure="B_RS", unit="FTE", year="2020", value="1.5", status="", mult="0"):
    return (f"DATAFLOW,OECD.STI.STP:DSD_MSTI@DF_MSTI(1.3),x,I,{area},a,A,y,{measure},m,{unit},u,_Z,p,_Z,t,"
            f"{year},,{value},,{status},,,,,,{mult},,,")


def _load_text(tmp_path, text, name="msti.csv"):
    folder = tmp_path / "oecd_msti"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return msti.load(tmp_path)


def test_minimal_valid_file(tmp_path):
    t = _load_text(tmp_path, HEADER + "\n" + _row(value="2.5", mult="3", status="E") + "\n")
    assert t.value.tolist() == [2500.0] and t["flags"].tolist() == ["E"]


def test_english_code_label_style_header(tmp_path):
    cols = HEADER.split(",")
    cols = [f"{c}: Label" if c in ("REF_AREA", "MEASURE") else c for c in cols]
    row = _row().replace(",JPN,", ",JPN: Japan,")
    t = _load_text(tmp_path, ",".join(cols) + "\n" + row + "\n")
    assert t.entity.tolist() == ["JPN"]


@pytest.mark.parametrize("text,match", [
    (HEADER.replace("OBS_VALUE,", "VALUE,") + "\n" + _row() + "\n", r"column 'OBS_VALUE'.*required column missing"),
    (HEADER + "\n" + _row(value="n/a") + "\n", r"column 'OBS_VALUE', row 2: non-numeric value 'n/a'"),
    (HEADER + "\n" + _row() + "\n" + _row() + "\n", r"row 3: duplicate key"),
    (HEADER + "\n" + _row(area="XYZ") + "\n", r"column 'REF_AREA', row 2: unknown code 'XYZ'"),
    (HEADER + "\n" + _row(unit="FOO") + "\n", r"column 'UNIT_MEASURE', row 2: unknown code 'FOO'"),
    (HEADER + "\n" + _row(status="Z") + "\n", r"column 'OBS_STATUS', row 2: unknown observation status 'Z'"),
    (HEADER + "\n" + _row(mult="x") + "\n", r"column 'UNIT_MULT', row 2: non-numeric"),
    (HEADER + "\n", r"no data rows"),
    ("", r"file is empty"),
    (HEADER.replace(",", ";") + "\n" + _row().replace(",", ";") + "\n", r"wrong delimiter"),
])
def test_malformed_input_is_a_clear_error(tmp_path, text, match):
    with pytest.raises(DataFileError, match=match) as exc:
        _load_text(tmp_path, text)
    assert "msti.csv" in str(exc.value)


def test_truncated_gzip(tmp_path):
    folder = tmp_path / "oecd_msti"
    folder.mkdir()
    data = gzip.compress((HEADER + "\n" + _row() * 1 + "\n").encode() * 1)
    (folder / "msti.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match="msti.csv.gz"):
        msti.load(tmp_path)


def test_wrong_encoding(tmp_path):
    folder = tmp_path / "oecd_msti"
    folder.mkdir()
    (folder / "msti.csv").write_bytes((HEADER + ",Zoné\n" + _row() + ",é\n").encode("latin-1"))
    with pytest.raises(DataFileError, match="not UTF-8"):
        msti.load(tmp_path)
