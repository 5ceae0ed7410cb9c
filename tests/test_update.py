"""``analysis update`` and ``analysis diff`` against a replay server on 127.0.0.1, always in a scratch project.

The recorded responses are built from the committed raw files: the MSTI response is the committed extract's rows
for four economies (the scratch project's first vintage holds the same rows), with three deliberate edits that a
publisher's revision could make: one revised value, one new year and one new flag. Every failure test checks that
the previous vintage, the manifest and data/processed are byte-identical afterwards.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import socket
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from analysis import build, cli, manifest, paths, vintage_diff, vintages
from analysis.update import fetchers, http
from analysis.update.writer import UpdateValidationError
from tests.conftest import ROOT, shared_dir, shared_once
from tests.replay import Replay, committed_msti_rows, csv_bytes

REAL_RAW = ROOT / "data" / "raw"
AREAS = {"JPN", "KOR", "DEU", "USA"}
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
B_RS = ("B_RS", "FTE", "_Z", "_Z")


# ------------------------------------------------------------------ recorded responses from the committed files
def _four_economies(header: list[str], row: list[str]) -> bool:
    return row[header.index("REF_AREA")] in AREAS


def _msti_rows(tmp_path_factory) -> tuple[list[str], list[list[str]]]:
    """Header and the rows of four economies of the committed MSTI extract (csv-parsed), read once per run."""
    return shared_once(tmp_path_factory, "msti_four_economies",
                       lambda: committed_msti_rows(REAL_RAW, _four_economies))


@pytest.fixture(scope="module")
def msti_rows(tmp_path_factory) -> tuple[list[str], list[list[str]]]:
    """Header and the rows of four economies of the committed MSTI extract (csv-parsed)."""
    return _msti_rows(tmp_path_factory)


_csv_bytes = csv_bytes


def _col(header: list[str]) -> dict[str, int]:
    return {name: header.index(name) for name in
            ("REF_AREA", "MEASURE", "UNIT_MEASURE", "PRICE_BASE", "TRANSFORMATION", "TIME_PERIOD", "OBS_VALUE",
             "OBS_STATUS")}


def _find(header, rows, area, key, year=None):
    c = _col(header)
    hits = [r for r in rows if r[c["REF_AREA"]] == area
            and (r[c["MEASURE"]], r[c["UNIT_MEASURE"]], r[c["PRICE_BASE"]], r[c["TRANSFORMATION"]]) == key
            and (year is None or r[c["TIME_PERIOD"]] == str(year)) and r[c["OBS_VALUE"]] != ""]
    return hits


@pytest.fixture(scope="module")
def revised_msti(msti_rows):
    """The replayed publisher's response: the same rows with one revised value, one new year and one new flag."""
    header, rows = msti_rows
    rows = [list(r) for r in rows]
    c = _col(header)
    jpn = sorted(_find(header, rows, "JPN", B_RS), key=lambda r: int(r[c["TIME_PERIOD"]]))
    revised = next(r for r in jpn if r[c["TIME_PERIOD"]] == "2020")
    old_value = float(revised[c["OBS_VALUE"]])
    revised[c["OBS_VALUE"]] = repr(old_value * 1.01)  # deliberately revised by 1 %
    new_year = list(jpn[-1])
    last = int(new_year[c["TIME_PERIOD"]])
    new_year[c["TIME_PERIOD"]] = str(last + 1)  # deliberately added year, value of the last year
    rows.append(new_year)
    kor = next(r for r in sorted(_find(header, rows, "KOR", B_RS), key=lambda r: r[c["TIME_PERIOD"]])
               if r[c["OBS_STATUS"]] == "")
    kor[c["OBS_STATUS"]] = "P"  # deliberately flagged provisional
    expected = {("JPN", 2020, "revised"), ("JPN", last + 1, "added"), ("KOR", int(kor[c["TIME_PERIOD"]]), "flag changed")}
    return header, rows, expected, old_value


