"""EHS (2013) RDSpillovers loader: coverage and sanity regressions from SOURCE.md, malformed input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataFileError
from analysis.models.inference import cluster_ols
from analysis.schema import validate_tidy
from analysis.sources import ehs
from analysis import vintages

RAW_FILE = vintages.folder(Path(ehs.__file__).resolve().parents[3] / "data" / "raw", ehs.SOURCE) / ehs.FILE


@pytest.fixture(scope="module")
def tidy_df(raw_dir):
    return validate_tidy(ehs.load(raw_dir), ehs.SOURCE)


@pytest.fixture(scope="module")
def panel(tidy_df):
    return ehs.panels(tidy_df)[ehs.PANEL_NAME]


def test_coverage_matches_source_md(tidy_df, panel):
    # SOURCE.md: "2,637 rows ... 119 country-industry ids; 10 countries x 12 sectors (PRT has 11); 1980-2005"
    assert len(panel) == 2637
    assert len(tidy_df) == 2637 * 4
    assert panel["id"].nunique() == 119 and panel["entity"].nunique() == 119
    assert panel["country"].nunique() == 10
    assert panel.groupby("country")["sector"].nunique().to_dict() == {c: 11 if c == "PRT" else 12 for c in ehs.COUNTRIES}
    assert (panel["year"].min(), panel["year"].max()) == (1980, 2005)
    years_per_id = panel.groupby("id").size()
    assert (years_per_id.min(), years_per_id.max(), years_per_id.median()) == (11, 26, 26)
    assert set(tidy_df["entity_type"]) == {"country_sector"} and set(tidy_df["year_type"]) == {"calendar"}


def test_late_entrants(panel):
    # SOURCE.md: "GER 1991-2005 (180); SWE 1993-2005 (156); PRT 1995-2005 (121); GBR 1980-2005 (308)"
    rows = panel.groupby("country").size()
    span = panel.groupby("country")["year"].agg(["min", "max"])
    assert rows["GER"] == 180 and tuple(span.loc["GER"]) == (1991, 2005)
    assert rows["SWE"] == 156 and tuple(span.loc["SWE"]) == (1993, 2005)
    assert rows["PRT"] == 121 and tuple(span.loc["PRT"]) == (1995, 2005)
    assert rows["GBR"] == 308
    for c in ("DNK", "FIN", "ITA", "JPN", "NLD", "USA"):
        assert rows[c] == 312


def test_first_row_is_raw_row(panel, tidy_df):
    # first data line: 91,1980,DNK,da,8.033615112304688,5.016690254211426,8.66071605682373,5.115226745605469
    r = panel[(panel["entity"] == "DNK:da") & (panel["year"] == 1980)].iloc[0]
    assert r["id"] == 91
    assert (r["lny"], r["lnl"], r["lnk"], r["lnrd"]) == (
        8.033615112304688, 5.016690254211426, 8.66071605682373, 5.115226745605469)
    assert r["country_ja"] == "デンマーク" and r["sector_isic"] == "15-16"
    t = tidy_df[(tidy_df["entity"] == "DNK:da") & (tidy_df["year"] == 1980) & (tidy_df["indicator"] == "lnrd")]
    assert t["value"].tolist() == [5.115226745605469] and t["note"].tolist() == ["pder id 91"]


def test_panel_round_trips_raw_file(panel):
    raw = pd.read_csv(RAW_FILE).sort_values(["country", "sector", "year"], kind="mergesort").reset_index(drop=True)
    for col in ["id", "year", "lny", "lnl", "lnk", "lnrd"]:
        assert (panel[col].to_numpy() == raw[col].to_numpy()).all(), col
    assert (panel["country"].to_numpy() == raw["country"].to_numpy()).all()


def test_sanity_regression_year_fe(panel):
    # SOURCE.md: "lny ~ lnl + lnk + lnrd + year FE: lnrd 0.096 (se 0.014)" (SE clustered by id)
    row = cluster_ols("lny ~ lnl + lnk + lnrd + C(year)", panel, "id").row("lnrd")
    assert row["estimate"] == pytest.approx(0.096, abs=0.0005)
    assert row["std_error"] == pytest.approx(0.014, abs=0.0005)
    assert row["n_clusters"] == 119 and row["n_obs"] == 2637


def test_sanity_regression_two_way_fe(panel):
    # SOURCE.md: "+ id FE (two-way FE): lnrd 0.063 (se 0.048); lnl 0.608, lnk 0.487"
    fit = cluster_ols("lny ~ lnl + lnk + lnrd + C(year) + C(id)", panel, "id")
    assert fit.row("lnrd")["estimate"] == pytest.approx(0.063, abs=0.0005)
    assert fit.row("lnrd")["std_error"] == pytest.approx(0.048, abs=0.0005)
    assert fit.row("lnl")["estimate"] == pytest.approx(0.608, abs=0.0005)
    assert fit.row("lnk")["estimate"] == pytest.approx(0.487, abs=0.0005)


def test_build_registry_knows_the_source():
    from analysis import build
    assert build.SOURCE_MODULES[ehs.SOURCE] == "analysis.sources.ehs"


def _broken(tmp_path: Path, edit) -> Path:
    df = pd.read_csv(RAW_FILE, dtype="string", keep_default_na=False)
    df = edit(df)
    folder = tmp_path / ehs.SOURCE
    folder.mkdir()
    df.to_csv(folder / ehs.FILE, index=False)
    return tmp_path


@pytest.mark.parametrize("edit,pattern", [
    (lambda d: d.drop(columns="lnrd"), r"RDSpillovers.csv, column 'lnrd': required column missing"),
    (lambda d: d.assign(country=d["country"].where(d.index != 4, "DEU")),
     r"column 'country', row 6: unknown country code 'DEU'"),
    (lambda d: d.assign(sector=d["sector"].where(d.index != 0, "dz")), r"column 'sector', row 2: unknown sector"),
    (lambda d: d.assign(lnk=d["lnk"].where(d.index != 9, "")), r"column 'lnk', row 11: missing value"),
    (lambda d: d.assign(lny=d["lny"].where(d.index != 3, "-inf")), r"column 'lny', row 5: infinite value"),
    (lambda d: d.assign(lnl=d["lnl"].where(d.index != 2, "n/a")), r"column 'lnl', row 4: non-numeric value 'n/a'"),
    (lambda d: d.assign(year=d["year"].where(d.index != 1, "1980.5")), r"column 'year', row 3: not an integer"),
    (lambda d: d.assign(year=d["year"].where(d.index != 1, "1980")), r"row 3: duplicate key \(id=(np\.int64\()?91\)?, year=(np\.int64\()?1980"),
    (lambda d: d.assign(country=d["country"].where(d.index != 25, "FIN")),
     r"id 91 has more than one country or sector"),
    (lambda d: d.iloc[0:0], r"no data rows"),
])
def test_malformed_input_names_the_place(tmp_path, edit, pattern):
    raw = _broken(tmp_path, edit)
    with pytest.raises(DataFileError, match=pattern):
        ehs.load(raw)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        ehs.load(tmp_path)
