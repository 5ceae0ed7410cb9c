"""The three updates: OECD MSTI (SDMX REST), World Bank WDI (API v2 bulk CSV) and a user's Japanese-series file.

Each builds the files of the new vintage, its ORIGIN.json record and SOURCE.md, and hands them to
:func:`analysis.update.writer.add_vintage` with the source's own loader as the check.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tomllib
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import manifest, paths
from . import http
from .writer import Added, UpdateValidationError, add_vintage, previous_files

PUBLISHERS_FILE = Path(__file__).with_name("publishers.toml")


def publishers() -> dict[str, Any]:
    """The endpoints and queries of ``publishers.toml``."""
    return tomllib.loads(PUBLISHERS_FILE.read_text(encoding="utf-8"))


def _source_md(source: str, title: str, lines: list[str], raw: Path | None, *, keep_previous: bool = False):
    """A SOURCE.md writer for a new vintage: its provenance, and the previous vintage's file for the conventions
    (referred to, or with ``keep_previous`` copied in full above the new section)."""
    raw = Path(raw or paths.raw_dir())

    def write(vintage: str, previous: str | None) -> str:
        meta = manifest.load(raw)["sources"].get(source, {})
        if keep_previous and previous:
            old = (raw / source / previous / "SOURCE.md").read_text(encoding="utf-8").rstrip("\n")
            return "\n".join([old, "", f"## Vintage {vintage} (added to vintage {previous})", *lines, ""])
        body = [f"# {title}: vintage {vintage}", "", "## Where it came from", *lines,
                f"- Publisher: {meta.get('publisher', '?')}. Licence: {meta.get('licence', '?')}.",
                "- Full request record (URL, query, retrieval time, sha256 and size of each response and file): "
                "`ORIGIN.json` in this folder; the manifest lists it.", ""]
        if previous:
            body += ["## Columns, codes, flags and cautions",
                     f"As described in `../{previous}/SOURCE.md`: the loader checked that this release has the same "
                     "columns and only known codes before the vintage was added. Revisions against it: "
                     f"`analysis diff {source}={previous} {source}={vintage}`.", ""]
        return "\n".join(body)
    return write


def update_msti(*, base_url: str | None = None, timeout: float = 60.0, raw: Path | None = None,
                now: datetime | None = None) -> Added:
    """Fetch the MSTI dataflow as SDMX-CSV with labels and add it as a vintage of ``oecd_msti``."""
    from ..sources import msti

    manifest.verify(raw)  # before any request: an unrecorded change in data/raw stops the update here
    cfg = publishers()["msti"]
    url = http.build_url(base_url or cfg["base_url"], cfg["path"], cfg["params"])
    resp = http.get(url, timeout=timeout, accept=cfg["accept"])
    header = resp.body[:4000].split(b"\n", 1)[0].decode("utf-8-sig", "replace")
    if "OBS_VALUE" not in header or "REF_AREA" not in header:
        raise http.UnexpectedContentError(url, f"first line is not an SDMX-CSV header: {header[:160]!r}")
    if not resp.body.endswith(b"\n"):
        raise http.TruncatedBodyError(url, f"the CSV's last line is cut off after {len(resp.body):,} bytes")
    stored = gzip.compress(resp.body, compresslevel=6, mtime=0)  # mtime 0: the same body gives the same file
    query = {"dataflow": "OECD.STI.STP,DSD_MSTI@DF_MSTI", "key": "all", **cfg["params"], "accept": cfg["accept"]}
    origin = {"api": cfg["api"], "url": url, "retrieved": resp.retrieved, "requests": [resp.record(query)],
              "stored_as": f"{cfg['file']} (gzip of the response body, unchanged)", "command": "analysis update msti"}
    md = _source_md(cfg["source"], "OECD Main Science and Technology Indicators (MSTI)", [
        f"- Fetched by `analysis update msti` on {resp.retrieved} from the {cfg['api']}:",
        f"  `{url}`.",
        f"- Response: {len(resp.body):,} bytes, sha256 `{resp.sha256}`; stored gzip-compressed as `{cfg['file']}`."],
        raw)
    return add_vintage(cfg["source"], {cfg["file"]: stored}, origin, md, lambda staged: msti.load(staged),
                       raw=raw, now=now)


def _wdi_member(url: str, code: str, body: bytes) -> tuple[str, bytes]:
    """The ``API_<code>_DS2_*.csv`` member of a World Bank bulk-download ZIP, CRC-checked."""
    if body[:2] != b"PK":
        kind = http.ErrorPageError if body.lstrip()[:1] == b"<" else http.UnexpectedContentError
        raise kind(url, f"not a ZIP archive: {body[:160].decode('utf-8', 'replace')!r}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(body))
        names = [n for n in zf.namelist() if re.fullmatch(rf"API_{re.escape(code)}_DS2_\w+_csv_v2_\d+\.csv", n)]
        if len(names) != 1:
            raise http.UnexpectedContentError(url, f"ZIP has no single API_{code}_DS2_*.csv member: {zf.namelist()}")
        return names[0], zf.read(names[0])
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise http.TruncatedBodyError(url, f"ZIP archive is incomplete or corrupt ({exc})") from None


def update_wdi(*, base_url: str | None = None, timeout: float = 60.0, raw: Path | None = None,
               now: datetime | None = None) -> Added:
    """Fetch the three WDI indicators (bulk CSV per indicator) and add them as a vintage of ``worldbank_wdi``."""
    from ..sources import wdi

    manifest.verify(raw)  # before any request (see update_msti)
    cfg = publishers()["wdi"]
    files: dict[str, bytes] = {}
    records = []
    for code in cfg["indicators"]:
        url = http.build_url(base_url or cfg["base_url"], cfg["path"].format(code=code), cfg["params"])
        resp = http.get(url, timeout=timeout, accept=cfg["accept"])
        name, data = _wdi_member(url, code, resp.body)
        files[name] = data
        records.append({**resp.record({"indicator": code, **cfg["params"]}), "member": name,
                        "member_sha256": hashlib.sha256(data).hexdigest()})

    def validate(staged: Path) -> None:
        found = set(wdi.load(staged)["indicator"])
        if found != set(cfg["indicators"]):
            raise UpdateValidationError(f"worldbank_wdi: indicators {sorted(found)} instead of {cfg['indicators']}")

    origin = {"api": cfg["api"], "url": records[0]["url"], "retrieved": records[0]["retrieved"],
              "requests": records, "command": "analysis update wdi"}
    md = _source_md(cfg["source"], "World Bank World Development Indicators (WDI)", [
        f"- Fetched by `analysis update wdi` on {records[0]['retrieved']} from the {cfg['api']}, one request per "
        "indicator; the `API_*.csv` member of each ZIP is stored unchanged:",
        *[f"  - `{r['url']}` -> `{r['member']}` (sha256 `{r['member_sha256']}`)" for r in records]], raw)
    return add_vintage(cfg["source"], files, origin, md, validate, raw=raw, now=now)


def update_japan(file: str | Path, *, raw: Path | None = None, now: datetime | None = None) -> Added:
    """Add a vintage of ``japan``: the newest vintage's files plus ``file`` (a new file, or a new edition of the
    file of the same name), validated by the Japanese-series loader (columns, series, units, bounds, duplicates)."""
    from ..sources import japan
    from .. import vintages

    path = Path(file)
    if not path.is_file():
        raise UpdateValidationError(f"parameter --file={str(file)!r}: file not found: {path.resolve()}")
    if path.suffix.lower() != ".csv":
        raise UpdateValidationError(f"parameter --file={str(file)!r}: expected a .csv file in the format of "
                                    f"data/raw/japan/*/*.csv ({','.join(japan.COLUMNS)})")
    raw_ = Path(raw or paths.raw_dir())
    have = vintages.available(raw_, japan.SOURCE)
    files = previous_files(raw_, japan.SOURCE, have[-1]) if have else {}
    data = path.read_bytes()
    replaced = path.name in files
    files[path.name] = data
    japan.read_file(path)  # the file itself first, so an error names the user's file, row and column
    digest = hashlib.sha256(data).hexdigest()
    origin = {"api": "user file", "url": path.resolve().as_uri(), "retrieved": _now_text(now),
              "requests": [{"file": str(path.resolve()), "sha256": digest, "bytes": len(data)}],
              "replaces": path.name if replaced else None, "command": f"analysis update japan --file {path.name}"}
    md = _source_md(japan.SOURCE, "Japanese industry-academia collaboration series", [
        f"- Added by `analysis update japan --file {path.name}` on {origin['retrieved']}: the previous vintage's "
        f"files unchanged, and `{path.name}` ({len(data):,} bytes, sha256 `{digest}`) "
        + ("replacing the file of that name." if replaced else "as a new file."),
        "- Each row's publisher and URL are in its `source_id` and `note`."], raw_, keep_previous=True)
    return add_vintage(japan.SOURCE, files, origin, md, lambda staged: japan.load(staged), raw=raw_, now=now)


def _now_text(now: datetime | None) -> str:
    from datetime import timezone

    t = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return t.isoformat().replace("+00:00", "Z")
