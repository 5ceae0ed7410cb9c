"""PWT 10.01, WDI and NCSES SEI loaders: published values from each SOURCE.md, units, layout decoding, errors."""

from __future__ import annotations

import gzip

import pytest

from analysis import build, vintages
from analysis.errors import DataFileError
from analysis.schema import validate_tidy
from analysis.sources import ncses_sei, pwt, wdi


@pytest.fixture(scope="module")
def wdi_tidy(raw_dir):
    return wdi.load(raw_dir)


@pytest.fixture(scope="module")
def sei_tidy(raw_dir):
    return ncses_sei.load(raw_dir)


def _one(t, entity, year, indicator):
    row = t[(t.entity == entity) & (t.year == year) & (t.indicator == indicator)]
    assert len(row) == 1, (entity, year, indicator, len(row))
    return row.iloc[0]


def test_registered_in_build():
    for src, mod in {"pwt": "analysis.sources.pwt", "worldbank_wdi": "analysis.sources.wdi",
                     "ncses_sei": "analysis.sources.ncses_sei"}.items():
        assert build.SOURCE_MODULES[src] == mod


# ---- Penn World Table ------------------------------------------------------------------------------------------
def test_pwt_schema_and_coverage(pwt_tidy):
    validate_tidy(pwt_tidy, "pwt")
    assert pwt_tidy.entity.nunique() == 183  # SOURCE.md: 183 countries
    assert set(pwt_tidy.indicator) == set(pwt.VARIABLES)
    assert int(pwt_tidy.year.max()) == 2019  # PWT ends in 2019
    tfp = pwt_tidy[pwt_tidy.indicator == "rtfpna"].groupby("entity").year.agg(["min", "max"])
    # SOURCE.md: rtfpna runs 1954-2019 for JPN/USA/DEU/FRA/GBR; from 1957 KOR, 1956 CHN, 1955 TWN, 1964 SGP
    for iso, first in {"JPN": 1954, "USA": 1954, "DEU": 1954, "FRA": 1954, "GBR": 1954, "KOR": 1957,
                       "CHN": 1956, "TWN": 1955, "SGP": 1964}.items():
        assert (tfp.loc[iso, "min"], tfp.loc[iso, "max"]) == (first, 2019), iso


def test_pwt_units_applied(pwt_tidy):
    # raw file, JPN 2019: rgdpna 5,099,254 (million 2017 USD), emp 69.976692 (millions), rtfpna 1.00094
    assert _one(pwt_tidy, "JPN", 2019, "rgdpna").value == pytest.approx(5_099_254e6, rel=1e-9)
    assert _one(pwt_tidy, "JPN", 2019, "emp").value == pytest.approx(69_976_692, rel=1e-7)
    assert _one(pwt_tidy, "JPN", 2019, "pop").value == pytest.approx(126_860_301, rel=1e-7)
    assert _one(pwt_tidy, "JPN", 2019, "rtfpna").value == pytest.approx(1.00094, abs=1e-6)
    # rtfpna is normalised to 2017 = 1 for every country
    r17 = pwt_tidy[(pwt_tidy.indicator == "rtfpna") & (pwt_tidy.year == 2017)].value
    assert r17.round(9).eq(1.0).all() and len(r17) > 100


def test_pwt_quality_markers_in_note(pwt_tidy):
    assert _one(pwt_tidy, "JPN", 2019, "rgdpo").note == (
        "i_cig=extrapolated; i_xm=extrapolated; i_xr=market; i_outlier=no")
    assert _one(pwt_tidy, "JPN", 2019, "rtfpna").note == "i_irr=regular"
    assert _one(pwt_tidy, "JPN", 2019, "emp").note == ""


def _pwt_text(raw_dir, n=40):
    with gzip.open(vintages.folder(raw_dir, "pwt") / pwt.FILE, "rt") as fh:
        return [next(fh) for _ in range(n)]


def _write_pwt(tmp_path, lines):
    p = tmp_path / "pwt10.01.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.writelines(lines)
    return p


def test_pwt_malformed(tmp_path, raw_dir):
    lines = _pwt_text(raw_dir)
    header = lines[0].split(",")
    # a non-numeric value is reported with its column and line number
    body = lines[1:]
    cells = body[5].split(",")
    cells[header.index("pop")] = "n/a"
    p = _write_pwt(tmp_path, [lines[0], *body[:5], ",".join(cells), *body[6:]])
    with pytest.raises(DataFileError, match=r"column 'pop', row 7: non-numeric value 'n/a'"):
        pwt.clean(pwt.read_raw(p), p)
    # a missing required column
    cols = [c for c in header if c.strip() != "rtfpna"]
    idx = header.index("rtfpna")
    drop = lambda ln: ",".join(c for i, c in enumerate(ln.rstrip("\n").split(",")) if i != idx) + "\n"  # noqa: E731
    p = _write_pwt(tmp_path, [",".join(cols).rstrip("\n") + "\n", *[drop(x) for x in body]])
    with pytest.raises(DataFileError, match="column 'rtfpna'.*required column missing"):
        pwt.read_raw(p)
    # a duplicated country-year
    p = _write_pwt(tmp_path, [lines[0], *body[:3], body[2]])
    with pytest.raises(DataFileError, match=r"duplicate key \(isocode='ABW', year='1952'\)"):
        pwt.clean(pwt.read_raw(p), p)
    # a negative population
    cells = body[1].split(",")
    cells[header.index("pop")] = "-1"
    p = _write_pwt(tmp_path, [lines[0], body[0], ",".join(cells)])
    with pytest.raises(DataFileError, match="column 'pop', row 3: negative value"):
        pwt.clean(pwt.read_raw(p), p)
    with pytest.raises(DataFileError, match="file not found"):
        pwt.read_raw(tmp_path / "nope.csv.gz")


