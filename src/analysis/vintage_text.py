"""How a figure's source note names the vintage of a source it was drawn from, in English or Japanese.

One function per wording, all from the same facts, so that after ``analysis update msti`` (and a build) every
note names the new vintage:

* the vintage is the one the processed data were built from (``data/processed/BUILD.json``, see
  :func:`analysis.vintage_params.built`), read through the vintage's ``SOURCE.md``, which a notebook declares as
  the raw input ``<source>/SOURCE.md`` (so the cache keys on the vintage and the read is audited);
* a vintage fetched by ``analysis update`` says so in its SOURCE.md ("Fetched by `analysis update msti` on
  <time>"): the note says "retrieved on <date>"; a vintage copied by hand is an extract named by the edition date
  its SOURCE.md states (the folder name), e.g. ``2025-03`` -> "extract consistent with the March 2025 edition".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import inputs, labels, paths, vintage_params, vintages
from .errors import DataFileError

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
FETCHED_RE = re.compile(r"Fetched by `analysis update \w+` on (\S+?)[\s,]")


@dataclass(frozen=True)
class Vintage:
    """One vintage of a source as a note names it."""

    source: str
    name: str | None  # the folder (``2025-03``), None for a source read from a plain folder
    fetched: bool  # added by ``analysis update`` (else copied by hand)


def current(source: str) -> Vintage:
    """The vintage of ``source`` the processed data were built from, read from its declared ``SOURCE.md``."""
    path = inputs.raw(f"{source}/SOURCE.md")
    name = vintages.vintage_of(path.relative_to(paths.raw_dir()).as_posix())
    built = vintage_params.built(source)
    if name is not None and built is not None and built != name:
        raise DataFileError(paths.processed_dir() / "BUILD.json",
                            f"{source} was built from vintage {built}, but vintage {name} is the one to read now",
                            hint="run `analysis data` (or ./run.sh reproduce) to rebuild from it")
    if not path.is_file():
        raise DataFileError(path, "missing: every vintage folder has its SOURCE.md")
    return Vintage(source, name, bool(FETCHED_RE.search(path.read_text(encoding="utf-8"))))


def date_text(name: str, lang: str) -> str:
    """A vintage name as a date: ``2025-03`` -> "March 2025" / 「2025年3月」, ``2026-12-01`` -> "1 December 2026"."""
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2})(\d{2})Z)?$", name)
    if not m:
        return name
    y, mo, d, hh, mm = m.groups()
    if lang == "ja":
        return y + "年" + (f"{int(mo)}月" if mo else "") + (f"{int(d)}日" if d else "") + \
            (f" {hh}:{mm}（UTC）" if hh else "")
    out = " ".join(p for p in ((str(int(d)) if d else ""), (MONTHS[int(mo) - 1] if mo else ""), y) if p)
    return out + (f", {hh}:{mm} UTC" if hh else "")


def edition(v: Vintage, lang: str) -> str:
    """The vintage in a source line: "extract consistent with the March 2025 edition" /
    「2025年3月版に相当する抽出データ」, or "release retrieved on 1 December 2026" / 「2026年12月1日取得のデータ、2026-12-01版」."""
    labels.check_lang(lang)
    if v.name is None:
        return labels.text("extract without a dated vintage", "版の日付のない抽出データ", lang)
    when = date_text(v.name, lang)
    if v.fetched:
        return labels.text(f"release retrieved on {when} (vintage {v.name})", f"{when}取得のデータ、{v.name}版", lang)
    return labels.text(f"extract consistent with the {when} edition", f"{when}版に相当する抽出データ", lang)


def short(v: Vintage, lang: str) -> str:
    """The vintage in a list of sources: "March 2025" / 「2025年3月版」, or "retrieved 1 December 2026"."""
    labels.check_lang(lang)
    if v.name is None:
        return labels.text("undated extract", "日付なし", lang)
    when = date_text(v.name, lang)
    if v.fetched:
        return labels.text(f"retrieved {when}", f"{when}取得版", lang)
    return labels.text(when, f"{when}版", lang)


def msti_source_line(lang: str) -> str:
    """The source line of the MSTI figures (1, 3, 4), naming the vintage drawn."""
    ed = edition(current("oecd_msti"), lang)
    return labels.text(f"Source: OECD, Main Science and Technology Indicators (MSTI), DSD_MSTI@DF_MSTI, {ed}",
                       f"出典：OECD「Main Science and Technology Indicators (MSTI)」（DSD_MSTI@DF_MSTI、{ed}）", lang)


def msti_short(lang: str) -> str:
    """"OECD MSTI (March 2025)" / 「OECD MSTI（2025年3月版）」 for the vintage drawn, in a list of sources."""
    s = short(current("oecd_msti"), lang)
    return labels.text(f"OECD MSTI ({s})", f"OECD MSTI（{s}）", lang)

