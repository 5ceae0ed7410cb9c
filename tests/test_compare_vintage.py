"""``compare_vintage`` on the MSTI figures and source notes that name the vintage drawn, in a scratch project.

The scratch project's first MSTI vintage (2025-03) is the committed extract's rows of four economies; a second
vintage is added by ``analysis update msti`` from a replay server on 127.0.0.1 answering the same rows with one
revised value (Japan's business researchers in 2020, +1 %), one new year and one new flag (as in
tests/test_update.py). Figure 1 then runs through the runner with ``compare_vintage``: the CSV carries the old
vintage's raw value next to the revised one, the legend names the vintage, the note names the vintage built, a
bad vintage stops before any kernel, and an edit of the compared vintage's file re-runs the notebook.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import build, manifest, paths, vintage_params, vintage_text, vintages
from analysis.errors import ParameterError
from analysis.execution import cache, pipeline, specs
from analysis.figures import business_researchers as br
from analysis.figures import herd_business_share as hb
from analysis.figures import msti_compare
from analysis.update import fetchers, http
from tests.conftest import ROOT
from tests import test_update
from tests.replay import Replay, csv_bytes

REAL_RAW = ROOT / "data" / "raw"
AREAS = {"JPN", "KOR", "DEU", "USA"}
COUNTRIES = ["JPN", "KOR", "DEU", "USA"]
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
NEW = "2026-12-01"
OLD = "2025-03"
FIG01 = "fig01_business_researchers_index"
KEY = ("B_RS", "FTE", "_Z", "_Z")
RAW_OLD = f"oecd_msti/{OLD}/msti_raw.csv.gz"


_csv_bytes = csv_bytes


def _rows(tmp_path_factory) -> tuple[list[str], list[list[str]]]:
    """Header and rows of four economies of the committed MSTI extract (the scratch project's vintage 2025-03):
    the update tests' read of them (``AREAS`` are theirs), made once per test run; not modified here."""
    assert AREAS == test_update.AREAS
    return test_update._msti_rows(tmp_path_factory)


def _revised(header: list[str], rows: list[list[str]]) -> tuple[list[list[str]], dict]:
    """The publisher's next release: JPN 2020 revised by 1 %, a new year for JPN, a new P flag for KOR."""
    c = {n: header.index(n) for n in ("REF_AREA", "MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION",
                                      "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS")}
    rows = [list(r) for r in rows]

    def series(area):
        return sorted((r for r in rows if r[c["REF_AREA"]] == area and r[c["OBS_VALUE"]] != ""
                       and tuple(r[c[k]] for k in ("MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION")) == KEY),
                      key=lambda r: int(r[c["TIME_PERIOD"]]))

    jpn = series("JPN")
    revised = next(r for r in jpn if r[c["TIME_PERIOD"]] == "2020")
    old_value = float(revised[c["OBS_VALUE"]])
    revised[c["OBS_VALUE"]] = repr(old_value * 1.01)
    added = list(jpn[-1])
    added[c["TIME_PERIOD"]] = str(int(added[c["TIME_PERIOD"]]) + 1)
    rows.append(added)
    kor = next(r for r in series("KOR") if r[c["OBS_STATUS"]] == "" and int(r[c["TIME_PERIOD"]]) >= 2011)
    kor[c["OBS_STATUS"]] = "P"
    return rows, {"old_value": old_value, "new_year": int(added[c["TIME_PERIOD"]]),
                  "kor_year": int(kor[c["TIME_PERIOD"]])}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A scratch project with MSTI vintages 2025-03 and 2026-12-01 (added by the update command), processed data
    built from the newest, and the MSTI figure notebooks; ``SANGAKU_ROOT``/``SANGAKU_OUTPUT`` point at it."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("compare") / "proj"
    shutil.copytree(REAL_RAW, root / "data" / "raw", copy_function=shutil.copy)
    shutil.copy(ROOT / "data" / "vintages.toml", root / "data" / "vintages.toml")
    (root / "notebooks").mkdir()
    for name in (f"{FIG01}.ipynb", "fig03_herd_business_share_2021.ipynb", "fig04_herd_business_share_trend.ipynb",
                 "notebooks.toml"):
        shutil.copy(ROOT / "notebooks" / name, root / "notebooks" / name)
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    mp.setenv("SANGAKU_ROOT", str(root))
    mp.setenv("SANGAKU_OUTPUT", str(root / "output"))
    mp.delenv(vintages.ENV_PINS, raising=False)
    server = Replay().start()
    try:
        raw = paths.raw_dir()
        header, rows = _rows(tmp_path_factory)
        (raw / "oecd_msti" / OLD / "msti_raw.csv.gz").write_bytes(gzip.compress(_csv_bytes(header, rows), mtime=0))
        manifest.refresh(raw)
        sources = ["oecd_msti", "japan", "nistep_text_phd_bizres_2"]
        build.build(raw, sources=sources)
        one_vintage = {"previous": _error(lambda: vintage_params.resolve("compare_vintage", "previous", "oecd_msti"))}
        new_rows, facts = _revised(header, rows)
        cfg = fetchers.publishers()["msti"]
        server.add(http.build_url("", cfg["path"], cfg["params"]), _csv_bytes(header, new_rows),
                   content_type="application/vnd.sdmx.data+csv; charset=utf-8")
        added = fetchers.update_msti(base_url=server.base_url, timeout=10, now=NOW)
        assert added.vintage == NEW and vintages.available(raw, "oecd_msti") == [OLD, NEW]
        build.build(raw, sources=sources)
        yield {"root": root, "one_vintage": one_vintage, **facts}
    finally:
        server.stop()
        mp.undo()


def _error(call) -> str:
    with pytest.raises(ParameterError) as exc:
        call()
    return str(exc.value)


def _raw_value(area: str, year: int, vintage: str) -> tuple[float, str]:
    """Value and OBS_STATUS of B_RS.FTE in the raw file of ``vintage``, read with csv (not the loader)."""
    with gzip.open(paths.raw_dir() / "oecd_msti" / vintage / "msti_raw.csv.gz", "rt", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for r in reader:
            if (r["REF_AREA"], r["TIME_PERIOD"]) == (area, str(year)) and \
                    (r["MEASURE"], r["UNIT_MEASURE"], r["PRICE_BASE"], r["TRANSFORMATION"]) == KEY:
                return float(r["OBS_VALUE"]) * 10.0 ** int(r["UNIT_MULT"] or 0), r["OBS_STATUS"]
    raise AssertionError(f"{area} {year} not in vintage {vintage}")


def _nb(name: str):
    return specs.load_notebook(paths.notebooks_dir() / f"{name}.ipynb", specs.load_specs())


# ------------------------------------------------------------------ parameter checks, before any kernel
def test_previous_with_one_vintage_says_so(project):
    msg = project["one_vintage"]["previous"]
    assert "compare_vintage='previous'" in msg and "only one committed vintage (2025-03)" in msg


def test_unknown_vintage_is_refused_before_a_kernel_starts(project):
    msg = _error(lambda: pipeline.run([FIG01], {"compare_vintage": "2024-07", "countries": COUNTRIES}))
    assert msg.startswith("parameter compare_vintage='2024-07'") and "committed: 2025-03, 2026-12-01" in msg
    assert "valid choices: 2025-03, previous" in msg
    assert not (project["root"] / "output" / "runs").exists()  # nothing ran, nothing written
    # the notebook's validate hook says the same (it runs for uncached runs, and in the notebook itself)
    assert _error(lambda: br.validate_params({"compare_vintage": "2024-07", "countries": COUNTRIES})) == msg
    assert "is the vintage being drawn" in _error(lambda: hb.validate_trend_params({"compare_vintage": NEW}))
    assert vintage_params.resolve("compare_vintage", "previous", "oecd_msti") == OLD


# ------------------------------------------------------------------ figure 1 through the runner
@pytest.fixture(scope="module")
def fig01_run(project):
    log = project["root"] / "reads.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_ROOT", str(project["root"]))
        mp.setenv("SANGAKU_OUTPUT", str(project["root"] / "output"))
        mp.setenv("SANGAKU_READ_LOG", str(log))
        summary = pipeline.run([FIG01], {"compare_vintage": "previous", "countries": COUNTRIES, "lang": "en"},
                               max_workers=1, progress=lambda m: None)
    assert summary.ok, [r.message for r in summary.failed]
    folder = next((project["root"] / "output" / "runs").glob(f"{FIG01}__*/"))
    reads = [json.loads(line) for line in log.read_text().splitlines()]
    return {"folder": folder, "reads": reads, **project}


def test_csv_has_the_old_vintage_beside_the_revised_value(fig01_run):
    table = pd.read_csv(fig01_run["folder"] / f"{FIG01}_en.csv", keep_default_na=False,
                        dtype={"flags": str, f"flags_vintage_{OLD}": str})
    jpn = table[(table.entity == "JPN") & (table.year == 2020)].iloc[0]
    old_value, _ = _raw_value("JPN", 2020, OLD)
    new_value, _ = _raw_value("JPN", 2020, NEW)
    assert old_value == fig01_run["old_value"] and new_value == pytest.approx(old_value * 1.01, rel=1e-12)
    assert float(jpn[f"value_vintage_{OLD}"]) == old_value  # the old raw value, unrevised
    assert float(jpn["value"]) == pytest.approx(new_value, rel=1e-12)  # the revised one in the current column
    base = table[(table.entity == "JPN") & (table.year == 2011)].iloc[0]
    assert float(jpn[f"index_vintage_{OLD}"]) == pytest.approx(old_value / float(base[f"value_vintage_{OLD}"]) * 100)
    # the new year has no old value; the new flag is carried in the current column only
    added = table[(table.entity == "JPN") & (table.year == fig01_run["new_year"])].iloc[0]
    assert added[f"value_vintage_{OLD}"] == "" and added["value"] != ""
    kor = table[(table.entity == "KOR") & (table.year == fig01_run["kor_year"])].iloc[0]
    assert (kor["flags"], kor[f"flags_vintage_{OLD}"]) == ("P", "")
    # every other value is the same in both vintages
    same = table[~((table.entity == "JPN") & table.year.isin([2020, fig01_run["new_year"]]))]
    assert (same["value"] == same[f"value_vintage_{OLD}"]).all()


def test_the_run_read_the_compared_vintage_as_declared(fig01_run):
    raw = {r["name"] for r in fig01_run["reads"] if r["kind"] == "raw" and r["notebook"] == FIG01}
    assert raw == {"oecd_msti/SOURCE.md", RAW_OLD}


def test_the_note_names_the_vintage_built_and_the_overlay(fig01_run):
    notebook = json.loads(next((fig01_run["root"] / "output" / "runs").glob(f"{FIG01}__*.ipynb")).read_text())
    text = "".join("".join(o.get("text", "")) for c in notebook["cells"] for o in c.get("outputs", []))
    assert "DSD_MSTI@DF_MSTI, release retrieved on 1 December 2026 (vintage 2026-12-01); series B_RS.FTE._Z._Z" in text
    assert "March 2025" not in text
    assert f"Faint lines: the same values computed the same way from MSTI vintage {OLD}; 2 of the" in text


def test_legend_and_notes_of_the_three_figures(project):
    from analysis import data

    tidy = data.load("oecd_msti")
    out = project["root"] / "output" / "inproc"
    for lang, entry, source in (("ja", f"{OLD}版", "2026年12月1日取得のデータ、2026-12-01版"),
                                ("en", f"vintage {OLD}", "release retrieved on 1 December 2026 (vintage 2026-12-01)")):
        res = br.make(tidy, COUNTRIES, compare_vintage=OLD, lang=lang, output_dir=out)
        legend = [t.get_text() for t in res["figure"].axes[0].get_legend().get_texts()]
        assert legend[-1] == entry
        assert source in res["note"].splitlines()[0]
        plt.close(res["figure"])
        plain = br.make(tidy, COUNTRIES, lang=lang, output_dir=out / "plain")
        assert entry not in [t.get_text() for t in plain["figure"].axes[0].get_legend().get_texts()]
        assert f"value_vintage_{OLD}" not in plain["data"] and source in plain["note"]
        plt.close(plain["figure"])
    trend = hb.make_trend(tidy, COUNTRIES, compare_vintage="previous", lang="en", output_dir=out)
    assert trend["figure"].axes[0].get_legend().get_texts()[-1].get_text() == f"vintage {OLD}"
    assert trend["data"][f"share_vintage_{OLD}"].equals(trend["data"]["share"])  # H_FB was not revised
    plt.close(trend["figure"])
    snap = hb.make_snapshot(tidy, 2020, COUNTRIES, compare_vintage="previous", lang="en", output_dir=out)
    assert snap["figure"].axes[1].get_legend().get_texts()[0].get_text() == f"vintage {OLD}"
    assert list(snap["data"][f"share_vintage_{OLD}"]) == list(snap["data"]["share"])
    assert "Open diamonds" in snap["note"] and "0 of the 8 values drawn differ" in snap["note"]
    plt.close(snap["figure"])


def test_short_source_name_follows_the_vintage(project):
    assert vintage_text.msti_short("en") == "OECD MSTI (retrieved 1 December 2026)"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(vintages.ENV_PINS, f"msti={OLD}")
        # processed data still come from the new vintage: the note refuses to name the wrong one
        with pytest.raises(Exception, match="built from vintage 2026-12-01, but vintage 2025-03"):
            vintage_text.msti_short("en")


# ------------------------------------------------------------------ the cache
def test_cache_keys_on_the_compared_vintage_file(project):
    nb = _nb(FIG01)
    ctx = cache.Context.current()
    params = {"compare_vintage": "previous", "countries": COUNTRIES}
    before, plain = cache.notebook_key(nb, params, ctx), cache.notebook_key(nb, {}, ctx)
    assert before.detail["inputs"][f"raw:{RAW_OLD}"] == manifest_sha(RAW_OLD)
    assert f"raw:{RAW_OLD}" not in plain.detail["inputs"]
    assert cache.notebook_key(nb, {**params, "compare_vintage": OLD}, ctx).detail["inputs"] == before.detail["inputs"]
    path = paths.raw_dir() / RAW_OLD
    saved = path.read_bytes()
    try:
        path.write_bytes(gzip.compress(gzip.decompress(saved) + b"\n", mtime=0))
        after = cache.notebook_key(nb, params, ctx)
        assert cache.changes({"parts": before.parts, "detail": before.detail}, after) == \
            [f"input raw:{RAW_OLD} changed"]
        assert cache.notebook_key(nb, {}, ctx).digest == plain.digest  # the default run does not read it
    finally:
        path.write_bytes(saved)


def manifest_sha(rel: str) -> str:
    return next(e["sha256"] for e in manifest.load(paths.raw_dir())["files"] if e["path"] == rel)


def test_a_changed_compared_vintage_reruns_the_notebook(fig01_run):
    overrides = {"compare_vintage": "previous", "countries": COUNTRIES, "lang": "en"}
    again = pipeline.run([FIG01], overrides, max_workers=1, progress=lambda m: None)
    assert again.ok and not again.ran and len(again.skipped) == 1
    path = paths.raw_dir() / RAW_OLD
    saved = path.read_bytes()
    try:
        path.write_bytes(gzip.compress(gzip.decompress(saved) + b"\n", mtime=0))  # same rows, another file
        rerun = pipeline.run([FIG01], overrides, max_workers=1, progress=lambda m: None)
        assert rerun.ok and len(rerun.ran) == 1
    finally:
        path.write_bytes(saved)


def test_every_vintage_parameter_is_declared_as_the_convention_says():
    """In the real project: each vintage_params entry names a parameter of its notebook (default "") and a file
    that the source's current vintage has, and the notebook's validate hook knows the parameter."""
    specs_ = specs.load_specs(ROOT / "notebooks" / "notebooks.toml")
    declared = {n: s for n, s in specs_.items() if s.vintage_params}
    assert sorted(declared) == [FIG01, "fig03_herd_business_share_2021", "fig04_herd_business_share_trend"]
    for name, spec in declared.items():
        nb = specs.load_notebook(ROOT / "notebooks" / f"{name}.ipynb", specs_)
        for entry in spec.vintage_params:
            param, source, rel = vintage_params.parse(entry, name)
            assert nb.params[param] == "", name
            assert (vintages.folder(REAL_RAW, source) / rel).is_file(), entry
            assert param == msti_compare.PARAM and source == msti_compare.SOURCE and rel == msti_compare.RAW_FILE
        assert spec.as_dict()["vintage_params"] == list(spec.vintage_params)
    plain = specs_["fig09_deck_statements"].as_dict()
    assert "vintage_params" not in plain  # notebooks without one keep the key they had
    with pytest.raises(Exception, match=r"vintage_params entry 'compare_vintage' is not PARAMETER:SOURCE/FILE"):
        vintage_params.parse("compare_vintage", FIG01)
