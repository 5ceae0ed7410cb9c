"""Bad values never become figures: each is a named error (file, row, column, allowed values), on a scratch copy.

Every test works on a copy of data/raw under a scratch project root (``SANGAKU_ROOT``), never on the real files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import build, cli, inputs, manifest, paths, vintages
from analysis.errors import DataFileError, ParameterError
from analysis.figures import japan_collab as jc
from analysis.schema import EARLIEST_YEAR, latest_year, validate_tidy
from analysis.sources import japan

HEADER = ",".join(japan.COLUMNS) + "\n"
REAL_RAW = paths.raw_dir()


@pytest.fixture()
def root(tmp_path, monkeypatch) -> Path:
    """A scratch project root holding a copy of data/raw; ``SANGAKU_ROOT`` points at it."""
    proj = tmp_path / "proj"
    shutil.copytree(REAL_RAW, proj / "data" / "raw", copy_function=shutil.copy)
    monkeypatch.setenv("SANGAKU_ROOT", str(proj))
    monkeypatch.delenv(inputs.ENV_DECLARED, raising=False)
    assert paths.raw_dir() == (proj / "data" / "raw").resolve()
    return proj


def user_csv(folder: Path, *rows: str, name: str = "user.csv") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def error_of(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as exc:
        jc.read_user_file(path)
    assert exc.value.path == str(path)
    return exc.value


# ------------------------------------------------------------------ wrong values in a user_file
def test_money_unit_on_a_count_series_is_an_error(tmp_path):
    # 15800 億円 would be converted to 1.58e12 and drawn as that many joint-research projects
    err = error_of(user_csv(tmp_path, "joint_research_private_count,2022,15800,億円,X,primary,",
                            "joint_research_private_count,2017,26000,件,X,primary,"))
    assert (err.column, err.row) == ("unit", 2)
    assert "'億円' (JPY) does not fit series 'joint_research_private_count', a count" in str(err)
    assert "allowed units: 件, 万件, 社, count, institutions" in str(err)


def test_count_unit_on_an_amount_series_and_another_currency_are_errors(tmp_path):
    err = error_of(user_csv(tmp_path, "joint_research_private_amount,2022,900,件,X,primary,"))
    assert (err.column, err.row) == ("unit", 2)
    assert "allowed units: 円, 千円, 万円, 百万円, 億円, JPY tn" in str(err)
    err = error_of(user_csv(tmp_path, "joint_research_private_amount,2022,6,USD bn,X,primary,"))
    assert err.column == "unit" and "USD" in str(err) and "億円" in err.hint


@pytest.mark.parametrize("series, unit", [("joint_research_private_count", "件"),
                                          ("joint_research_private_amount", "億円"),
                                          ("meti_university_startups_cumulative", "社")])
def test_negative_count_or_amount_is_an_error(tmp_path, series, unit):
    err = error_of(user_csv(tmp_path, f"{series},2021,10,{unit},X,primary,", f"{series},2022,-5,{unit},X,primary,"))
    assert (err.column, err.row) == ("value", 3)
    assert f"negative value -5 {unit} is not possible for series '{series}'" in str(err)
    assert "allowed values: >= 0" in err.hint


def test_share_above_100_percent_is_an_error(tmp_path):
    err = error_of(user_csv(tmp_path, "joint_research_private_ge10m_share_amount,2022,130,%,X,primary,"))
    assert (err.column, err.row) == ("value", 2) and "allowed values: 0..100 %" in err.hint


@pytest.mark.parametrize("year", [1800, 1982, latest_year(), latest_year() + 1, 3011])
def test_year_outside_the_series_plausible_years_is_an_error(tmp_path, year):
    path = user_csv(tmp_path, f"joint_research_private_count,{year},30000,件,X,primary,")
    if year == latest_year():  # the last plausible year (current + 1) is accepted
        assert jc.read_user_file(path)["year"].tolist() == [year]
        return
    err = error_of(path)
    assert (err.column, err.row) == ("year", 2)
    assert f"year {year} is outside the plausible years of series 'joint_research_private_count'" in str(err)
    assert f"allowed years: 1983..{latest_year()}" in err.hint and "FY1983" in err.hint


def test_missing_year_only_for_series_declared_undated(tmp_path):
    err = error_of(user_csv(tmp_path, "joint_research_private_count,,30000,件,X,primary,"))
    assert (err.column, err.row) == ("year", 2) and "missing year" in str(err) and "allowed years" in err.hint
    undated = jc.read_user_file(user_csv(tmp_path, "harvard_revenue_older,,3.7,USD bn,X,primary,", name="u.csv"))
    assert undated["year_type"].tolist() == ["unknown"]


def test_unknown_series_is_an_error_with_the_closest_names(tmp_path):
    err = error_of(user_csv(tmp_path, "joint_research_privat_count,2022,30000,件,X,primary,"))
    assert (err.column, err.row) == ("series", 2) and "unknown series 'joint_research_privat_count'" in str(err)
    assert "did you mean joint_research_private_count" in err.hint
    assert f"{len(japan.series_specs())} series declared in src/analysis/sources/japan_series.toml" in err.hint


def test_rows_a_figure_does_not_draw_are_listed_with_the_reason(tmp_path):
    rows = jc.read_user_file(user_csv(tmp_path, "joint_research_private_count,2022,30000,件,X,primary,",
                                      "joint_research_private_count,1990,9000,件,X,primary,",
                                      "patent_licensing_count,2020,1,件,X,primary,"))
    drawn = [(ind, ent) for ind, ent, *_ in jc.FIG2_SERIES.values()]
    out = japan.unused_rows(rows, drawn, 2004, 2023)
    assert out["reason"].tolist() == [
        "joint_research_private_count FY1990 is outside the plotted years 2004-2023",
        "patent_licensing_count (JPN) is not drawn in this figure",
    ]


# ------------------------------------------------------------------ user_file: path and declared read
def test_relative_user_file_starts_at_the_current_directory(root, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    user_csv(work, "joint_research_private_count,2022,30000,件,X,primary,", name="fill.csv")
    user_csv(root, "joint_research_private_count,2022,1,件,X,primary,", name="only_at_root.csv")
    monkeypatch.chdir(work)
    assert jc.read_user_file("fill.csv")["value"].tolist() == [30000.0]
    with pytest.raises(ParameterError, match=r"only_at_root.csv.*file not found: .*work/only_at_root.csv"):
        jc.read_user_file("only_at_root.csv")


def test_user_file_is_read_through_the_declared_inputs(tmp_path, monkeypatch):
    path = user_csv(tmp_path, "joint_research_private_count,2022,30000,件,X,primary,")
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(inputs.ENV_READ_LOG, str(log))
    spec = {"notebook": "fig02_joint_research", "processed": ["japan"]}
    monkeypatch.setenv(inputs.ENV_DECLARED, json.dumps(spec))
    with pytest.raises(inputs.UndeclaredInputError, match="user_file"):
        jc.read_user_file(path)
    monkeypatch.setenv(inputs.ENV_DECLARED, json.dumps({**spec, "file_params": {"user_file": str(path)}}))
    assert len(jc.read_user_file(path)) == 1
    reads = [{k: r[k] for k in ("kind", "name")} for r in map(json.loads, log.read_text(encoding="utf-8").splitlines())]
    assert reads == [{"kind": "file", "name": "user_file"}]


# ------------------------------------------------------------------ raw data: refresh, stray files
def _set_field(path: Path, line: int, column: str, value: str) -> None:
    """Change one field of a raw CSV (1-based file line) in the scratch copy."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[line - 1].split(",")
    fields[japan.COLUMNS.index(column)] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_refreshed_raw_row_with_year_3011_is_refused_by_the_build(root):
    target = vintages.folder(paths.raw_dir(), "japan") / "mext_sangaku_headlines.csv"
    assert target.read_text(encoding="utf-8").splitlines()[4].startswith("joint_research_private_count,")
    _set_field(target, 5, "year", "3011")
    manifest.refresh()  # a deliberate, recorded update: verify passes, the loader must still refuse it
    assert manifest.verify().checked
    with pytest.raises(DataFileError) as exc:
        build.build(sources=["japan"])
    err = exc.value
    assert err.path.endswith("mext_sangaku_headlines.csv") and (err.column, err.row) == ("year", 5)
    assert "year 3011" in str(err) and f"allowed years: 1983..{latest_year()}" in str(err)
    assert not paths.processed_dir().exists()


