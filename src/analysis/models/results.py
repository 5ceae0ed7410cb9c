"""A common layout for estimates, so that every hypothesis family exports the same tables.

One row per (hypothesis, model, term). ``verdict`` is filled only on rows that carry a registered hypothesis and
is computed by ``analysis.registry.verdict`` from the estimate, its p-value and its number of clusters (no verdict
below the registry's ``min_clusters``). On the same rows ``verdict_flag`` says why a verdict should not be read at
face value (too few clusters; standard errors other than the registered ones) and ``robustness_same`` on how many
of the hypothesis's robustness rows the registered rule gives the same verdict ("2/5"); see ``models.verdicts``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import io, registry
from ..errors import ParameterError
from . import verdicts

COLUMNS = ["hypothesis", "model", "estimator", "sample", "term", "estimate", "std_error", "ci_low", "ci_high",
           "p_value", "n_obs", "n_clusters", "inference", "role", "verdict", "verdict_flag", "robustness_same"]
ROLES = {"hypothesis", "control", "robustness", "replication"}


def frame(rows: list[dict]) -> pd.DataFrame:
    """Build a results frame from dict rows (missing fields empty), with columns in the common order."""
    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df:
            df[col] = np.nan if col in {"estimate", "std_error", "ci_low", "ci_high", "p_value"} else ""
    df = df[COLUMNS].copy()
    bad = set(df["role"]) - ROLES
    if bad:
        raise ValueError(f"unknown role(s) {sorted(bad)}; use one of {sorted(ROLES)}")
    return df


def add_verdicts(df: pd.DataFrame, hyps: dict[str, registry.Hypothesis] | None = None) -> pd.DataFrame:
    """Fill ``verdict``, ``verdict_flag`` and ``robustness_same`` on role=='hypothesis' rows from the registry.

    ``hyps`` (id -> hypothesis) defaults to the registry files of the frame's ``family`` column (all families
    when it has none); a family module passes its own family's entries.
    """
    if hyps is None:
        fams = sorted(set(df["family"])) if "family" in df else None
        hyps = {h.id: h for h in registry.load(families=fams)}
    out = df.copy()
    for col in ("verdict", "verdict_flag", "robustness_same"):
        out[col] = out[col].astype(object) if col in out else ""
    for i, row in out.iterrows():
        if row["role"] != "hypothesis":
            continue
        if row["hypothesis"] not in hyps:
            raise ParameterError("hypothesis", row["hypothesis"], f"row {i} (model {row['model']!r}) names an "
                                 "unregistered hypothesis", sorted(hyps))
        h = hyps[row["hypothesis"]]
        v, flag = verdicts.judge(h, row["estimate"], row["p_value"], row["n_clusters"], str(row["inference"]))
        out.at[i, "verdict"], out.at[i, "verdict_flag"] = v, flag
        out.at[i, "robustness_same"] = verdicts.robustness_count(out, h, row["term"], v)
    return out


def stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def to_wide(df: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Paper layout: terms as rows, models as columns, 'estimate***' over '(se)'; N and clusters at the bottom."""
    models = list(dict.fromkeys(df["model"]))
    terms = list(dict.fromkeys(df["term"]))
    body = {}
    for m in models:
        sub = df[df["model"] == m].set_index("term")
        col = []
        for t in terms:
            if t in sub.index:
                r = sub.loc[t]
                col += [f"{r['estimate']:.{digits}f}{stars(r['p_value'])}", f"({r['std_error']:.{digits}f})"]
            else:
                col += ["", ""]
        first = sub.iloc[0]
        col += [f"{int(first['n_obs'])}" if str(first["n_obs"]) not in ("", "nan") else "",
                f"{int(first['n_clusters'])}" if str(first["n_clusters"]) not in ("", "nan") else ""]
        body[m] = col
    index = [x for t in terms for x in (t, "")] + ["N", "clusters"]
    return pd.DataFrame(body, index=index)


def export(df: pd.DataFrame, outdir: str | Path, stem: str, digits: int = 4) -> dict[str, Path]:
    """Write the long CSV, and the wide table as Markdown and LaTeX (atomic writes)."""
    outdir = Path(outdir)
    wide = to_wide(df, digits)
    files = {"csv": outdir / f"{stem}.csv", "md": outdir / f"{stem}.md", "tex": outdir / f"{stem}.tex"}
    io.write_csv(files["csv"], df)
    md = ["| | " + " | ".join(wide.columns) + " |", "|---|" + "---|" * len(wide.columns)]
    md += ["| " + str(ix) + " | " + " | ".join(map(str, row)) + " |" for ix, row in zip(wide.index, wide.values)]
    md.append("")
    md.append("Standard errors in parentheses; * p<0.1, ** p<0.05, *** p<0.01.")
    io.write_text(files["md"], "\n".join(md) + "\n")
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")  # noqa: E731
    tex = [r"\begin{tabular}{l" + "c" * len(wide.columns) + "}", r"\hline",
           " & " + " & ".join(esc(c) for c in wide.columns) + r" \\", r"\hline"]
    tex += [esc(ix) + " & " + " & ".join(esc(v) for v in row) + r" \\" for ix, row in zip(wide.index, wide.values)]
    tex += [r"\hline", r"\end{tabular}"]
    io.write_text(files["tex"], "\n".join(tex) + "\n")
    return files
