"""The "Reading" sections of the model notebooks h1-h3, generated from the estimates of the run (sign, size,
p-values, verdicts, robustness counts, sample sizes), so that other parameters never leave a stale sentence.
What does not depend on the data (the caveats of a design) stays in the notebook's Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import labels, registry
from . import firm


def fmt_p(p: float) -> str:
    """``p < 0.001``, ``p = 0.003`` or ``p = 0.26``."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _sign(x: float, lang: str) -> str:
    return labels.text("positive" if x > 0 else "negative", "正" if x > 0 else "負", lang)


def _agree(rows: pd.DataFrame, sign: float, alpha: float) -> tuple[int, int, int]:
    """(rows with the sign ``sign``, of which p < alpha, all rows)."""
    same = rows[np.sign(rows["estimate"]) == sign]
    return len(same), int((same["p_value"] < alpha).sum()), len(rows)


def _claim(h: registry.Hypothesis, estimate: float, lang: str) -> str:
    """Whether the estimate's sign is the one the hypothesis expects."""
    expected = 1 if h.expected_sign == "+" else -1
    if np.sign(estimate) == expected:
        return labels.text("the sign the hypothesis expects", "仮説の想定どおりの符号", lang)
    return labels.text("the opposite of the sign the hypothesis expects", "仮説の想定と逆の符号", lang)