def test_refreshed_negative_count_is_refused_by_the_build(root):
    target = vintages.folder(paths.raw_dir(), "japan") / "mext_sangaku_headlines.csv"
    _set_field(target, 5, "value", "-31185")
    manifest.refresh()
    with pytest.raises(DataFileError, match=r"mext_sangaku_headlines.csv, column 'value', row 5: negative value"):
        build.build(sources=["japan"])


def test_stray_file_in_a_source_folder_stops_analysis_data(root, capsys):
    stray = vintages.folder(paths.raw_dir(), "japan") / "zz.csv"
    stray.write_text(HEADER + "joint_research_private_count,2017,26000,件,ZZ,primary,\n", encoding="utf-8")
    for argv in (["data"], ["data", "japan"], ["verify"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert f"file {stray}: not in the manifest" in err, argv
        assert "add it with `analysis manifest --refresh` or remove it" in err
    assert not paths.processed_dir().exists()
    # a build of other sources does not read the japan folder and is not stopped by it ...
    assert manifest.verify(sources=["cincera1997"]).checked == 3  # its CSV and the two SOURCE.md (source, vintage)
    # ... but any partial build that includes it is
    with pytest.raises(DataFileError, match="zz.csv: not in the manifest"):
        manifest.verify(sources=["cincera1997", "japan"])


def test_stray_file_at_the_top_of_data_raw_stops_a_full_build(root):
    (paths.raw_dir() / "notes.txt").write_text("scratch\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"notes.txt: not in the manifest .*add it with"):
        build.build()


def test_real_raw_data_pass_every_check_and_build(root, capsys):
    """All current raw rows pass the new checks: `analysis data` builds from the (copied) real files."""
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "all of data/raw" in out
    jp = pd.read_parquet(paths.processed_dir() / "japan.parquet")
    assert len(jp) == 9227
    listed = {e["path"] for e in manifest.load()["files"]}
    assert "japan/2026-11-29/SOURCE.md" in listed  # documentation files the manifest lists are fine


# ------------------------------------------------------------------ declarations and the tidy year range
def test_every_declared_series_is_used_has_a_rule_and_generous_years():
    specs = japan.series_specs()
    in_files = set()
    for path in japan.files(REAL_RAW):
        in_files |= set(pd.read_csv(path, dtype=str)["series"].str.partition("|")[0])
    assert set(specs) == in_files
    for name, spec in specs.items():
        assert japan._rule(name) is not None, name
        lo, hi = spec.years()
        assert EARLIEST_YEAR <= lo and hi == latest_year(), name
        if spec.kind in {"count", "amount", "persons", "share"}:
            assert spec.value_min == 0, name
    # years come from the publisher (survey start), not from the data: MEXT's first data year is FY1999
    assert specs["joint_research_private_count"].year_min == 1983
    assert specs["niad_revenue_total"].year_min == 2004


def test_tidy_year_outside_1900_to_next_year_is_named(raw_dir):
    from analysis.sources import cincera
    df = cincera.load(raw_dir)
    validate_tidy(df, "cincera1997", raw_dir / "cincera1997")
    bad = df.copy()
    bad.loc[7, "year"] = 3011
    with pytest.raises(DataFileError) as exc:
        validate_tidy(bad, "cincera1997", raw_dir / "cincera1997")
    err = exc.value
    assert (err.column, err.row) == ("year", 7) and err.path.endswith("cincera1997")
    assert "year 3011 is implausible" in str(err) and f"allowed years: 1900..{latest_year()}" in str(err)
    assert f"entity={df.loc[7, 'entity']!r}" in str(err)
    bad.loc[7, "year"] = 1899
    with pytest.raises(DataFileError, match="year 1899 is implausible"):
        validate_tidy(bad, "cincera1997")
