"""What a new MSTI vintage changes in the registered hypotheses: update, verify, build, diff, re-estimate.

Scratch project (``SANGAKU_ROOT``): data/raw copied; its MSTI vintage 2025-03 holds the committed extract's rows of
the ten series the country models read (every economy, so the country family is estimated on h5's sample). The
replayed publisher's response (tests/replay.py on 127.0.0.1) is those rows with edits labelled DELIBERATE below:
Japan's business researchers (B_RS.FTE) revised down 6 % in 2013-2022 and Korea's up 4 % (the size of a revision of
FTE coefficients), one new year (JPN B_RS 2024, the 2023 value) and one new flag (KOR B_RS 2010 -> P).

"A reproduce builds from it": ``analysis data`` builds the sources of the hypotheses from the new vintage (BUILD.json
says so) and the real ``analysis run h4_country_absorptive_capacity`` executes the country notebook on it (about a
minute on the loaded 2-core machine; fig01 is not run, as it also reads the Japanese and NISTEP data and its figure
code is tested elsewhere). ``analysis diff`` then builds each vintage into a temporary folder and runs
``models.summary.all_results`` + ``verdict_table`` on it (the code the h5 notebook runs); its new side must equal
what the h4 notebook exported.

The verdict table is checked against an independent computation: the C2 model (HERD financed by business on
BERD/GDP and business researchers per 1,000 employed, country and year effects, CR1 clustered by economy, t(G-1)),
fitted with statsmodels on panels assembled here from the replayed CSV rows themselves (not through the MSTI loader
or models.country). These plausible revisions flip no verdict: the test asserts "0 verdict flips", that C2a and C2b
moved by exactly what the independent fits say, and that every other registered estimate is unchanged.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis import cli, manifest, paths, verdict_diff, vintage_diff, vintage_verdicts, vintages
from analysis.update import fetchers
from tests.conftest import ROOT
from tests.replay import committed_msti_rows
from tests.test_update import (B_RS, NOW, REAL_RAW, _col, _csv_bytes, _find, _msti_path, _state,  # noqa: F401
                               msti_rows, project, replay)

# the series of the country models (models.country.MSTI_SERIES) and the population of the C1-PHD row
MODEL_SERIES = {"P_TRIAD.PATN._Z._Z", "P_PCT.PATN._Z._Z", "B.USD_PPP.Q._Z", "H.USD_PPP.Q._Z", "B.PT_B1GQ._Z._Z",
                "H.PT_B1GQ._Z._Z", "H_FB.PT_HERD._Z._Z", "B_RS.FTE._Z._Z", "TOT_EMP.PS._Z._Z", "TOT_POP.PS._Z._Z"}
H4 = "h4_country_absorptive_capacity"
REVISED_YEARS = range(2013, 2023)
REVISION = {"JPN": 0.94, "KOR": 1.04}  # DELIBERATE: factors applied to B_RS.FTE in REVISED_YEARS
NEW_YEAR = ("JPN", 2024)  # DELIBERATE: B_RS.FTE of 2023 repeated as 2024
NEW_FLAG = ("KOR", 2010, "P")  # DELIBERATE: an unflagged value marked provisional
HYPOTHESIS_SOURCES = {"cincera1997": ["cincera1997_panel"], "ehs2013_rdspillovers": ["ehs2013_panel"],
                      "oecd_msti": ["oecd_msti"], "pwt": ["pwt"],
                      "t46_extracts_phd_shidairen": ["t46_extracts_phd_shidairen"]}


KEY_COLUMNS = ("MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION")


def _keyed_by(header: list[str]):
    """row -> its series key (MEASURE.UNIT_MEASURE.PRICE_BASE.TRANSFORMATION), the column positions looked up
    once (it runs on every row of the extract)."""
    at = [header.index(k) for k in KEY_COLUMNS]
    return lambda row: ".".join([row[i] for i in at])


@pytest.fixture(scope="module")
def model_rows() -> tuple[list[str], list[list[str]]]:
    """The committed MSTI extract's rows of MODEL_SERIES, every economy (the scratch project's vintage 2025-03)."""
    keyed: list = []  # the header's key function, made at the first row

    def keep(header: list[str], row: list[str]) -> bool:
        if not keyed:
            keyed.append(_keyed_by(header))
        return keyed[0](row) in MODEL_SERIES

    return committed_msti_rows(REAL_RAW, keep)


@pytest.fixture(scope="module")
def revised_rows(model_rows):
    """The replayed response (DELIBERATE edits, see the module docstring) and the changes the diff must list."""
    header, rows = model_rows
    rows = [list(r) for r in rows]
    c = _col(header)
    expected = set()
    for area, factor in REVISION.items():
        for r in _find(header, rows, area, B_RS):
            if int(r[c["TIME_PERIOD"]]) in REVISED_YEARS:
                r[c["OBS_VALUE"]] = repr(float(r[c["OBS_VALUE"]]) * factor)
                expected.add((area, "B_RS.FTE._Z._Z", int(r[c["TIME_PERIOD"]]), "revised"))
    area, year = NEW_YEAR
    assert not _find(header, rows, area, B_RS, year)
    new = list(_find(header, rows, area, B_RS, year - 1)[0])
    new[c["TIME_PERIOD"]] = str(year)
    rows.append(new)
    expected.add((area, "B_RS.FTE._Z._Z", year, "added"))
    area, year, flag = NEW_FLAG
    (flagged,) = _find(header, rows, area, B_RS, year)
    assert flagged[c["OBS_STATUS"]] == ""
    flagged[c["OBS_STATUS"]] = flag
    expected.add((area, "B_RS.FTE._Z._Z", year, "flag changed"))
    assert len(expected) == 2 * len(REVISED_YEARS) + 2  # every revised year is published for both economies
    return header, rows, expected


@pytest.fixture()
def verdict_project(tmp_path, monkeypatch, model_rows) -> Path:
    """A scratch project: data/raw copied with MSTI 2025-03 = ``model_rows``, notebooks.toml and the summary
    notebook (its parameters give the default bootstrap_reps); ``SANGAKU_ROOT``/``SANGAKU_OUTPUT`` point at it."""
    root = tmp_path / "proj"
    shutil.copytree(REAL_RAW, root / "data" / "raw", copy_function=shutil.copy)
    shutil.copy(ROOT / "data" / "vintages.toml", root / "data" / "vintages.toml")
    (root / "notebooks").mkdir()
    for name in ("notebooks.toml", f"{vintage_verdicts.SUMMARY_NOTEBOOK}.ipynb", f"{H4}.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, root / "notebooks" / name)
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.setenv("SANGAKU_OUTPUT", str(root / "output"))
    monkeypatch.delenv(vintages.ENV_PINS, raising=False)
    monkeypatch.delenv(paths.ENV_PROCESSED, raising=False)
    raw = paths.raw_dir()
    (raw / "oecd_msti" / "2025-03" / "msti_raw.csv.gz").write_bytes(gzip.compress(_csv_bytes(*model_rows), mtime=0))
    manifest.refresh(raw)
    return root


def _files(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ the independent computation
def _panel(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    """Economy-year panel of the C2 variables straight from SDMX-CSV rows: OBS_VALUE x 10^UNIT_MULT, aggregates
    (OECD, EU27_2020) left out, empty values left out."""
    c = {**_col(header), "UNIT_MULT": header.index("UNIT_MULT")}
    names = {"H_FB.PT_HERD._Z._Z": "herd_fb", "B.PT_B1GQ._Z._Z": "berd_gdp", "B_RS.FTE._Z._Z": "bres",
             "TOT_EMP.PS._Z._Z": "emp"}
    key = _keyed_by(header)
    recs = [(r[c["REF_AREA"]], int(r[c["TIME_PERIOD"]]), names[key(r)],
             float(r[c["OBS_VALUE"]]) * 10 ** int(r[c["UNIT_MULT"]] or 0))
            for r in rows if key(r) in names and r[c["OBS_VALUE"]] != ""
            and r[c["REF_AREA"]] not in {"OECD", "EU27_2020"}]
    df = pd.DataFrame(recs, columns=["entity", "year", "var", "value"])
    wide = df.pivot(index=["entity", "year"], columns="var", values="value").reset_index()
    wide["bres_per_1000emp"] = wide["bres"] / wide["emp"] * 1000.0
    return wide.dropna(subset=["herd_fb", "berd_gdp", "bres_per_1000emp"]).reset_index(drop=True)


def _c2_fit(panel: pd.DataFrame) -> dict[str, dict]:
    """C2 by statsmodels: two-way FE OLS, CR1 clustered by economy (statsmodels' G/(G-1)(N-1)/(N-K)), t(G-1);
    the registered rule (alpha 0.05, expected sign +, at least min_clusters economies)."""
    reg = tomllib.loads((ROOT / "src" / "analysis" / "hypotheses" / "country.toml").read_text(encoding="utf-8"))
    hyps = {h["id"]: h for h in reg["hypothesis"]}
    codes = pd.factorize(panel["entity"], sort=True)[0]
    fit = smf.ols("herd_fb ~ berd_gdp + bres_per_1000emp + C(entity) + C(year)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": codes})
    g = int(codes.max()) + 1
    q = stats.t.ppf(0.975, g - 1)
    out = {}
    for hid, term in (("C2a", "berd_gdp"), ("C2b", "bres_per_1000emp")):
        est, se = float(fit.params[term]), float(fit.bse[term])
        p = float(2 * stats.t.sf(abs(est / se), g - 1))
        alpha, sign = hyps[hid]["alpha"], hyps[hid]["expected_sign"]
        assert g >= reg["min_clusters"]  # else the rule gives no verdict
        verdict = ("supported" if (est > 0) == (sign == "+") else "contrary") if p < alpha else "not supported"
        out[hid] = {"estimate": est, "ci_low": est - q * se, "ci_high": est + q * se, "p_value": p,
                    "n_obs": int(fit.nobs), "verdict": verdict, "n_clusters": g}
    return out


# ------------------------------------------------------------------ the whole yearly update
def test_update_then_diff_re_estimates_every_hypothesis(verdict_project, replay, model_rows, revised_rows, capsys):
    header, rows, expected = revised_rows
    body = _csv_bytes(header, rows)
    replay.add(_msti_path(), body, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    added = fetchers.update_msti(base_url=replay.base_url, timeout=30, now=NOW)
    assert (added.previous, added.vintage) == ("2025-03", "2026-12-01")
    raw = paths.raw_dir()
    assert manifest.verify(raw).checked == len(manifest.load(raw)["files"])
    assert vintages.available(raw, "oecd_msti") == ["2025-03", "2026-12-01"]

    # the build reads the new vintage (the processed data every hypothesis reads)
    assert vintage_verdicts.hypothesis_sources() == HYPOTHESIS_SOURCES
    assert cli.main(["data", *HYPOTHESIS_SOURCES]) == 0
    built = json.loads((paths.processed_dir() / "BUILD.json").read_text())["vintages"]
    assert built["oecd_msti"] == "2026-12-01"
    tidy = pd.read_parquet(paths.processed_dir() / "oecd_msti.parquet")
    jpn = tidy[(tidy.indicator == "B_RS.FTE._Z._Z") & (tidy.entity == "JPN")].set_index("year")["value"]
    assert jpn.loc[2024] == jpn.loc[2023]
    assert cli.main(["run", H4]) == 0  # the country notebook, executed on the new vintage
    capsys.readouterr()

    # the diff: values per figure, then every registered hypothesis re-estimated from each vintage
    out = verdict_project / "output"
    before, outputs = _state(verdict_project), _files(out)
    assert cli.main(["diff", "msti=2025-03", "msti=2026-12-01"]) == 0
    printed = capsys.readouterr().out
    assert _state(verdict_project) == before  # nothing written to data/ (raw, manifest, processed)
    stems = ["oecd_msti_2025-03_2026-12-01", "verdicts_oecd_msti_2025-03_2026-12-01"]
    after = _files(out)
    assert {k: v for k, v in after.items() if k in outputs} == outputs  # the h4 run's outputs untouched
    assert sorted(set(after) - set(outputs)) == sorted(f"diff/{s}.{ext}" for s in stems for ext in ("csv", "md"))
    values = pd.read_csv(out / "diff" / f"{stems[0]}.csv", keep_default_na=False)
    assert list(values.columns) == vintage_diff.COLUMNS
    assert {(r.entity, r.indicator, int(r.year), r.change) for r in values.itertuples()} == expected
    assert {"fig01_business_researchers_index", "h4_country_absorptive_capacity"} <= set(values["figure"])

    table = pd.read_csv(out / "diff" / f"{stems[1]}.csv", keep_default_na=False, na_values=[""])
    md = (out / "diff" / f"{stems[1]}.md").read_text(encoding="utf-8")
    for text in (md, printed):
        assert "0 verdict flips, 2 estimate(s) or interval(s) moved" in text
        assert "bootstrap_reps 999, seed country 20261129, industry 20261129" in text
    assert set(table["bootstrap_reps"]) == {999} and set(table["seed"]) == {"country=20261129;industry=20261129"}
    assert "re-estimation: old build" in printed

    # exactly C2a and C2b moved, first, by what statsmodels gives on the two panels; everything else unchanged
    old_fit, new_fit = _c2_fit(_panel(*model_rows)), _c2_fit(_panel(header, rows))
    assert list(table["hypothesis"][:2]) == ["C2a", "C2b"]
    assert list(table["change"]) == ["estimate moved"] * 2 + ["unchanged"] * (len(table) - 2)
    for hid in ("C2a", "C2b"):
        row = table.set_index("hypothesis").loc[hid]
        assert row["model"] == "C2 HERD financed by business: OLS"
        for side, fit in (("old", old_fit[hid]), ("new", new_fit[hid])):
            for col in ("estimate", "ci_low", "ci_high", "p_value"):
                assert row[f"{col}_{side}"] == pytest.approx(fit[col], rel=1e-7, abs=1e-12), (hid, side, col)
            assert row[f"n_obs_{side}"] == fit["n_obs"] and row[f"verdict_{side}"] == fit["verdict"]
        moved = row["estimate_new"] - row["estimate_old"]
        assert moved == pytest.approx(new_fit[hid]["estimate"] - old_fit[hid]["estimate"], rel=1e-6)
        assert abs(moved) > 1e-3 * abs(row["estimate_old"])  # a real move, not rounding
    rest = table.iloc[2:]
    for col in ("estimate", "ci_low", "ci_high", "p_value", "n_obs", "verdict"):
        same = (rest[f"{col}_old"] == rest[f"{col}_new"]) | (rest[f"{col}_old"].isna() & rest[f"{col}_new"].isna())
        assert same.all(), col
    assert {"C1a", "C1b", "C3a", "F1", "I1", "R1a"} <= set(rest["hypothesis"])
    # the new side is what the h4 notebook computed from the new vintage; the old side is h5's published result
    h4 = pd.read_csv(out / "tables" / H4 / f"{H4}.csv").set_index(["hypothesis", "model", "term"])
    country = table[table["family"] == "country"]
    assert len(country) >= 6
    for r in country.itertuples():
        got = h4.loc[(r.hypothesis, r.model, r.term)]
        assert (got["estimate"], got["p_value"], got["verdict"]) == (
            pytest.approx(r.estimate_new, rel=1e-9), pytest.approx(r.p_value_new, rel=1e-9), r.verdict_new)
    # (README: C1b p 0.004, supported)
    c1b = rest.set_index("hypothesis").loc["C1b"]
    assert round(c1b["p_value_old"], 3) == 0.004 and c1b["verdict_old"] == "supported"


def test_flips_come_first_in_a_re_estimated_table():
    """Ordering and counting of compare_frames with intervals and unchanged rows (made-up rows: the comparison
    only; the estimation is tested above)."""
    cols = verdict_diff.KEY + verdict_diff.VALUES
    a = pd.DataFrame([["country", "C2b", "m", "x", 0.29, -0.27, 0.86, 0.30, 1188, "not supported"],
                      ["country", "C1b", "m", "y", 0.066, 0.022, 0.11, 0.004, 1460, "supported"],
                      ["firm", "F1", "m", "z", -0.12, -0.33, 0.09, 0.26, 1629, "not supported"],
                      ["firm", "F2a", "m", "w", -0.10, -1.04, 0.84, 0.83, 1620, "not supported"]], columns=cols)
    b = a.copy()
    b.loc[0, ["estimate", "ci_low", "p_value", "verdict"]] = [0.60, 0.01, 0.04, "supported"]
    b.loc[2, ["ci_low", "p_value"]] = [-0.34, 0.27]  # interval only
    t = verdict_diff.compare_frames(a, b, intervals=True, keep_unchanged=True)
    assert list(zip(t["hypothesis"], t["change"])) == [("C2b", "verdict flipped"), ("F1", "interval moved"),
                                                       ("C1b", "unchanged"), ("F2a", "unchanged")]
    assert verdict_diff.flip_count(t) == "1 verdict flip"
    assert list(verdict_diff.compare_frames(a, b)["change"]) == ["verdict flipped"]  # the export comparison


def test_sources_of_the_hypotheses_are_what_their_notebooks_read():
    """Every dataset a hypothesis notebook (h1-h4, the registry's ``notebook``) declares is built from one of the
    sources the summary re-estimates; the other sources feed no hypothesis."""
    from analysis import registry
    from analysis.execution import specs

    declared = specs.load_specs(ROOT / "notebooks" / "notebooks.toml")
    found = vintage_verdicts.hypothesis_sources(ROOT / "notebooks" / "notebooks.toml")
    assert found == HYPOTHESIS_SOURCES
    read = {d for sets in found.values() for d in sets}
    for nb in {h.notebook for h in registry.load()}:
        assert set(declared[nb].processed) <= read, nb


def test_a_source_no_hypothesis_reads_is_not_re_estimated(project, tmp_path, capsys):
    src = vintages.folder(REAL_RAW, "japan") / "mext_sangaku_headlines.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    edition = tmp_path / "mext_sangaku_headlines.csv"
    edition.write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    added = fetchers.update_japan(edition, now=NOW)
    capsys.readouterr()
    assert cli.main(["diff", f"japan={added.previous}", f"japan={added.vintage}"]) == 0
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith("no registered hypothesis reads japan")
    assert not list((project / "output" / "diff").glob("verdicts_*"))


def test_diff_kinds_and_options_are_checked(project, tmp_path, capsys):
    (tmp_path / "v.csv").write_text("family\n")
    assert cli.main(["diff", "msti=2025-03", str(tmp_path / "v.csv")]) == 2
    assert "both sides must be of one kind" in capsys.readouterr().err
    assert cli.main(["diff", str(tmp_path / "v.csv"), str(tmp_path / "v.csv"), "--no-verdicts"]) == 2
    assert "only for a diff of two vintages" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["diff", "msti=2025-03", "msti=2025-03", "--bootstrap-reps", "50"])
    assert "--bootstrap-reps must be >= 99" in capsys.readouterr().err


def test_two_revisions_go_to_output_diff(project, tmp_path, monkeypatch, capsys):
    """``analysis diff REV_A REV_B`` hands both names, the tolerance and the folder to ``output_diff.run`` and
    prints the Markdown it wrote (the comparison itself is tested with analysis.output_diff)."""
    output_diff = pytest.importorskip("analysis.output_diff")
    calls = []

    def run(old, new, *, rtol, output, allow_dirty):
        calls.append((old, new, rtol, output, allow_dirty))
        (tmp_path / "o.md").write_text("# outputs: 1 file changed\n")
        return tmp_path / "o.csv", tmp_path / "o.md"

    monkeypatch.setattr(output_diff, "run", run)
    assert cli.main(["diff", "HEAD~1", "HEAD", "--tolerance", "0.01", "--output", str(tmp_path)]) == 0
    assert calls == [("HEAD~1", "HEAD", 0.01, tmp_path, False)]
    assert "# outputs: 1 file changed" in capsys.readouterr().out