# ---------------------------------------------------------------- h1: replication
def replication_reading(rep: dict, lang: str = "ja") -> str:
    """Markdown bullets on ``firm.replication`` output: the sample, the long-run elasticities with both kinds of
    standard errors, how much larger the firm-clustered errors are, and the sign pattern of the lags."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    s, fit, coef, lr = rep["sample"], rep["fit"], rep["coefficients"], rep["long_run"]
    out = [L(f"- **Sample.** {len(s):,} firm-years ({s['firm'].nunique()} firms, {s['year'].min()}-{s['year'].max()}); "
             f"{fit.n_obs:,} are informative for the conditional likelihood ({len(fit.dropped_groups)} firms without "
             "a patent in the window drop out).",
             f"- **標本.** {len(s):,}企業・年（{s['firm'].nunique()}社、{s['year'].min()}-{s['year'].max()}年）。条件付き尤度に"
             f"情報を持つのは{fit.n_obs:,}企業・年（期間中に特許のない{len(fit.dropped_groups)}社は脱落）。")]
    for term, r in lr.iterrows():
        what = L("R&D", "研究開発") if term.startswith("sum rdexp") else L("spillover", "スピルオーバー")
        if r["p_cluster"] < 0.05:
            judged = L(f"different from zero also with firm-clustered standard errors ({fmt_p(r['p_cluster'])})",
                       f"企業クラスター標準誤差でもゼロと異なる（{fmt_p(r['p_cluster'])}）")
        elif r["p_model"] < 0.05:
            judged = L(f"significant only with model-based standard errors ({fmt_p(r['p_model'])}; "
                       f"firm-clustered {fmt_p(r['p_cluster'])})",
                       f"モデルベース標準誤差でのみ有意（{fmt_p(r['p_model'])}、企業クラスターでは{fmt_p(r['p_cluster'])}）")
        else:
            judged = L(f"not significant with either standard error (firm-clustered {fmt_p(r['p_cluster'])})",
                       f"どちらの標準誤差でも有意でない（企業クラスター{fmt_p(r['p_cluster'])}）")
        out.append(L(f"- **{r['hypothesis']}: long-run {what} elasticity {r['estimate']:.3f}**, {judged}.",
                     f"- **{r['hypothesis']}：{what}の長期弾力性 {r['estimate']:.3f}**、{judged}。"))
    ratio = coef["se_cluster"] / coef["se_model"]
    out.append(L(f"- **Standard errors.** Firm-clustered standard errors are {ratio.min():.1f}-{ratio.max():.1f} times "
                 "the model-based ones (overdispersion, serial correlation within firms); the project's tests use the "
                 "firm-clustered column.",
                 f"- **標準誤差.** 企業クラスター標準誤差はモデルベースの{ratio.min():.1f}-{ratio.max():.1f}倍（過分散・企業内の"
                 "系列相関）。本プロジェクトの検定は企業クラスターの列を用いる。"))
    for var, name in (("rdexp", L("R&D", "研究開発")), ("spil", L("spillover", "スピルオーバー"))):
        lags = coef.loc[[t for t in coef.index if t.startswith(f"{var}_l")], "estimate"]
        changes = int((np.diff(np.sign(lags.to_numpy())) != 0).sum())
        if changes:
            out.append(L(f"- The {name} lag coefficients change sign {changes} times over {len(lags)} lags: within a "
                         "firm the regressor moves little, so single lags are imprecise; read the sums.",
                         f"- {name}のラグ係数は{len(lags)}個のラグで{changes}回符号が変わる。企業内で説明変数の変動が小さく"
                         "個々のラグは不正確なため、合計を読む。"))
    return "\n".join(out)


# ---------------------------------------------------------------- h2: absorptive capacity in firms
def _estimates(rows: pd.DataFrame, lang: str) -> str:
    return L_join(lang).join(f"{firm._label(r.estimator, lang)} {r.estimate:+.3f} (SE {r.std_error:.3f}, "
                             f"{fmt_p(r.p_value)}, {r.verdict})" for r in rows.itertuples())


def L_join(lang: str) -> str:
    return labels.text("; ", "；", lang)


def firm_reading(res: pd.DataFrame, panel: pd.DataFrame, start_year: int, end_year: int, lang: str = "ja") -> str:
    """Markdown bullets on ``firm.estimate`` output: F1 across estimators and robustness rows, F2 with the number
    of Japanese firms, and how much of the spillover variation the controls absorb."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    hyps = {h.id: h for h in registry.load(families="firm")}
    out = []
    f1 = res[(res["role"] == "hypothesis") & res["hypothesis"].str.startswith("F1")]
    head = f1[f1["hypothesis"] == "F1"]
    if len(head):
        h, r = hyps["F1"], head.iloc[0]
        n_same, n_sig, n = _agree(f1, np.sign(r["estimate"]), h.alpha)
        rob = res[(res["role"] == "robustness") & (res["hypothesis"] == "F1")]
        keep = int((np.sign(rob["estimate"]) == np.sign(r["estimate"])).sum())
        out.append(L(f"- **F1 (headline): {r['verdict']}.** The R&D × spillover interaction is {_sign(r['estimate'], lang)} "
                     f"({_claim(h, r['estimate'], lang)}) with {n_same} of {n} estimators: {_estimates(f1, lang)}. "
                     f"{keep} of {len(rob)} robustness rows keep the headline's sign.",
                     f"- **F1（主仮説）：{r['verdict']}。** 研究開発×スピルオーバーの交差項は{n}推定量中{n_same}で"
                     f"{_sign(r['estimate'], lang)}（{_claim(h, r['estimate'], lang)}）：{_estimates(f1, lang)}。"
                     f"頑健性の行{len(rob)}本中{keep}本が主推定と同じ符号。"))
    f2 = res[(res["role"] == "hypothesis") & res["hypothesis"].isin(["F2a", "F2b"])]
    if len(f2):
        s = panel[panel["year"].between(start_year, end_year)]
        n_jp = s.loc[s["region"] == "japan", "firm"].nunique()
        rob = res[(res["role"] == "robustness") & res["hypothesis"].isin(["F2a", "F2b"])]
        parts = L_join(lang).join(f"{r.hypothesis} {r.estimate:+.3f} (SE {r.std_error:.3f}, {fmt_p(r.p_value)}, "
                                  f"{r.verdict})" for r in f2.itertuples())
        robs = L_join(lang).join(f"{r.model} {r.estimate:+.3f} ({fmt_p(r.p_value)})" for r in rob.itertuples())
        out.append(L(f"- **F2 (Japan's spillover elasticity against the US and the EU):** {parts}; {n_jp} Japanese "
                     f"firms in the sample. Robustness rows: {robs or 'none'}.",
                     f"- **F2（日本企業のスピルオーバー弾力性、米国・EU比）：** {parts}。標本の日本企業は{n_jp}社。"
                     f"頑健性の行：{robs or 'なし'}。"))
    alpha = res[(res["term"] == "alpha") & res["model"].str.startswith("F1 NB2")]
    if len(alpha):
        out.append(L(f"- NB2's dispersion estimate is {alpha['estimate'].iloc[0]:.2f}: it weights firms differently "
                     "from Poisson.",
                     f"- NB2 の過分散パラメータの推定値は{alpha['estimate'].iloc[0]:.2f}で、ポアソンとは企業の重み付けが異なる。"))
    var = firm.variation_explained(panel, start_year, end_year)["share explained by controls"]
    out.append(L(f"- **Identification.** Sector, region and year dummies explain {var['spil']:.0%} of the variance of "
                 f"log spillovers and {var['rdexp']:.0%} of log R&D: the pooled spillover terms rest on the rest.",
                 f"- **識別.** 産業・地域・年ダミーが対数スピルオーバーの分散の{var['spil']:.0%}、対数研究開発の"
                 f"{var['rdexp']:.0%}を説明する。プールド推定のスピルオーバー項は残りの変動に依拠する。"))
    return "\n".join(out)