# ------------------------------------------------------------------ scratch project
def _make_project(root: Path, rows: tuple[list[str], list[list[str]]]) -> None:
    """Lay out the scratch project at ``root``: data/raw copied with MSTI vintage 2025-03 = ``rows``, the
    manifest refreshed, notebooks.toml, and the processed data of a small source built."""
    shutil.copytree(REAL_RAW, root / "data" / "raw", copy_function=shutil.copy)
    shutil.copy(ROOT / "data" / "vintages.toml", root / "data" / "vintages.toml")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "notebooks.toml", root / "notebooks" / "notebooks.toml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_ROOT", str(root))
        mp.setenv("SANGAKU_OUTPUT", str(root / "output"))
        mp.delenv(vintages.ENV_PINS, raising=False)
        raw = paths.raw_dir()
        assert raw == (root / "data" / "raw").resolve()
        (raw / "oecd_msti" / "2025-03" / "msti_raw.csv.gz").write_bytes(gzip.compress(_csv_bytes(*rows), mtime=0))
        manifest.refresh(raw)
        build.build(raw, sources=["cincera1997"])


@pytest.fixture()
def project(tmp_path, monkeypatch, tmp_path_factory) -> Path:
    """A scratch project root: data/raw copied (MSTI vintage 2025-03 = the four economies), notebooks.toml,
    processed data of a small source; ``SANGAKU_ROOT`` and ``SANGAKU_OUTPUT`` point at it. Laid out once per
    test run (``conftest.shared_dir``: the manifest refresh and the build are the slow part) and copied here,
    so every test gets a fresh, writable copy (no absolute path is stored in it)."""
    rows = _msti_rows(tmp_path_factory)
    pristine = shared_dir(tmp_path_factory, "update-project", lambda folder: _make_project(folder, rows))
    root = tmp_path / "proj"
    shutil.copytree(pristine, root, copy_function=shutil.copy)
    monkeypatch.setenv("SANGAKU_ROOT", str(root))
    monkeypatch.setenv("SANGAKU_OUTPUT", str(root / "output"))
    monkeypatch.delenv(vintages.ENV_PINS, raising=False)
    assert paths.raw_dir() == (root / "data" / "raw").resolve()
    assert manifest.verify(paths.raw_dir()).checked == len(manifest.load(paths.raw_dir())["files"])
    return root


