"""All registered entries in one table: headline estimate, 95 % interval, N, clusters, computed verdict, its flag
(too few clusters, inference other than registered) and how many robustness rows the registered rule would judge
the same way; the firm replication entries (R1a, R1b) with their combined estimates and no verdict.

Each family's own module does the estimation (``firm``, ``industry``, ``country``); this module only gathers their
results so that the summary can never disagree with the family notebooks' code. ``export`` writes the verdict
table that the site shows (``models.verdicts.EXPORT_COLUMNS``).

Specification shares (issue 10): ``add_spec_shares`` puts, next to each headline verdict, how the registered rule
judges the whole declared specification space of that hypothesis (``analysis.multiverse``, the run of
``h6_specification_curves`` with its defaults). ``verdicts.csv`` keeps ``EXPORT_COLUMNS`` first, unchanged, and
appends ``SPEC_SHARE_COLUMNS`` (= ``analysis.multiverse.table.SHARE_COLUMNS``, documented there):
``n_specs``, ``spec_share_supported``, ``spec_share_not_supported``, ``spec_share_contrary``,
``spec_share_no_verdict``, ``spec_share_not_estimated`` (fractions of ``n_specs``, summing to 1),
``spec_median_estimate``, ``spec_curve_p_median``, ``spec_curve_p_share`` (the specification-curve test; empty
when not run). They are empty on rows without a declared space (non-headline estimators, replications).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import data, io, labels, registry
from ..multiverse.table import SHARE_COLUMNS
from . import country, firm, industry, verdicts
from .summary_params import validate_params  # noqa: F401  (the notebook's hook; kept importable here)

VERDICT_COLORS = {registry.SUPPORTED: "#2ca02c", registry.NOT_SUPPORTED: "#7f7f7f", registry.CONTRARY: "#d62728",
                  registry.NO_VERDICT_FEW_CLUSTERS: "#c8c8c8"}
VERDICT_JA = {registry.SUPPORTED: "支持", registry.NOT_SUPPORTED: "支持されず", registry.CONTRARY: "逆方向に有意",
              registry.NO_VERDICT_FEW_CLUSTERS: "判定なし（クラスター数不足）"}
FAMILY_ORDER = ["firm", "industry", "country"]
# the specification-share columns appended to verdicts.csv (documented in analysis.multiverse.table)
SPEC_SHARE_COLUMNS = list(SHARE_COLUMNS)


def all_results(bootstrap_reps: int = 999) -> pd.DataFrame:
    """Every family's results frame (common layout) with a ``family`` column, estimated with default samples;
    the firm rows include the replication's (role ``replication``, R1a/R1b)."""
    panel = firm.load_panel()
    firm_res, _ = firm.estimate(panel)
    firm_rep = firm.replication(panel)["rows"]
    ind_res, _ = industry.run(data.load("ehs2013_panel"), reps=bootstrap_reps)
    ctry = country.estimate(data.load("oecd_msti"), data.load("pwt"), {"bootstrap_reps": bootstrap_reps}).table
    parts = [firm_res.assign(family="firm"), firm_rep.assign(family="firm"), ind_res.assign(family="industry"),
             ctry.assign(family="country")]
    return pd.concat(parts, ignore_index=True)


def registry_frame() -> pd.DataFrame:
    """The registry as a table (written before any estimate): one row per hypothesis."""
    rows = [{"id": h.id, "family": h.family, "headline": h.headline, "statement": h.statement,
             "coefficient(s)": (" + " if h.combine == "sum" else ", ").join(h.coefficients),
             "expected sign": h.expected_sign, "estimators": "; ".join(h.estimators), "inference": h.inference,
             "alpha": h.alpha, "role": h.extra.get("role", "hypothesis")} for h in registry.load()]
    df = pd.DataFrame(rows)
    df["_f"] = df["family"].map({f: i for i, f in enumerate(FAMILY_ORDER)}).fillna(len(FAMILY_ORDER))
    return df.sort_values(["_f", "id"], kind="mergesort").drop(columns="_f").reset_index(drop=True)


def _registered_estimate(h: registry.Hypothesis, term: str) -> bool:
    """A replication entry's registered estimate: the combined term when several coefficients are summed, else
    the coefficient itself."""
    return term not in h.coefficients if len(h.coefficients) > 1 else term in h.coefficients