# ---------------------------------------------------------------- h3: two faces of R&D
def industry_reading(res: pd.DataFrame, lang: str = "ja") -> str:
    """Markdown bullets on ``industry.run`` output: per registered hypothesis the verdict, and across every other
    model (robustness and bootstrap rows) how often the sign is kept and significant."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    hyps = {h.id: h for h in registry.load(families="industry")}
    out = []
    for r in res[res["role"] == "hypothesis"].itertuples():
        h = hyps[r.hypothesis]
        others = res[(res["term"] == r.term) & (res["model"] != r.model) & (res["role"] != "replication")]
        boot = others[others["model"].str.endswith("WCR")]
        runs = others[~others["model"].str.endswith("WCR")]
        same, sig, n = _agree(runs, np.sign(r.estimate), h.alpha)
        flips = runs[(np.sign(runs["estimate"]) != np.sign(r.estimate)) & (runs["p_value"] < h.alpha)]
        text = L(f"- **{r.hypothesis} ({r.term}): {r.verdict}.** Headline estimate {r.estimate:+.4f} "
                 f"({fmt_p(r.p_value)}; {_claim(h, r.estimate, lang)}). In the {n} other models it keeps its sign "
                 f"{same} times, {sig} of them with p < {h.alpha:g}",
                 f"- **{r.hypothesis}（{r.term}）：{r.verdict}。** 主推定 {r.estimate:+.4f}（{fmt_p(r.p_value)}、"
                 f"{_claim(h, r.estimate, lang)}）。他の{n}モデルでは{same}本が同符号、うち{sig}本が p < {h.alpha:g}")
        if len(flips):
            text += L("; opposite sign with p < 0.05 in " + ", ".join(flips["model"]),
                      "。逆符号で p < 0.05：" + "、".join(flips["model"]))
        if len(boot):  # each bootstrap row against the CR1 test of its own model
            cr1 = res[res["term"] == r.term].set_index("model")["p_value"]
            base = boot["model"].str.removesuffix("WCR").str.strip()
            agree = int(sum((p < h.alpha) == (cr1.get(m, np.nan) < h.alpha) for p, m in zip(boot["p_value"], base)))
            text += L(f"; the wild-cluster bootstrap agrees with the CR1 test on significance in {agree} of "
                      f"{len(boot)} rows", f"。ワイルド・クラスター・ブートストラップは{len(boot)}行中{agree}行でCR1検定と"
                      "有意性が一致")
        out.append(text + L(".", "。"))
    return "\n".join(out)