def _state(root: Path) -> dict[str, str]:
    """sha256 of every file under data/ (raw vintages, manifest, processed)."""
    data = root / "data"
    return {p.relative_to(data).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.fixture()
def replay():
    server = Replay().start()
    yield server
    server.stop()


def _msti_path() -> str:
    cfg = fetchers.publishers()["msti"]
    return http.build_url("", cfg["path"], cfg["params"])


def _wdi_path(code: str) -> str:
    cfg = fetchers.publishers()["wdi"]
    return http.build_url("", cfg["path"].format(code=code), cfg["params"])


# ------------------------------------------------------------------ MSTI: update, verify, build, diff
def test_msti_update_adds_a_vintage_that_builds_and_diffs_exactly(project, replay, revised_msti):
    header, rows, expected, old_value = revised_msti
    body = _csv_bytes(header, rows)
    replay.add(_msti_path(), body, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    before = _state(project)
    added = fetchers.update_msti(base_url=replay.base_url, timeout=10, now=NOW)
    assert added.vintage == "2026-12-01" and added.previous == "2025-03"
    raw = paths.raw_dir()
    folder = raw / "oecd_msti" / "2026-12-01"
    assert gzip.decompress((folder / "msti_raw.csv.gz").read_bytes()) == body
    origin = json.loads((folder / "ORIGIN.json").read_text())
    req = origin["requests"][0]
    assert req["url"] == replay.base_url + _msti_path() and req["sha256"] == hashlib.sha256(body).hexdigest()
    assert req["bytes"] == len(body) and req["http_status"] == 200 and origin["retrieved"].endswith("Z")
    assert req["query"]["dataflow"] == "OECD.STI.STP,DSD_MSTI@DF_MSTI"
    assert "analysis update msti" in (folder / "SOURCE.md").read_text()
    # old vintage untouched, manifest lists and verifies both, with the origin
    after = _state(project)
    assert {k: v for k, v in after.items() if k in before and not k.endswith("manifest.json")} == \
        {k: v for k, v in before.items() if not k.endswith("manifest.json")}
    assert manifest.verify(raw).checked == len(manifest.load(raw)["files"])
    assert vintages.available(raw, "oecd_msti") == ["2025-03", "2026-12-01"]
    rec = next(r for r in manifest.load(raw)["vintages"] if r["vintage"] == "2026-12-01" and r["source"] == "oecd_msti")
    assert rec["origin"]["requests"][0]["sha256"] == req["sha256"]
    entry = next(e for e in manifest.load(raw)["files"] if e["path"] == "oecd_msti/2026-12-01/msti_raw.csv.gz")
    assert entry["vintage"] == "2026-12-01" and entry["original"]["sha256"] == req["sha256"]
    # the build reads the newest vintage and says so; a pin rebuilds from the old one
    build.build(raw, sources=["oecd_msti"])
    built = json.loads((paths.processed_dir() / "BUILD.json").read_text())
    assert built["vintages"]["oecd_msti"] == "2026-12-01"
    tidy = pd.read_parquet(paths.processed_dir() / "oecd_msti.parquet")
    jpn = tidy[(tidy.indicator == "B_RS.FTE._Z._Z") & (tidy.entity == "JPN") & (tidy.year == 2020)]
    assert jpn["value"].item() == pytest.approx(old_value * 1.01, rel=1e-12)
    assert cli.main(["data", "oecd_msti"]) == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(vintages.ENV_PINS, "msti=2025-03")
        build.build(raw, sources=["oecd_msti"])
        tidy_old = pd.read_parquet(paths.processed_dir() / "oecd_msti.parquet")
        assert json.loads((paths.processed_dir() / "BUILD.json").read_text())["vintages"]["oecd_msti"] == "2025-03"
    old = tidy_old[(tidy_old.indicator == "B_RS.FTE._Z._Z") & (tidy_old.entity == "JPN") & (tidy_old.year == 2020)]
    assert old["value"].item() == old_value
    # the diff lists exactly the three edits, under the figures that draw B_RS (fig01, h4, h5)
    d = vintage_diff.diff("oecd_msti", "2025-03", "2026-12-01")
    got = {(r.entity, int(r.year), r.change) for r in d.table.itertuples()}
    assert got == expected
    figures = set(d.table["figure"])
    assert {"fig01_business_researchers_index", "h4_country_absorptive_capacity", "h5_summary_all_hypotheses"} <= figures
    assert not figures & {"fig03_herd_business_share_2021", "fig04_herd_business_share_trend", vintage_diff.NOT_DRAWN}
    assert d.counts() == {"added": 1, "flag changed": 1, "revised": 1}
    rev = d.table[d.table.change == "revised"].iloc[0]
    assert rev.old_value == old_value and rev.rel_change == pytest.approx(0.01, rel=1e-9)
    flag = d.table[d.table.change == "flag changed"].iloc[0]
    assert (flag.old_flags, flag.new_flags) == ("", "P")
    # a tolerance above the revision hides it; the year and the flag stay
    loose = vintage_diff.diff("oecd_msti", "2025-03", "2026-12-01", rtol=0.02)
    assert {r.change for r in loose.table.itertuples()} == {"added", "flag changed"}
    # the command prints the table and writes CSV and Markdown
    assert cli.main(["diff", "msti=2025-03", "msti=2026-12-01", "--no-verdicts"]) == 0  # verdicts: test_update_verdicts
    out = project / "output" / "diff"
    table = pd.read_csv(out / "oecd_msti_2025-03_2026-12-01.csv", keep_default_na=False)
    assert sorted(table["change"].unique()) == ["added", "flag changed", "revised"]
    assert "| JPN | B_RS.FTE._Z._Z | 2020 |" in (out / "oecd_msti_2025-03_2026-12-01.md").read_text()


def test_same_data_again_adds_no_vintage(project, replay, msti_rows):
    replay.add(_msti_path(), _csv_bytes(*msti_rows), content_type="text/csv")
    before = _state(project)
    added = fetchers.update_msti(base_url=replay.base_url, timeout=10, now=NOW)
    assert added.vintage is None and "equal vintage 2025-03" in added.message
    assert _state(project) == before


def test_second_update_on_one_day_gets_a_new_folder(project, replay, revised_msti):
    header, rows, _, _ = revised_msti
    replay.add(_msti_path(), _csv_bytes(header, rows), content_type="text/csv")
    first = fetchers.update_msti(base_url=replay.base_url, timeout=10, now=NOW)
    replay.add(_msti_path(), _csv_bytes(header, rows[:-1]), content_type="text/csv")  # the new year withdrawn
    second = fetchers.update_msti(base_url=replay.base_url, timeout=10, now=NOW)
    assert (first.vintage, second.vintage) == ("2026-12-01", "2026-12-01T0930Z")
    assert vintages.available(paths.raw_dir(), "oecd_msti")[-1] == "2026-12-01T0930Z"
    d = vintage_diff.diff("oecd_msti", "2026-12-01", "2026-12-01T0930Z")
    assert set(d.table["change"]) == {"removed"}


# ------------------------------------------------------------------ failures: named, nothing written
def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _fails(project, exc_type, match, **kw):
    before = _state(project)
    with pytest.raises(exc_type, match=match):
        fetchers.update_msti(timeout=kw.pop("timeout", 5), now=NOW, **kw)
    assert _state(project) == before
    assert not [p for p in paths.raw_dir().iterdir() if p.name.startswith(".staging")]


def test_no_network_is_named(project):
    _fails(project, http.NoNetworkError, r"no network: cannot connect",
           base_url=f"http://127.0.0.1:{_closed_port()}")


def test_timeout_is_named(project, replay, msti_rows):
    replay.add(_msti_path(), _csv_bytes(*msti_rows), mode="slow", delay=3.0)
    _fails(project, http.FetchTimeoutError, r"timeout: no answer within 0.5 s", base_url=replay.base_url, timeout=0.5)


def test_http_error_is_named(project, replay):
    replay.add(_msti_path(), b"Service temporarily unavailable", status=503, content_type="text/plain")
    _fails(project, http.HTTPStatusError, r"HTTP error: status 503 .*Service temporarily unavailable",
           base_url=replay.base_url)


def test_error_page_with_status_200_is_named(project, replay):
    replay.add(_msti_path(), b"<!DOCTYPE html><html><body>Maintenance</body></html>", content_type="text/html")
    _fails(project, http.ErrorPageError, r"error page instead of data: status 200, Content-Type text/html",
           base_url=replay.base_url)


def test_truncated_body_is_named(project, replay, msti_rows):
    body = _csv_bytes(*msti_rows)
    replay.add(_msti_path(), body[: len(body) // 2], mode="truncate", content_type="text/csv")
    _fails(project, http.TruncatedBodyError, r"truncated response", base_url=replay.base_url)


def test_cut_last_line_without_length_is_named(project, replay, msti_rows):
    body = _csv_bytes(*msti_rows)
    replay.add(_msti_path(), body[:-30], content_type="text/csv")
    _fails(project, http.TruncatedBodyError, r"last line is cut off", base_url=replay.base_url)


def test_other_columns_are_named(project, replay, msti_rows):
    header, rows = msti_rows
    drop = header.index("OBS_STATUS")
    replay.add(_msti_path(), _csv_bytes([h for i, h in enumerate(header) if i != drop],
                                        [[v for i, v in enumerate(r) if i != drop] for r in rows]))
    _fails(project, UpdateValidationError, r"do not load with the oecd_msti loader.*OBS_STATUS",
           base_url=replay.base_url)


def test_other_codes_are_named(project, replay, msti_rows):
    header, rows = msti_rows
    rows = [list(r) for r in rows]
    rows[5][header.index("MEASURE")] = "B_XYZ"
    replay.add(_msti_path(), _csv_bytes(header, rows))
    _fails(project, UpdateValidationError, r"column 'MEASURE', row 7: unknown code 'B_XYZ'", base_url=replay.base_url)


def test_not_sdmx_csv_is_named(project, replay):
    replay.add(_msti_path(), b"a,b\n1,2\n", content_type="text/csv")
    _fails(project, http.UnexpectedContentError, r"not an SDMX-CSV header", base_url=replay.base_url)


def test_cli_update_error_is_one_line_exit_2(project, capsys):
    assert cli.main(["update", "msti", "--base-url", f"http://127.0.0.1:{_closed_port()}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: no network") and "unchanged" in err


# ------------------------------------------------------------------ WDI
def _wdi_zip(code: str, edit=None) -> bytes:
    src = next(vintages.folder(REAL_RAW, "worldbank_wdi").glob(f"API_{code}_DS2_*.csv"))
    data = src.read_bytes()
    if edit:
        data = edit(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(src.name, data)
        zf.writestr(f"Metadata_Indicator_{src.name}", b"INDICATOR_CODE\n")
    return buf.getvalue()


def _revise_jpn(data: bytes) -> bytes:
    """JPN's last non-empty value raised by 1 % and the following empty year filled (deliberate edits)."""
    text = data.decode("utf-8-sig")
    lines = text.split("\n")
    i = next(k for k, ln in enumerate(lines) if ln.startswith('"Japan","JPN"'))
    cells = lines[i].split('","')
    k = max(j for j, c in enumerate(cells) if c.strip('",') and j >= 4)
    value = float(cells[k].strip('",'))
    cells[k] = repr(value * 1.01)
    cells[k + 1] = repr(value)
    lines[i] = '","'.join(cells)
    return "\ufeff".encode() + "\n".join(lines).encode("utf-8")


def test_wdi_update_adds_a_vintage(project, replay):
    cfg = fetchers.publishers()["wdi"]
    for code in cfg["indicators"]:
        edit = _revise_jpn if code == "GB.XPD.RSDV.GD.ZS" else None
        replay.add(_wdi_path(code), _wdi_zip(code, edit), content_type="application/zip")
    added = fetchers.update_wdi(base_url=replay.base_url, timeout=10, now=NOW)
    assert added.vintage == "2026-12-01" and added.previous == "2026-07-13" and len(added.files) == 3
    origin = json.loads((added.folder / "ORIGIN.json").read_text())
    assert [r["query"]["indicator"] for r in origin["requests"]] == cfg["indicators"]
    d = vintage_diff.diff("worldbank_wdi", "2026-07-13", "2026-12-01")
    changed = d.table.drop_duplicates(["entity", "indicator", "year", "change"])
    assert sorted(changed["change"]) == ["added", "revised"]
    assert set(changed["entity"]) == {"JPN"} and set(changed["indicator"]) == {"GB.XPD.RSDV.GD.ZS"}
    assert manifest.verify(paths.raw_dir()).checked == len(manifest.load(paths.raw_dir())["files"])


@pytest.mark.parametrize("body,ctype,err,match", [
    (b'<?xml version="1.0"?><wb:error><wb:message id="120">Invalid value</wb:message></wb:error>',
     "text/xml", http.ErrorPageError, "not a ZIP archive"),
    (None, "application/zip", http.TruncatedBodyError, "ZIP archive is incomplete"),
])
def test_wdi_failures_are_named_and_write_nothing(project, replay, body, ctype, err, match):
    cfg = fetchers.publishers()["wdi"]
    for code in cfg["indicators"]:
        replay.add(_wdi_path(code), _wdi_zip(code), content_type="application/zip")
    last = cfg["indicators"][-1]
    replay.add(_wdi_path(last), body if body is not None else _wdi_zip(last)[:-200], content_type=ctype)
    before = _state(project)
    with pytest.raises(err, match=match):
        fetchers.update_wdi(base_url=replay.base_url, timeout=10, now=NOW)
    assert _state(project) == before


# ------------------------------------------------------------------ Japanese series from a file
def test_japan_update_from_file_is_validated_by_the_loader(project, tmp_path):
    src = vintages.folder(REAL_RAW, "japan") / "mext_sangaku_headlines.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text(lines[0].replace("unit", "units") + "\n" + "\n".join(lines[1:3]) + "\n", encoding="utf-8")
    before = _state(project)
    with pytest.raises(Exception, match=r"bad.csv.*unit"):
        fetchers.update_japan(bad, now=NOW)
    assert cli.main(["update", "japan", "--file", str(tmp_path / "missing.csv")]) == 2
    assert _state(project) == before
    # a new edition of one file: one row dropped (as if withdrawn by the publisher)
    edition = tmp_path / "mext_sangaku_headlines.csv"
    edition.write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    added = fetchers.update_japan(edition, now=NOW)
    assert added.vintage == "2026-12-01" and added.previous == "2026-11-29"
    md = (added.folder / "SOURCE.md").read_text()
    assert md.startswith(( vintages.folder(REAL_RAW, "japan") / "SOURCE.md").read_text()[:200])
    assert "replacing the file of that name" in md
    d = vintage_diff.diff("japan", "2026-11-29", "2026-12-01")
    assert set(d.table.drop_duplicates(["entity", "indicator", "year"])["change"]) == {"removed"}
    assert len(d.table.drop_duplicates(["entity", "indicator", "year", "change"])) == 1


# ------------------------------------------------------------------ pins, reproduce --vintage, refresh
def test_reproduce_vintage_pin_is_checked_before_anything_runs(project, capsys):
    assert cli.main(["reproduce", "--vintage", "msti=1999-01", "--no-site"]) == 2
    err = capsys.readouterr().err
    assert "--vintage oecd_msti=1999-01: no such committed vintage" in err and "available: 2025-03" in err
    assert not (project / "output" / "notebooks").exists()


def test_pins_file_and_environment(project, monkeypatch):
    raw = paths.raw_dir()
    (project / "data" / "vintages.toml").write_text('[pins]\nmsti = "2024-06"\n')
    with pytest.raises(vintages.VintageError, match=r"oecd_msti=2024-06: no such committed vintage"):
        vintages.folder(raw, "oecd_msti")
    monkeypatch.setenv(vintages.ENV_PINS, "oecd_msti=2025-03")
    assert vintages.folder(raw, "oecd_msti") == raw / "oecd_msti" / "2025-03"
    monkeypatch.setenv(vintages.ENV_PINS, "nosuch=2025-03")
    with pytest.raises(vintages.VintageError, match="no committed vintage of source 'nosuch'"):
        vintages.resolved(raw)
    monkeypatch.setenv(vintages.ENV_PINS, "msti=March")
    with pytest.raises(vintages.VintageError, match="'March' is not a date"):
        vintages.pins(raw)


def test_refresh_on_truncated_gz_is_one_line_exit_2(project, capsys):
    raw = paths.raw_dir()
    target = raw / "pwt" / "2023-01" / "pwt10.01.csv.gz"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 3])
    before = (raw / "manifest.json").read_bytes()
    assert cli.main(["manifest", "--refresh"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pwt10.01.csv.gz" in err and "truncated or corrupt gzip" in err
    assert (raw / "manifest.json").read_bytes() == before


def test_refresh_refuses_a_file_outside_a_vintage_folder(project):
    raw = paths.raw_dir()
    (raw / "japan" / "flat.csv").write_text("a\n1\n")
    with pytest.raises(Exception, match=r"japan/flat.csv.*not inside a vintage folder.*data/raw/japan/<YYYY-MM-DD>/"):
        manifest.refresh(raw)


# ------------------------------------------------------------------ hypotheses before and after
def test_verdict_diff_lists_flips_first(tmp_path, monkeypatch):
    """Two verdict exports in the summary notebook's layout (made-up rows: this tests the comparison only)."""
    from analysis import verdict_diff

    cols = ["family", "hypothesis", "headline", "model", "term", "estimate", "ci_low", "ci_high", "p_value", "n_obs",
            "verdict"]
    old = pd.DataFrame([["country", "C1b", True, "C1b FE", "x", 0.10, 0.03, 0.17, 0.004, 900, "supported"],
                        ["firm", "F1", True, "F1 pooled", "y", -0.12, -0.33, 0.09, 0.26, 1629, "not supported"],
                        ["firm", "F2", True, "F2 pooled", "z", 0.01, -0.1, 0.12, 0.8, 1629, "not supported"]],
                       columns=cols)
    new = old.copy()
    new.loc[0, ["estimate", "ci_low", "p_value", "verdict"]] = [0.06, -0.01, 0.07, "not supported"]
    new.loc[1, "estimate"] = -0.125
    new.loc[2, "estimate"] = 0.01 * (1 + 1e-9)  # below the tolerance
    old.to_csv(tmp_path / "old.csv", index=False)
    new.to_csv(tmp_path / "new.csv", index=False)
    d = verdict_diff.compare(tmp_path / "old.csv", tmp_path / "new.csv")
    assert list(d.table["hypothesis"]) == ["C1b", "F1"]
    assert list(d.table["change"]) == ["verdict flipped", "estimate moved"]
    assert (d.table.loc[0, "verdict_old"], d.table.loc[0, "verdict_new"]) == ("supported", "not supported")
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "out"))
    assert cli.main(["diff", str(tmp_path / "old.csv"), str(tmp_path / "new.csv")]) == 0
    assert "1 verdict flip(s)" in (tmp_path / "out" / "diff" / "verdicts.md").read_text()
    old.drop(columns="verdict").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(Exception, match=r"bad.csv.*missing column\(s\) verdict"):
        verdict_diff.compare(tmp_path / "bad.csv", tmp_path / "new.csv")


def test_update_refuses_to_start_on_an_unrecorded_change(project, replay, revised_msti):
    """An update refreshes the manifest, so it must not absorb an unrelated edit: it verifies all of data/raw first."""
    header, rows, _, _ = revised_msti
    replay.add(_msti_path(), _csv_bytes(header, rows), content_type="text/csv")
    target = vintages.folder(paths.raw_dir(), "cincera1997") / "PatentsRD.csv"
    target.write_text(target.read_text().replace("1983,1,4,3,18", "1983,1,4,3,19"))
    before = _state(project)
    with pytest.raises(Exception, match=r"PatentsRD.csv: sha256 mismatch"):
        fetchers.update_msti(base_url=replay.base_url, timeout=10, now=NOW)
    assert _state(project) == before and replay.requests == []


def test_diff_series_file_names_real_notebooks_and_series(msti_tidy):
    """Every notebook in vintage_diff_series.toml is declared in notebooks.toml and reads that dataset, and every
    series it names exists in the committed data (a typo would silently hide a change)."""
    import tomllib

    from analysis.execution import specs
    from analysis.sources import japan

    narrow = tomllib.loads(vintage_diff.SERIES_FILE.read_text(encoding="utf-8"))
    declared = specs.load_specs(ROOT / "notebooks" / "notebooks.toml")
    have = {"oecd_msti": set(msti_tidy["indicator"]), "japan": set(japan.load(REAL_RAW)["indicator"])}
    for name, sets in narrow.items():
        assert name in declared, name
        for dataset, indicators in sets.items():
            assert dataset in declared[name].processed, (name, dataset)
            assert set(indicators) <= have[dataset], (name, sorted(set(indicators) - have[dataset]))
