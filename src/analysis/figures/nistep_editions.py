"""Figure 1 against the deck's own source: the OECD MSTI values drawn in figure 1 next to every value NISTEP
科学技術指標 editions print in their text (図表2-2-4, business-enterprise researchers, FTE).

Sources: editions 2015-2018 and 2024 in ``data/raw/japan`` (``nistep_text_values.csv``), editions 2021 and 2023
(and the 2022 edition via nippon.com) in ``data/raw/nistep_text_phd_bizres_2``. Each printed value (万人, one
decimal) is compared with MSTI ``B_RS.FTE._Z._Z`` (the vintage built) for the same country and year:

- **same**: equal to NISTEP's rounding (``rounding_persons`` in ``nistep_editions_conventions.toml``);
- **different definition (year)**: equal only at the declared year offset (Japan: NISTEP dates the count by the
  survey date, 31 March, one year after MSTI's reference year);
- **revised**: a different value for the same country and year (the OECD or the country revised it later);
- **year not stated** / **not in MSTI**: not compared.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import DataFileError

DATASETS = ("oecd_msti", "japan", "nistep_text_phd_bizres_2")
MSTI_SERIES = "B_RS.FTE._Z._Z"
NISTEP_SERIES = "business_researchers_fte"
CONVENTIONS_FILE = Path(__file__).with_name("nistep_editions_conventions.toml")
STATUS_JA = {"same": "同じ", "different definition (year)": "定義の違い（年の付け方）", "revised": "改訂",
             "year not stated": "年の記載なし", "not in MSTI": "MSTIに値なし"}


@functools.lru_cache(maxsize=2)
def conventions(path: Path = CONVENTIONS_FILE) -> dict:
    """Rounding and year offsets (``nistep_editions_conventions.toml``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"cannot read the matching conventions: {exc}") from exc


def edition_of(source_id: str) -> int | None:
    """The edition of a NISTEP value: ``NISTEP_STI2024_…`` -> 2024, else the declaration of ``nistep_text``."""
    from ..sources import nistep_text

    m = re.match(r"NISTEP_STI(\d{4})_", source_id)
    return int(m.group(1)) if m else nistep_text.edition(source_id)


def nistep_values(japan: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """Every printed business-researcher value of the editions, with its edition."""
    rows = pd.concat([japan[japan["indicator"] == NISTEP_SERIES], text[text["indicator"] == NISTEP_SERIES]],
                     ignore_index=True)
    rows = rows.assign(edition=rows["source_id"].map(edition_of))
    return rows.sort_values(["edition", "entity", "source_id"], kind="mergesort").reset_index(drop=True)


def compare(msti: pd.DataFrame, japan: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """One row per NISTEP value: the MSTI value compared, the difference and the status (see module doc)."""
    conv = conventions()
    tol, offsets = conv["rounding_persons"], conv.get("year_offset", {})
    m = msti[msti["indicator"] == MSTI_SERIES].set_index(["entity", "year"])[["value", "flags"]]
    out = []
    for r in nistep_values(japan, text).itertuples():
        row = {"edition": r.edition, "entity": r.entity, "nistep_year": r.year, "nistep_10k": r.value / 1e4,
               "msti_year": pd.NA, "msti_10k": float("nan"), "msti_flags": "", "difference_10k": float("nan"),
               "source_id": r.source_id, "reliability": r.reliability}
        if pd.isna(r.year):
            out.append({**row, "status": "year not stated"})
            continue
        year = int(r.year)
        same_year = m.loc[(r.entity, year)] if (r.entity, year) in m.index else None
        off = offsets.get(r.entity)
        shifted = m.loc[(r.entity, year - off)] if off and (r.entity, year - off) in m.index else None
        if same_year is not None and abs(same_year["value"] - r.value) <= tol:
            status, hit, y = "same", same_year, year
        elif shifted is not None and abs(shifted["value"] - r.value) <= tol:
            status, hit, y = "different definition (year)", shifted, year - off
        elif same_year is not None:
            status, hit, y = "revised", same_year, year
        else:
            out.append({**row, "status": "not in MSTI"})
            continue
        out.append({**row, "msti_year": y, "msti_10k": round(hit["value"] / 1e4, 2), "msti_flags": hit["flags"],
                    "difference_10k": round((hit["value"] - r.value) / 1e4, 2), "status": status})
    frame = pd.DataFrame(out)
    frame["msti_year"] = frame["msti_year"].astype("Int64")
    frame["nistep_year"] = frame["nistep_year"].astype("Int64")
    return frame


def summary(table: pd.DataFrame, lang: str = "ja") -> str:
    """Counts per status and the cases that are not 'same', in one paragraph (for the figure's note)."""
    counts = table["status"].value_counts()
    en = lang == "en"
    order = ["same", "different definition (year)", "revised", "year not stated", "not in MSTI"]
    parts = [f"{counts.get(s, 0)} {s}" if en else f"{STATUS_JA[s]} {counts.get(s, 0)}件" for s in order
             if counts.get(s, 0)]
    rev = table[table["status"] == "revised"]
    rev_txt = "; ".join(f"{r.entity} {r.nistep_year} ({r.edition} ed.) {r.nistep_10k:.1f} vs {r.msti_10k:.2f}"
                        for r in rev.itertuples())
    eds = ", ".join(str(e) for e in sorted(table["edition"].dropna().unique()))
    jp = table[table["entity"] == "JPN"]
    jp_shift = f"{(jp['status'] == 'different definition (year)').sum()} of {len(jp)}"
    if en:
        return (f"MSTI (figure 1) vs values printed in NISTEP editions {eds} (万人): {', '.join(parts)}. "
                "Japan: NISTEP dates the count by the survey date (31 March), one year after the OECD's reference "
                f"year, so NISTEP's year t is MSTI's t−1 ({jp_shift} Japanese values match only so). "
                f"Revised: {rev_txt or 'none'}.")
    return (f"MSTI（図1）とNISTEP各版（{eds}年版）本文の値（万人）: {'、'.join(parts)}。日本はNISTEPが調査時点"
            "（3月31日）の年で表記し、OECDの参照年より1年後（NISTEPのt年＝MSTIのt−1年；日本の値"
            f"{jp_shift.replace(' of ', '件中')}件がこの対応でのみ一致）。"
            f"改訂: {rev_txt or 'なし'}。")


def write(table: pd.DataFrame, outdir: str | Path, stem: str) -> dict[str, Path]:
    """The comparison as ``<stem>_nistep_editions.csv`` and ``.md`` in ``outdir`` (atomic writes)."""
    from .. import io

    outdir = Path(outdir)
    paths = {"csv": outdir / f"{stem}_nistep_editions.csv", "md": outdir / f"{stem}_nistep_editions.md"}
    io.write_csv(paths["csv"], table)
    cells = table.astype("string").fillna("")
    lines = ["| " + " | ".join(cells.columns) + " |", "|" + "---|" * len(cells.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    io.write_text(paths["md"], "\n".join(lines) + "\n")
    return paths