# ---- WDI -------------------------------------------------------------------------------------------------------
def test_wdi_coverage_as_documented(wdi_tidy):
    validate_tidy(wdi_tidy, "worldbank_wdi")
    n = wdi_tidy.groupby("indicator").entity.nunique().to_dict()
    # SOURCE.md: R&D % GDP 195 entities, researchers 176, GDP per capita 261
    assert n == {"GB.XPD.RSDV.GD.ZS": 195, "SP.POP.SCIE.RD.P6": 176, "NY.GDP.PCAP.CD": 261}
    assert set(wdi_tidy.source_id) == {"WDI 2026-07-13"}
    assert "TWN" not in set(wdi_tidy.entity)  # Taiwan is not in WDI
    res = wdi_tidy[wdi_tidy.indicator == "SP.POP.SCIE.RD.P6"].groupby("entity").year.max()
    assert res["USA"] == 2022 and res["GBR"] == 2017  # SOURCE.md: USA researchers end 2022, GBR 2017
    rd = wdi_tidy[(wdi_tidy.indicator == "GB.XPD.RSDV.GD.ZS") & (wdi_tidy.entity == "JPN")]
    assert set(range(1996, 2024)) <= set(rd.year)  # JPN complete 1996-2023
    assert int(wdi_tidy[wdi_tidy.indicator == "GB.XPD.RSDV.GD.ZS"].year.min()) == 1996


def test_wdi_values_and_entity_types(wdi_tidy, raw_dir):
    # raw file: Japan, researchers per million, 2019 = 5376.11987
    assert _one(wdi_tidy, "JPN", 2019, "SP.POP.SCIE.RD.P6").value == pytest.approx(5376.11987, abs=1e-5)
    types = wdi_tidy.drop_duplicates("entity").set_index("entity").entity_type
    assert types["WLD"] == "aggregate" and types["OED"] == "aggregate" and types["EUU"] == "aggregate"
    assert types["JPN"] == "country" and types["KOR"] == "country"
    # the file has 265 rows: 217 economies + 48 aggregates; every aggregate code in the file is in our list
    df, _ = wdi.read_file(wdi.find_files(raw_dir)[0])
    codes = set(df["Country Code"])
    assert len(codes) == 265 and len(codes & wdi.AGGREGATES) == 48 and len(codes - wdi.AGGREGATES) == 217


def _wdi_copy(tmp_path, raw_dir, edit):
    folder = tmp_path / "worldbank_wdi"
    folder.mkdir(parents=True, exist_ok=True)
    src = sorted(vintages.folder(raw_dir, "worldbank_wdi").glob("API_GB*.csv"))[0]
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (folder / src.name).write_text("".join(edit(lines)), encoding="utf-8")
    return folder / src.name


def test_wdi_malformed(tmp_path, raw_dir):
    def bad_value(lines):
        lines[6] = lines[6].replace('"Research and development expenditure (% of GDP)","GB.XPD.RSDV.GD.ZS","",',
                                    '"Research and development expenditure (% of GDP)","GB.XPD.RSDV.GD.ZS","x",', 1)
        return lines
    p = _wdi_copy(tmp_path, raw_dir, bad_value)
    with pytest.raises(DataFileError, match=r"column '1960', row 7: non-numeric value 'x'"):
        wdi.load(tmp_path)

    p = _wdi_copy(tmp_path, raw_dir, lambda ls: [ls[0], ls[1], "\n", "\n", *ls[4:]])
    with pytest.raises(DataFileError, match="Last Updated Date"):
        wdi.load(tmp_path)

    p = _wdi_copy(tmp_path, raw_dir, lambda ls: [*ls[:5], *[x.replace("GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL")
                                                           for x in ls[5:]]])
    with pytest.raises(DataFileError, match="unknown indicator 'SP.POP.TOTL'"):
        wdi.load(tmp_path)
    assert p.exists()

    p = _wdi_copy(tmp_path, raw_dir, lambda ls: [*ls[:6], ls[5], *ls[6:]])
    with pytest.raises(DataFileError, match=r"duplicate key \(Country Code='ABW'\)"):
        wdi.load(tmp_path)

    with pytest.raises(DataFileError, match="no WDI bulk CSV"):
        wdi.load(tmp_path / "empty")


