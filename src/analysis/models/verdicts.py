"""Verdicts that cannot mislead: the registered rule, the checks on the inference behind it, the robustness count,
and the one verdict table (the summary notebook's export) that the site shows.

For a results row (layout of ``analysis.models.results``) that carries a registered hypothesis, ``judge`` returns
the verdict (``registry.verdict``, which refuses one below the registry's ``min_clusters``) and a flag that says
why the verdict should not be read at face value: too few clusters, or standard errors other than the registered
ones (model-based where the registry clusters, or clustered on another variable). ``robustness_count`` says on
how many robustness rows of the same hypothesis and term the registered sign-and-significance rule gives the same
verdict ("2/5"); it is shown next to every verdict.

``h5_summary_all_hypotheses`` writes every registered entry's row to ``output/tables/<that notebook>/verdicts.csv``
(``EXPORT_COLUMNS``); ``site_rows`` turns that export into the rows of the site's hypothesis table.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import registry
from ..errors import DataFileError
from ..execution import layout

if TYPE_CHECKING:  # only for annotations: the site reads the export path without importing pandas
    import pandas as pd

REPLICATION_VERDICT = "replication — no verdict"
NOT_RUN = "not run"
SUMMARY_NOTEBOOK = "h5_summary_all_hypotheses"
EXPORT_NAME = "verdicts.csv"
# the summary notebook's verdict export, one row per registered entry's estimate
EXPORT_COLUMNS = ["family", "hypothesis", "headline", "role", "model", "term", "expected sign", "estimate",
                  "std_error", "ci_low", "ci_high", "p_value", "n_obs", "n_clusters", "inference", "verdict",
                  "verdict_flag", "robustness same verdict", "notebook", "statement"]
# how the estimators name the clustering variable in the ``inference`` column: "cluster(firm)" (count models),
# "CR1 clustered by entity, t(46)" (OLS), "PPML, cluster-robust by entity, t(46)"
_CLUSTER_PATTERNS = (re.compile(r"cluster\((\w+)\)"), re.compile(r"clustered by ([\w-]+)"),
                     re.compile(r"cluster-robust by ([\w-]+)"))


def n_clusters_of(value) -> int | None:
    """The number of clusters in a results row, or None when its inference used none (empty or NaN)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    x = float(value)
    return None if math.isnan(x) else int(x)


def cluster_of(inference: str) -> str | None:
    """The clustering variable named in a results row's ``inference`` text, or None when it names none."""
    for pattern in _CLUSTER_PATTERNS:
        m = pattern.search(inference or "")
        if m:
            return m.group(1)
    return None


def flags(h: registry.Hypothesis, n_clusters: int | None, inference: str) -> list[str]:
    """Why a verdict on this row should not be read at face value (empty when nothing is wrong)."""
    out = []
    if h.min_clusters is not None and n_clusters is not None and n_clusters < h.min_clusters:
        out.append(f"too few clusters ({n_clusters} < {h.min_clusters})")
    if h.cluster:
        registered = f"registered: cluster by {h.cluster_unit or h.cluster}"
        used = cluster_of(inference)
        if n_clusters is None:
            out.append(f"inference differs from registered (model SEs; {registered})")
        elif used is None:
            out.append(f"inference differs from registered (clustering variable not stated: {inference!r}; "
                       f"{registered})")
        elif used != h.cluster:
            out.append(f"inference differs from registered (clustered by {used}; {registered})")
    return out


def judge(h: registry.Hypothesis, estimate: float, p_value: float, n_clusters, inference: str) -> tuple[str, str]:
    """(verdict, flag) for one row: the registered rule with the cluster minimum, and the joined flags."""
    g = n_clusters_of(n_clusters)
    v = registry.verdict(float(estimate), float(p_value), h.expected_sign, h.alpha, g, h.min_clusters)
    return v, "; ".join(flags(h, g, inference))


def robustness_count(res: pd.DataFrame, h: registry.Hypothesis, term: str, verdict: str) -> str:
    """"k/n": of the n robustness rows of ``h`` and ``term``, k on which the registered rule gives ``verdict``.

    Robustness rows are not verdicts: they are judged by the sign-and-significance rule alone (the wild-cluster
    bootstrap rows are there for few clusters). Empty when the row itself has no verdict.
    """
    if verdict == registry.NO_VERDICT_FEW_CLUSTERS:
        return ""
    rob = res[(res["role"] == "robustness") & (res["hypothesis"] == h.id) & (res["term"] == term)]
    same = sum(registry.verdict(float(x.estimate), float(x.p_value), h.expected_sign, h.alpha) == verdict
               for x in rob.itertuples())
    return f"{same}/{len(rob)}"


def export_path() -> Path:
    """``output/tables/h5_summary_all_hypotheses/verdicts.csv``: the verdict table the site reads."""
    return layout.kind_folder("hypothesis", SUMMARY_NOTEBOOK) / EXPORT_NAME


def read_export(path: Path | None = None) -> list[dict[str, str]] | None:
    """The summary notebook's verdict export as dict rows; None when it has not been written (or is temporary)."""
    path = path or export_path()
    if layout.is_temporary(path) or not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in EXPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(path, f"not the verdict export of {SUMMARY_NOTEBOOK}: lacks {missing}",
                                column=missing[0], hint=f"re-run {SUMMARY_NOTEBOOK}")
        return list(reader)


def site_rows(records: list[dict[str, str]] | None, registered: list[registry.Hypothesis]) -> list[dict[str, str]]:
    """Rows of the site's hypothesis table: the export's rows in its order, then every registered entry the export
    lacks as ``not run`` (all of them when the summary notebook has not run). Values stay as exported text."""
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    statements = {h.id: h.statement for h in registered}
    for r in records or []:
        hid = r["hypothesis"]
        rows.append({**{c: r.get(c, "") for c in EXPORT_COLUMNS},
                     "statement": r.get("statement") or statements.get(hid, "")})
        seen.add(hid)
    for h in registered:
        if h.id not in seen:
            rows.append({**{c: "" for c in EXPORT_COLUMNS}, "family": h.family, "hypothesis": h.id,
                         "role": h.extra.get("role", "hypothesis"), "verdict": NOT_RUN, "notebook": h.notebook,
                         "statement": h.statement})
    return rows
