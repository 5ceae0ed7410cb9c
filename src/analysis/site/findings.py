"""The findings: the verdict table (the summary notebook's export, ``analysis.models.verdicts``) as table rows
and as one plain-language card per hypothesis. Nothing here types a verdict: every word about a result is chosen
by the exported verdict and filled with the exported numbers (``i18n.toml`` [say]); the questions and the deck's
claim are in ``findings.toml``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import paths
from .collect import site_dir
from .i18n import LANGS, label, say, verdict_word

FINDINGS_FILE = Path(__file__).resolve().parent / "findings.toml"
SPEC_SHARE_PREFIX = "spec_share_"
N_SPECS = "n_specs"


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    """``findings.toml``: the deck's claim, family names and each hypothesis's question in both languages."""
    return tomllib.loads(FINDINGS_FILE.read_text(encoding="utf-8"))


def fmt(value: str, digits: int = 4) -> str:
    """A number of the export as shown (``digits`` significant digits); text and NaN as they are / empty."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return value or ""
    if x != x:  # NaN
        return ""
    return f"{x:.{digits}g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.2e}"


def _registry() -> list:
    """Every registered entry; empty when the registry cannot be read (its own tests report that)."""
    try:
        from .. import registry

        return registry.load()
    except Exception:  # noqa: BLE001 - a broken registry must not take the site down
        return []


def _interval(r: dict[str, str]) -> str:
    lo, hi = fmt(r.get("ci_low", "")), fmt(r.get("ci_high", ""))
    return f"[{lo}, {hi}]" if lo and hi else ""


def verdict_class(verdict: str) -> str:
    from ..models import verdicts

    return {verdicts.REPLICATION_VERDICT: "replication", verdicts.NOT_RUN: "not-run"}.get(
        verdict, verdict.split(" (")[0].strip().replace(" ", "-"))


def _spec_share(r: dict[str, str]) -> dict[str, str]:
    """Specification-curve columns of the export, when present: share supporting and number of specifications."""
    shares = {k[len(SPEC_SHARE_PREFIX):]: v for k, v in r.items() if k.startswith(SPEC_SHARE_PREFIX) and v}
    n = r.get(N_SPECS, "")
    if not shares or not n:
        return {}
    value = shares.get("supported", next(iter(shares.values())))
    try:
        share = f"{float(value):.0%}" if float(value) <= 1 else f"{float(value):.0f} %"
    except ValueError:
        share = value
    return {"share": share, "n": fmt(n, 10)}


def verdict_rows(export: Path | None = None, registered: list | None = None) -> list[dict[str, Any]]:
    """Rows of the hypothesis table, from the summary notebook's verdict export only.

    Every row of the export is shown as exported (formatted numbers; verdict, its flag and the robustness count
    side by side; specification shares when the export has them); registered entries the export lacks, or all of
    them before the summary notebook has run, appear as ``not run``. ``export`` defaults to
    ``models.verdicts.export_path()``, ``registered`` to the registry. Links are relative to the site's root.
    """
    from ..models import verdicts

    export = export or verdicts.export_path()
    records = verdicts.read_export(export)
    registered = _registry() if registered is None else registered
    source = export.relative_to(paths.output_dir()).as_posix() if export.is_relative_to(paths.output_dir()) \
        else str(export)
    rows = []
    for i, r in enumerate(verdicts.site_rows(records, registered)):
        nbname = r["notebook"]
        page = site_dir() / "nb" / f"{nbname}.html"
        ran = r["verdict"] != verdicts.NOT_RUN
        extra = _spec_share(records[i]) if records and i < len(records) else {}
        rows.append({
            "family": r["family"], "role": r["role"], "headline": r.get("headline", ""),
            "hypothesis": r["hypothesis"], "statement": r["statement"], "model": r["model"], "term": r["term"],
            "estimate": fmt(r["estimate"]), "ci": _interval(r), "p_value": fmt(r["p_value"], 3),
            "n_obs": fmt(r["n_obs"], 10), "n_clusters": fmt(r["n_clusters"], 10), "verdict": r["verdict"],
            "verdict_ja": verdict_word(r["verdict"], "ja"), "verdict_en": verdict_word(r["verdict"], "en"),
            "verdict_class": verdict_class(r["verdict"]), "flag": r["verdict_flag"],
            "robustness": r["robustness same verdict"], "specs": extra,
            "source": f"output/{source}" if ran else "", "notebook": nbname,
            "href": f"nb/{nbname}.html" if nbname and page.exists() else "",
        })
    return rows


def _sure(r: dict[str, Any], lang: str) -> str:
    parts = []
    if r["ci"]:
        parts.append(say("interval", lang, ci=r["ci"]))
    agree, _, total = (r["robustness"] or "").partition("/")
    if total and total != "0":
        parts.append(say("robustness", lang, agree=agree, total=total))
    elif r["verdict_class"] not in ("not-run", "replication"):
        parts.append(say("no_robustness", lang))
    if r["specs"]:
        parts.append(say("specs", lang, **r["specs"]))
    if r["flag"]:
        parts.append(say("flag", lang, flag=r["flag"]))
    return ("、" if lang == "ja" else "; ").join(parts)


def _card_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row a hypothesis's card speaks of: the one with clustered inference when there are several."""
    clustered = [r for r in rows if r["n_clusters"]]
    return (clustered or rows)[-1]


def cards(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One card per hypothesis, grouped by family in the export's order: question, answer, certainty, link."""
    questions = words().get("question", {})
    families = words().get("family", {})
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_id.setdefault(r["hypothesis"], []).append(r)
    groups: dict[str, dict[str, Any]] = {}
    for hid, rs in by_id.items():
        r = _card_row(rs)
        key = r["verdict"] if r["verdict"] in ("supported", "not supported", "contrary", "not run") else \
            ("replication — no verdict" if r["verdict_class"] == "replication" else "no verdict")
        values = {"estimate": r["estimate"], "p": r["p_value"], "ci": r["ci"] or "—", "flag": r["flag"] or "—"}
        card = {"id": hid, "row": r, "headline": r["headline"] == "True",
                "question": tuple(questions.get(hid, [r["statement"], r["statement"]])),
                "answer": tuple(say(key, lang, **values) for lang in LANGS),
                "sure": tuple(_sure(r, lang) for lang in LANGS),
                "verdict": (r["verdict_ja"], r["verdict_en"])}
        fam = r["family"] or "other"
        groups.setdefault(fam, {"family": fam, "title": tuple(families.get(fam, [fam, fam])), "cards": []})
        groups[fam]["cards"].append(card)
    return list(groups.values())


def tally(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many headline hypotheses got each verdict (the evidence column beside the deck's claim)."""
    out: dict[str, int] = {}
    for g in cards(rows):
        for c in g["cards"]:
            if c["headline"]:
                out[c["row"]["verdict"]] = out.get(c["row"]["verdict"], 0) + 1
    return out


def column_labels() -> list[tuple[str, str, str]]:
    """(key, ja, en) of the wide table's columns."""
    keys = ["hypothesis", "statement", "model", "term", "estimate", "ci", "p", "n", "clusters", "verdict", "source"]
    return [(k, label(f"col_{k}", "ja"), label(f"col_{k}", "en")) for k in keys]
