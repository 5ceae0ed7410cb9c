"""Cincera (1997) PatentsRD loader: published coverage figures and malformed input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import cincera
from analysis import vintages

RAW_FILE = vintages.folder(Path(cincera.__file__).resolve().parents[3] / "data" / "raw", "cincera1997") / "PatentsRD.csv"


@pytest.fixture(scope="module")
def tidy_df(raw_dir):
    return validate_tidy(cincera.load(raw_dir), "cincera1997")


@pytest.fixture(scope="module")
def panel(tidy_df):
    return cincera.panels(tidy_df)[cincera.PANEL_NAME]


def test_shape_matches_source_md(tidy_df, panel):
    # SOURCE.md: "181 firms x 9 years = 1,629 firm-years"
    assert len(panel) == 1629
    assert panel["firm"].nunique() == 181
    assert sorted(panel["year"].unique()) == list(range(1983, 1992))
    assert len(tidy_df) == 1629 * 5
    assert set(tidy_df["indicator"]) == {"patent", "rdexp", "spil", "sector", "geo"}
    assert (tidy_df["entity_type"] == "firm").all() and (tidy_df["year_type"] == "calendar").all()


def test_firms_by_region(panel):
    # SOURCE.md: "Firms by region: EU 27, Japan 12, USA 141, rest of world 1"
    counts = panel.groupby("region")["firm"].nunique().to_dict()
    assert counts == {"eu": 27, "japan": 12, "usa": 141, "rotw": 1}
    assert set(panel.loc[panel["region"] == "japan", "region_ja"]) == {"日本"}


def test_firms_by_sector(panel):
    # SOURCE.md: "Firms by sector (1..15): 12 28 20 13 29 9 11 3 13 10 3 8 5 2 15"
    counts = panel.groupby("sector_code")["firm"].nunique()
    assert counts.tolist() == [12, 28, 20, 13, 29, 9, 11, 3, 13, 10, 3, 8, 5, 2, 15]
    assert panel.loc[panel["sector_code"] == 4, "sector"].iloc[0] == "drugs"


def test_published_moments(panel):
    # SOURCE.md: patents mean 60.79, sd 121.56, max 925; 216 zero firm-years; log R&D mean 5.20; spil mean 9.40
    assert panel["patent"].mean() == pytest.approx(60.79, abs=0.005)
    assert panel["patent"].std() == pytest.approx(121.56, abs=0.005)
    assert panel["patent"].max() == 925
    assert int((panel["patent"] == 0).sum()) == 216
    assert panel["rdexp"].mean() == pytest.approx(5.20, abs=0.005)
    assert panel["spil"].mean() == pytest.approx(9.40, abs=0.005)


def test_first_row_is_raw_row(panel):
    # first data line of PatentsRD.csv: 1983,1,4,3,18,5.29022016,8.98463018
    r = panel[(panel["firm"] == 1) & (panel["year"] == 1983)].iloc[0]
    assert (r["patent"], r["sector_code"], r["geo_code"]) == (18, 4, 3)
    assert r["rdexp"] == 5.29022016 and r["spil"] == 8.98463018


def _broken(tmp_path: Path, edit) -> Path:
    df = pd.read_csv(RAW_FILE, dtype="string")
    df = edit(df)
    folder = tmp_path / "cincera1997"
    folder.mkdir()
    df.to_csv(folder / "PatentsRD.csv", index=False)
    return tmp_path


def test_missing_column(tmp_path):
    raw = _broken(tmp_path, lambda d: d.drop(columns="spil"))
    with pytest.raises(DataFileError, match=r"PatentsRD.csv, column 'spil': required column missing"):
        cincera.load(raw)


def test_non_integer_patent(tmp_path):
    def edit(d):
        d.loc[4, "patent"] = "2.5"
        return d
    with pytest.raises(DataFileError, match=r"column 'patent', row 6: not an integer"):
        cincera.load(_broken(tmp_path, edit))


def test_non_numeric_rd(tmp_path):
    def edit(d):
        d.loc[0, "rdexp"] = "n/a"
        return d
    with pytest.raises(DataFileError, match=r"column 'rdexp', row 2: non-numeric value 'n/a'"):
        cincera.load(_broken(tmp_path, edit))


def test_sector_out_of_range(tmp_path):
    def edit(d):
        d.loc[10, "sector"] = "16"
        return d
    with pytest.raises(DataFileError, match=r"column 'sector', row 12: code 16 outside 1-15"):
        cincera.load(_broken(tmp_path, edit))


def test_geo_out_of_range(tmp_path):
    def edit(d):
        d.loc[3, "geo"] = "0"
        return d
    with pytest.raises(DataFileError, match=r"column 'geo', row 5: code 0 outside 1-4"):
        cincera.load(_broken(tmp_path, edit))


def test_negative_patents(tmp_path):
    def edit(d):
        d.loc[7, "patent"] = "-1"
        return d
    with pytest.raises(DataFileError, match=r"column 'patent', row 9: negative patent count"):
        cincera.load(_broken(tmp_path, edit))


def test_duplicate_firm_year(tmp_path):
    raw = _broken(tmp_path, lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True))
    with pytest.raises(DataFileError, match=r"column 'fi\+year', row 1631: duplicate key"):
        cincera.load(raw)


def test_firm_with_two_regions(tmp_path):
    def edit(d):
        first = d.index[(d["fi"] == "1") & (d["year"] == "1990")][0]
        d.loc[first, "geo"] = "1"
        return d
    with pytest.raises(DataFileError, match=r"firm 1 has more than one geo code"):
        cincera.load(_broken(tmp_path, edit))


def test_missing_and_empty_file(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        cincera.load(tmp_path)
    (tmp_path / "cincera1997").mkdir()
    (tmp_path / "cincera1997" / "PatentsRD.csv").write_text("")
    with pytest.raises(DataFileError, match="file is empty"):
        cincera.load(tmp_path)


def test_build_writes_panel(tmp_path, raw_dir):
    from analysis import build
    out = tmp_path / "processed"
    hashes = build.build(raw_dir, out, sources=["cincera1997"])
    assert "cincera1997_panel.parquet" in hashes
    p = pd.read_parquet(out / "cincera1997_panel.parquet")
    assert len(p) == 1629 and p["patent"].mean() == pytest.approx(60.79, abs=0.005)