# ---- NCSES SEI -------------------------------------------------------------------------------------------------
def test_sei_published_values(sei_tidy):
    validate_tidy(sei_tidy, "ncses_sei")
    frac = sei_tidy[sei_tidy.indicator == "se_articles_fractional"].set_index(["entity", "year"]).value
    # SOURCE.md (checked against SEI 2024): fractional counts 2022 World 3,344,037; USA 457,335; CHN 898,949
    assert frac[("World", 2022)] == 3_344_037
    assert round(frac[("USA", 2022)]) == 457_335 and round(frac[("CHN", 2022)]) == 898_949
    # SOURCE.md: 2003 -> 2011 -> 2022
    published = {"USA": (336_491, 426_832, 457_335), "CHN": (88_585, 323_332, 898_949),
                 "JPN": (101_382, 110_457, 103_723), "DEU": (74_320, 101_238, 113_976),
                 "KOR": (23_880, 53_624, 76_936), "TWN": (16_176, 34_841, 32_350)}
    for iso, vals in published.items():
        assert tuple(round(frac[(iso, y)]) for y in (2003, 2011, 2022)) == vals, iso


def test_sei_layout(sei_tidy):
    assert sei_tidy.groupby("indicator").entity.nunique().to_dict() == {
        "se_articles_fractional": 217, "se_articles_whole": 217}
    for iso in ("TWN", "SGP", "CHN", "KOR", "JPN", "USA", "DEU", "FRA", "GBR"):
        yrs = sei_tidy[(sei_tidy.entity == iso) & (sei_tidy.indicator == "se_articles_fractional")].year
        assert sorted(yrs) == list(range(2003, 2023)), iso  # no missing years
    w = sei_tidy.pivot_table(index=["entity", "year"], columns="indicator", values="value")
    # whole counting credits every country fully, so it is never below the fractional count
    assert (w.se_articles_whole >= w.se_articles_fractional - 1e-6).all()
    # World is the same in both countings (each article counted once)
    assert w.loc[("World", 2022), "se_articles_whole"] == 3_344_037
    types = sei_tidy.drop_duplicates("entity").set_index("entity").entity_type
    assert types["World"] == "aggregate" and types["EU-27"] == "aggregate" and types["Asia"] == "aggregate"
    assert types["JPN"] == "country" and types["PRI"] == "country" and types["Gaza Strip"] == "country"
    assert _one(sei_tidy, "JPN", 2022, "se_articles_fractional").note == "World Bank income group FY2023: High"
    assert ncses_sei.clean_name("World -> Africa -> C&#244;te d&#8217;Ivoire") == "Côte d’Ivoire"
    assert ncses_sei.clean_name("World -> Europe -> Other Europe, 2020 -> Montenegro<sup>c</sup>") == "Montenegro"


def _sei_copy(tmp_path, raw_dir, table, edit):
    for t in ncses_sei.TABLES:
        dst = tmp_path / "ncses_sei" / t / "data.csv"
        dst.parent.mkdir(parents=True, exist_ok=True)
        lines = (vintages.folder(raw_dir, "ncses_sei") / t / "data.csv").read_text().splitlines(keepends=True)
        dst.write_text("".join(edit(lines) if t == table else lines))


def test_sei_malformed(tmp_path, raw_dir):
    # one year row missing from World's block would shift every later year: refused
    _sei_copy(tmp_path, raw_dir, "9985", lambda ls: [ls[0], *ls[1:10], *ls[11:]])
    with pytest.raises(DataFileError, match=r"9985/data.csv.*row 2: 'World' has 19 rows, expected 20"):
        ncses_sei.load(tmp_path)
    # a block split in two
    _sei_copy(tmp_path, raw_dir, "9985", lambda ls: [ls[0], *ls[1:11], *ls[21:41], *ls[11:21], *ls[41:]])
    with pytest.raises(DataFileError, match="rows of 'World' are not consecutive"):
        ncses_sei.load(tmp_path)
    # an economy we have no code for
    _sei_copy(tmp_path, raw_dir, "9970", lambda ls: [x.replace("-> Japan,", "-> Atlantis,") for x in ls])
    with pytest.raises(DataFileError, match="unknown economy 'Atlantis'"):
        ncses_sei.load(tmp_path)
    # the income-group row replaced by a number: the block would be misread
    _sei_copy(tmp_path, raw_dir, "9970", lambda ls: [ls[0], "9970,r001,World,12\n", *ls[2:]])
    with pytest.raises(DataFileError, match="row 2: expected a World Bank income group"):
        ncses_sei.load(tmp_path)
    # a non-numeric count
    _sei_copy(tmp_path, raw_dir, "9970", lambda ls: [ls[0], ls[1], "9970,r002,World,lots\n", *ls[3:]])
    with pytest.raises(DataFileError, match=r"column 'value', row 3: non-numeric value 'lots'"):
        ncses_sei.load(tmp_path)
    # wrong columns
    _sei_copy(tmp_path, raw_dir, "9970", lambda ls: ["a,b,c,d\n", *ls[1:]])
    with pytest.raises(DataFileError, match="column 'table_id'.*required column missing"):
        ncses_sei.load(tmp_path)