def verdict_table(res: pd.DataFrame) -> pd.DataFrame:
    """One row per registered hypothesis estimate (verdict, flag and robustness count from the results layout),
    and one per registered replication estimate (no verdict); columns ``verdicts.EXPORT_COLUMNS``."""
    fams = sorted(set(res["family"])) if "family" in res else None
    hyps = {h.id: h for h in registry.load(families=fams)}
    rows = []
    for _, r in res.iterrows():
        h = hyps.get(r["hypothesis"])
        if h is None:
            continue
        role = h.extra.get("role", "hypothesis")
        if r["role"] == "hypothesis":
            verdict, flag, rob = r["verdict"], r["verdict_flag"], r["robustness_same"]
        elif r["role"] == "replication" and role == "replication" and _registered_estimate(h, r["term"]):
            verdict, flag, rob = verdicts.REPLICATION_VERDICT, "", ""
        else:
            continue
        rows.append({"family": r.get("family", h.family), "hypothesis": h.id, "headline": h.headline, "role": role,
                     "model": r["model"], "term": r["term"], "expected sign": h.expected_sign,
                     "estimate": r["estimate"], "std_error": r["std_error"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "p_value": r["p_value"], "n_obs": r["n_obs"],
                     "n_clusters": r["n_clusters"], "inference": r["inference"], "verdict": verdict,
                     "verdict_flag": flag, "robustness same verdict": rob, "notebook": h.notebook,
                     "statement": h.statement})
    return pd.DataFrame(rows, columns=verdicts.EXPORT_COLUMNS)


def add_spec_shares(table: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """The verdict table with ``SPEC_SHARE_COLUMNS`` from ``analysis.multiverse.table.shares`` on the rows of the
    hypotheses that have a declared specification space (role ``hypothesis``); empty elsewhere."""
    out = table.copy()
    by_hyp = shares.set_index("hypothesis")
    judged = out["role"] == "hypothesis"
    for col in SPEC_SHARE_COLUMNS:
        out[col] = [by_hyp.at[h, col] if ok and h in by_hyp.index else ""
                    for h, ok in zip(out["hypothesis"], judged)]
    return out


def export(table: pd.DataFrame, res: pd.DataFrame, outdir: str | Path) -> list[Path]:
    """Write the verdict table (``verdicts.csv``, which the site reads; ``EXPORT_COLUMNS`` then the specification
    share columns when present) and every results row (``all_results.csv``)."""
    outdir = Path(outdir)
    files = [outdir / verdicts.EXPORT_NAME, outdir / "all_results.csv"]
    io.write_csv(files[0], table[verdicts.EXPORT_COLUMNS + [c for c in SPEC_SHARE_COLUMNS if c in table]])
    io.write_csv(files[1], res)
    return files


def _judged(table: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry a registered hypothesis (not the replication entries)."""
    return table[table["role"] == "hypothesis"]


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Headline hypotheses by family and verdict (counts)."""
    head = _judged(table)[lambda d: d["headline"].astype(bool)]
    return (head.groupby(["family", "verdict"]).size().unstack(fill_value=0)
            .reindex(index=[f for f in FAMILY_ORDER if f in set(head["family"])]))


def coefficient_plot(table: pd.DataFrame, lang: str = "ja") -> tuple[plt.Figure, pd.DataFrame]:
    """t-statistics of every registered coefficient, coloured by verdict, with the two-sided 5 % band.

    Coefficients live on different scales across families, so the common axis is estimate / standard error.
    """
    labels.check_lang(lang)
    d = _judged(table).copy()
    d["t"] = d["estimate"] / d["std_error"].replace(0, np.nan)
    d = d.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(d) + 1.8))
    ax.axvspan(-1.96, 1.96, color="#eeeeee", zorder=0)
    ax.axvline(0, color="#555555", lw=1)
    for i, r in d.iterrows():
        ax.plot(r["t"], i, "o", ms=9, color=VERDICT_COLORS[r["verdict"]],
                mfc="white" if r["verdict_flag"] else None)  # open marker: a flagged verdict
    ax.set_yticks(range(len(d)))
    ax.set_yticklabels([f"{r.hypothesis} ({r.family})" for r in d.itertuples()], fontsize=12)
    ax.set_xlabel(labels.text("estimate / standard error (grey band: |t| < 1.96)",
                              "推定値 / 標準誤差（灰色の帯：|t| < 1.96）", lang))
    ax.set_title(labels.text("Registered absorptive-capacity hypotheses: estimates and verdicts",
                             "吸収能力仮説（事前登録）の推定結果と判定", lang))
    names = VERDICT_JA if lang == "ja" else {k: k for k in VERDICT_COLORS}
    shown = [v for v in VERDICT_COLORS if v in set(d["verdict"]) or v != registry.NO_VERDICT_FEW_CLUSTERS]
    handles = [plt.Line2D([], [], marker="o", ls="", color=VERDICT_COLORS[v], label=names[v]) for v in shown]
    if d["verdict_flag"].astype(bool).any():
        handles.append(plt.Line2D([], [], marker="o", ls="", color="#555555", mfc="white",
                                  label=labels.text("flagged (see verdict_flag)", "注記あり（verdict_flag）", lang)))
    ax.legend(handles=handles, loc="lower right", fontsize=11)
    fig.tight_layout()
    out = d[["family", "hypothesis", "term", "estimate", "std_error", "t", "verdict", "verdict_flag"]].iloc[::-1].reset_index(drop=True)
    return fig, out


def narrative(table: pd.DataFrame) -> list[str]:
    """Plain-English sentences generated from the verdict table (so the text cannot contradict the estimates)."""
    lines = []
    judged = _judged(table)
    headline = judged["headline"].astype(bool)
    for fam in FAMILY_ORDER:
        head = judged[(judged["family"] == fam) & headline]
        if head.empty:
            continue
        sup = head[head["verdict"] == registry.SUPPORTED]["hypothesis"].tolist()
        con = head[head["verdict"] == registry.CONTRARY]["hypothesis"].tolist()
        none = head[head["verdict"] == registry.NO_VERDICT_FEW_CLUSTERS]["hypothesis"].tolist()
        msg = f"{fam}: {len(sup)} of {len(head)} headline hypotheses supported"
        if sup:
            rob = head.set_index("hypothesis").loc[sup, "robustness same verdict"]
            msg += " (" + ", ".join(f"{h}: same verdict on {r} robustness rows" for h, r in rob.items()) + ")"
        if con:
            msg += f"; significant with the opposite sign: {', '.join(con)}"
        if none:
            msg += f"; no verdict (too few clusters): {', '.join(none)}"
        lines.append(msg + ".")
    other = judged[~headline & (judged["verdict"] == registry.CONTRARY)]["hypothesis"].tolist()
    if other:
        lines.append(f"Non-headline estimators significant with the opposite sign: {', '.join(other)}.")
    flagged = judged[judged["verdict_flag"].astype(bool)]
    for r in flagged.itertuples():
        lines.append(f"{r.hypothesis} ({r.verdict}) is flagged: {r.verdict_flag}.")
    return lines
