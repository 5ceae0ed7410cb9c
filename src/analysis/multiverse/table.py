"""The tidy specification table, the verdict shares per hypothesis and their export.

``shares(mv)`` gives one row per hypothesis; ``SHARE_COLUMNS`` are the columns that ``h5_summary_all_hypotheses``
adds to its verdict export (``verdicts.csv``) and that the site shows next to each verdict:

- ``n_specs``                    specifications in the declared grid (after its documented exclusions)
- ``spec_share_supported``       share of them on which the registered rule says *supported*
- ``spec_share_not_supported``   ... *not supported*
- ``spec_share_contrary``        ... *contrary* (significant with the opposite sign)
- ``spec_share_no_verdict``      ... no verdict (fewer clusters than the registry's minimum)
- ``spec_share_not_estimated``   ... could not be estimated (e.g. a Poisson dummy whose cell has no patents)
- ``spec_median_estimate``       median estimate over the estimated specifications
- ``spec_curve_p_median``        specification-curve test (Simonsohn, Simmons & Nelson 2020): p-value of the
                                 median estimate against its null distribution (empty without the test)
- ``spec_curve_p_share``         p-value of the share significant in the expected direction (empty without)

Shares are fractions in [0, 1] of ``n_specs``; the five shares sum to 1. Hypotheses without a declared space
(non-headline entries, replications) have these columns empty in ``verdicts.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import io, registry
from .engine import NOT_ESTIMATED, Multiverse

SHARE_COLUMNS = ["n_specs", "spec_share_supported", "spec_share_not_supported", "spec_share_contrary",
                 "spec_share_no_verdict", "spec_share_not_estimated", "spec_median_estimate",
                 "spec_curve_p_median", "spec_curve_p_share"]
VERDICT_SHARE = {registry.SUPPORTED: "spec_share_supported", registry.NOT_SUPPORTED: "spec_share_not_supported",
                 registry.CONTRARY: "spec_share_contrary", registry.NO_VERDICT_FEW_CLUSTERS: "spec_share_no_verdict",
                 NOT_ESTIMATED: "spec_share_not_estimated"}
VERDICT_JA = {registry.SUPPORTED: "支持", registry.NOT_SUPPORTED: "支持されず", registry.CONTRARY: "逆方向に有意",
              registry.NO_VERDICT_FEW_CLUSTERS: "判定なし（クラスター数不足）", NOT_ESTIMATED: "推定不能"}
TABLE_NAME, SHARES_NAME, TESTS_NAME, GRID_NAME = ("specifications.csv", "spec_shares.csv", "spec_curve_tests.csv",
                                                  "grid_accounting.csv")


def shares(mv: Multiverse) -> pd.DataFrame:
    """One row per hypothesis: family, the headline specification's verdict and ``SHARE_COLUMNS``."""
    tests = mv.tests.set_index("hypothesis") if len(mv.tests) else None
    rows = []
    for hyp, sub in mv.table.groupby("hypothesis", sort=False):
        n = len(sub)
        counts = sub["verdict"].value_counts()
        head = sub[sub["headline"]]
        row = {"hypothesis": hyp, "family": sub["family"].iloc[0], "n_specs": n,
               **{col: float(counts.get(v, 0)) / n for v, col in VERDICT_SHARE.items()},
               "spec_median_estimate": float(sub.loc[sub["verdict"] != NOT_ESTIMATED, "estimate"].median()),
               "spec_curve_p_median": "", "spec_curve_p_share": "",
               "headline_spec": head["spec_id"].iloc[0] if len(head) else "",
               "headline_verdict": head["verdict"].iloc[0] if len(head) else ""}
        if tests is not None and hyp in tests.index:
            row["spec_curve_p_median"] = float(tests.loc[hyp, "p_median"])
            row["spec_curve_p_share"] = float(tests.loc[hyp, "p_share_expected"])
        rows.append(row)
    return pd.DataFrame(rows, columns=["hypothesis", "family", *SHARE_COLUMNS, "headline_spec", "headline_verdict"])


def share_text(row, lang: str = "en") -> str:
    """'supported 12 %, not supported 80 %, contrary 8 % of 185' for one row of ``shares``."""
    from .. import labels

    parts = []
    for v, col in VERDICT_SHARE.items():
        if float(row[col]) > 0:
            name = v if lang == "en" else VERDICT_JA[v]
            pct = 100 * float(row[col])
            # one decimal near the ends, so that 0.5 % is not "0 %" and 99.5 % not "100 %"
            parts.append(f"{name} {pct:.0f}%" if 1 <= pct <= 99 else f"{name} {pct:.1f}%")
    return labels.text(", ".join(parts) + f" of {int(row['n_specs'])} specifications",
                       "、".join(parts) + f"（{int(row['n_specs'])}通りの定式化）", lang)


def export(mv: Multiverse, outdir: str | Path) -> dict[str, Path]:
    """Write the tidy table, the shares, the test results and the grid accounting as CSV (atomic writes)."""
    outdir = Path(outdir)
    files = {"table": outdir / TABLE_NAME, "shares": outdir / SHARES_NAME, "tests": outdir / TESTS_NAME,
             "grid": outdir / GRID_NAME}
    io.write_csv(files["table"], mv.table)
    io.write_csv(files["shares"], shares(mv))
    io.write_csv(files["tests"], mv.tests)
    io.write_csv(files["grid"], mv.accounting)
    return files


def narrative(sh: pd.DataFrame, lang: str = "en") -> list[str]:
    """One generated sentence per hypothesis: the headline verdict, the shares and (if run) the test's p-values."""
    from .. import labels

    out = []
    for _, r in sh.iterrows():
        line = labels.text(f"{r['hypothesis']} (registered specification: {r['headline_verdict']}): ",
                           f"{r['hypothesis']}（登録した定式化：{VERDICT_JA.get(r['headline_verdict'], r['headline_verdict'])}）：",
                           lang) + share_text(r, lang)
        if r["spec_curve_p_median"] != "":
            line += labels.text(f"; specification-curve test p = {float(r['spec_curve_p_median']):.3f} (median), "
                                f"{float(r['spec_curve_p_share']):.3f} (share significant as expected)",
                                f"；定式化曲線の検定 p = {float(r['spec_curve_p_median']):.3f}（中央値）、"
                                f"{float(r['spec_curve_p_share']):.3f}（期待方向に有意な割合）", lang)
        out.append(line + labels.text(".", "。", lang))
    return out
