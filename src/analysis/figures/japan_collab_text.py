"""Text of figures 2, 5 and 8, generated from the figure's data frame: the note printed under each figure and
the coverage narrative the notebooks show (years with values, gaps, breaks, sources that disagree, user rows
drawn and user rows not drawn with the reason). Apart from the descriptions of the collected sources, no year
or value of the data is written here as a literal."""

from __future__ import annotations

import pandas as pd

from .. import labels
from ..sources import japan
from .common import year_ranges
from .japan_collab_data import FIG2_SERIES, FIG8_SERIES, INSTITUTION_TYPES, OKU, SOURCES_FIG2


def _series_name(spec: dict, key: str, lang: str) -> str:
    return spec[key][3 if lang == "ja" else 2]


def type_name(t: str, lang: str) -> str:
    """Display name of an institution type (national / public / private / total)."""
    if t == "total":
        return labels.text("Total", "合計", lang)
    return japan.entity_label(INSTITUTION_TYPES[t], lang)


def _years(f: pd.DataFrame, status: str | tuple[str, ...]) -> pd.Series:
    status = (status,) if isinstance(status, str) else status
    return f.loc[f["status"].isin(status), "year"]


def gap_lines(frame: pd.DataFrame, names: dict[str, str], lang: str) -> list[str]:
    """Per series: the fiscal years with a value and those without one inside the span (not interpolated)."""
    lines = []
    for key, name in names.items():
        f = frame[frame["series"] == key]
        gaps, obs = _years(f, "gap"), _years(f, "observed")
        if obs.empty:
            lines.append(labels.text(f"{name}: no value in the range.", f"{name}：範囲内に値なし。", lang))
            continue
        txt = labels.text(f"{name}: values for FY{year_ranges(obs)}", f"{name}：{year_ranges(obs)}年度の値あり", lang)
        if len(gaps):
            txt += labels.text(f"; no value found for FY{year_ranges(gaps)} (× on the axis; not interpolated)",
                               f"、{year_ranges(gaps)}年度は値なし（軸上の×、補間せず）", lang)
        lines.append(txt + labels.text(".", "。", lang))
    return lines


def user_lines(frame: pd.DataFrame, unused: pd.DataFrame | None, lang: str) -> list[str]:
    """The user-file values drawn (black squares) and the user-file rows not drawn, each with its reason."""
    out = []
    u = frame[frame["source"] == "user"]
    if len(u):
        desc = ", ".join(f"{r.series} FY{int(r.year)}" for r in u.itertuples())
        out.append(labels.text(f"User-supplied values (black squares): {desc}.",
                               f"利用者提供の値（黒い四角）：{desc}。", lang))
    if unused is not None and len(unused):
        # one phrase per reason; a reason that does not name the year gets the rows' years
        by_reason: dict[str, list[int]] = {}
        for r in unused.itertuples():
            by_reason.setdefault(r.reason, []).extend([] if pd.isna(r.year) else [int(r.year)])
        reasons = "; ".join(reason if "FY" in reason or not years else f"{reason} (FY{year_ranges(years)})"
                            for reason, years in by_reason.items())
        out.append(labels.text(f"User-file rows not drawn ({len(unused)}): {reasons}.",
                               f"利用者ファイルのうち描画しない行（{len(unused)}行）：{reasons}。", lang))
    return out


def _missing_years(frame: pd.DataFrame, key: str) -> pd.Series:
    return _years(frame[frame["series"] == key], ("gap", "before_first", "after_last", "none"))


# ---------------------------------------------------------------- figure 2
def fig2_note(frame: pd.DataFrame, lang: str, unused: pd.DataFrame | None = None) -> str:
    """Note printed under figure 2: sources, definitions, gaps, computed values, user rows."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: " + SOURCES_FIG2[0], "出典：" + SOURCES_FIG2[1])]
    both = (frame[frame["series"].isin(["jr_amount", "nistep_jr"]) & frame["value"].notna()]
            .pivot(index="year", columns="series", values="value").dropna())
    compare = ""
    if len(both):
        y = int(both.index.max())
        n, m = both.loc[y, "nistep_jr"] / OKU, both.loc[y, "jr_amount"] / OKU
        compare = L(f" (FY{y}: NISTEP {n:,.0f} vs MEXT {m:,.0f} (100 million yen))",
                    f"（{y}年度：NISTEP {n:,.0f}億円、文科省 {m:,.0f}億円）")
    lines.append(L(
        "MEXT amounts are the rounded 'about xx 100-million-yen' figures of the releases. NISTEP 5-4-5 counts "
        f"all 'private companies etc.' partners and is not the same as MEXT's 'private companies'{compare}.",
        "文科省の金額は公表資料の「約xx億円」（丸め値）。NISTEP表5-4-5は相手先「民間企業等」の合計で、文科省の"
        f"「民間企業」とは範囲が異なる{compare}。"))
    for keys, pname in ((("jr_amount", "cr_amount"), L("amount", "金額")), (("jr_count", "cr_count"), L("count", "件数")),
                        (("per_project",), L("per project", "1件当たり"))):
        names = {k: _series_name(FIG2_SERIES, k, lang) for k in keys}
        lines += [f"[{pname}] {line}" for line in gap_lines(frame, names, lang)]
    comp = frame[(frame["series"] == "per_project_computed") & frame["value"].notna()]
    if len(comp):
        lines.append(L(
            f"Amount per project for FY{year_ranges(comp['year'])}: computed here as amount ÷ count from the same "
            "release (open markers; amounts are rounded to 100 million yen, so up to about ±0.3%); other years are "
            "MEXT's published value.",
            f"{year_ranges(comp['year'])}年度の1件当たり共同研究費は同一公表資料の金額÷件数で本図が算出（白抜き"
            "マーカー。金額が億円単位の丸め値のため最大±0.3%程度の誤差）。その他の年度は文科省の公表値。"))
    multi = frame[(frame["n_sources"] > 1) & frame["value"].notna()]
    if len(multi):
        lines.append(L(
            "Where sources differ, the most reliable is drawn and the others are listed in the CSV "
            f"(e.g. {multi.iloc[0]['series']} FY{int(multi.iloc[0]['year'])}: {multi.iloc[0]['alternatives']}).",
            "複数の資料がある年度は信頼度の高い資料の値を描き、他はCSVに記載（例："
            f"{multi.iloc[0]['series']} {int(multi.iloc[0]['year'])}年度：{multi.iloc[0]['alternatives']}）。"))
    counts = sorted(set(_years(frame[frame["series"].isin(["jr_count", "cr_count"])], "gap")))
    missing = (L(f", so the counts for FY{year_ranges(counts)} stay missing",
                 f"（{year_ranges(counts)}年度の件数は欠損のまま）") if counts else "")
    lines.append(L(f"Year-on-year changes quoted by the releases are not turned into levels{missing}. Add values "
                   "with the user_file parameter.",
                   f"公表資料の対前年度増減から水準値は逆算しない{missing}。値を追加する場合は user_file パラメータを使う。"))
    lines += user_lines(frame, unused, lang)
    return "\n".join(lines)


# ---------------------------------------------------------------- figure 5
def _source_changes(f: pd.DataFrame) -> list[tuple[int, float, str, int, float, str]]:
    """Consecutive observed years of one series where the source changes and the value falls."""
    obs = f[f["value"].notna()].sort_values("year")
    out = []
    for (_, a), (_, b) in zip(obs.iloc[:-1].iterrows(), obs.iloc[1:].iterrows()):
        if b["year"] == a["year"] + 1 and a["source_id"] != b["source_id"] and b["value"] < a["value"]:
            out.append((int(a["year"]), float(a["value"]), a["source_id"], int(b["year"]), float(b["value"]),
                        b["source_id"]))
    return out


def fig5_note(frame: pd.DataFrame, lang: str, unused: pd.DataFrame | None = None) -> str:
    """Note printed under figure 5: sources, breaks, the years with counts, source changes, user rows."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: MEXT survey on industry-academia collaboration (FY1999-2003 MEXT page; FY2007 JST data "
               "book; FY2008, 2010, 2012-2015 releases), JPO Annual Report 2018 figs. 1-4-11/1-4-12 (FY2011-2016 "
               "by type of institution); FY2019+ patent income: MEXT 知的財産権等収入 breakdown.",
               "出典：文部科学省「大学等における産学連携等実施状況について」（1999-2003年度は文科省ページ、2007年度はJST"
               "産学官連携データブック、2008・2010・2012-2015年度は各年度公表資料）、特許庁「特許行政年次報告書2018年版」"
               "1-4-11図・1-4-12図（2011-2016年度、設置形態別）、2019年度以降の特許権収入は文科省の知的財産権等収入の内訳。")]
    cnt = frame[(frame["panel"] == "count") & frame["value"].notna()]
    breaks = sorted({int(y) for y in cnt.loc[cnt["flags"].str.contains("B", regex=False), "year"]})
    if breaks:
        lines.append(L(f"FY{year_ranges(breaks)}: break in series (B, dashed vertical line; MEXT changed how "
                       "licences are counted); counts before and after are not comparable.",
                       f"{year_ranges(breaks)}年度に系列の断層（B、縦の破線。特許権実施等件数の集計方法の変更）。"
                       "前後の件数は比較できない。"))
    # narrower definitions stated in the raw rows' notes (e.g. "excludes individual-owned patents ...")
    narrower = cnt[cnt["note"].str.contains("exclud", case=False, regex=False)]
    for r in narrower.itertuples():
        what = next(part.strip() for part in r.note.split(";") if "exclud" in part.lower())
        lines.append(L(f"FY{int(r.year)} count ({type_name(r.series, lang)}): {what}.",
                       f"{int(r.year)}年度の件数（{type_name(r.series, lang)}）：{what}（資料の注記）。"))
    end = int(frame["year"].max())
    last = int(cnt["year"].max()) if len(cnt) else None
    if last is not None and last < end:
        lines.append(L(f"Licence counts after FY{last} were not found in the collected sources "
                       f"(FY{last + 1}-{end} missing).",
                       f"{last}年度より後の特許権実施等件数は収集資料に見当たらない（{last + 1}-{end}年度は欠損）。"))
    inc = frame[(frame["panel"] == "income") & (frame["series"] != "patent_income_mext")]
    for series in dict.fromkeys(inc["series"]):
        for y0, v0, s0, y1, v1, s1 in _source_changes(inc[inc["series"] == series]):
            lines.append(L(f"{type_name(series, lang)}: FY{y0} income ({v0 / OKU:.4g} 100 million yen, {s0}) "
                           f"exceeds FY{y1} ({v1 / OKU:.4g}, {s1}): the definitions may differ.",
                           f"{type_name(series, lang)}：{y0}年度の収入（{v0 / OKU:.4g}億円、{s0}）は{y1}年度"
                           f"（{v1 / OKU:.4g}億円、{s1}）より大きく、定義が異なる可能性がある。"))
    mext = frame[(frame["series"] == "patent_income_mext") & frame["value"].notna()]
    if len(mext):
        lines.append(L(f"FY{year_ranges(mext['year'])} (grey dashed) is MEXT's patent income within IP income, "
                       "assumed but not verified to equal licensing income; it is not joined to the earlier line.",
                       f"{year_ranges(mext['year'])}年度（灰色の破線）は知的財産権等収入のうち特許権の収入で、特許権実施等"
                       "収入と同一と仮定（未確認）。以前の系列とは線で結ばない。"))
    names = {t: type_name(t, lang) for t in dict.fromkeys(frame.loc[frame["series"] != "patent_income_mext",
                                                                    "series"])}
    for panel, pname in (("count", L("count", "件数")), ("income", L("income", "収入"))):
        for line in gap_lines(frame[frame["panel"] == panel], names, lang):
            lines.append(f"[{pname}] {line}")
    lines += user_lines(frame, unused, lang)
    return "\n".join(lines)


# ---------------------------------------------------------------- figure 8
def fig8_note(frame: pd.DataFrame, lang: str, unused: pd.DataFrame | None = None) -> str:
    """Note printed under figure 8: sources, definitions, preliminary values, the years found, user rows."""
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    lines = [L("Source: METI 'Survey on university-launched ventures' (大学発ベンチャー実態等調査; count at October "
               "of each survey year; 速報 = preliminary), values via the t46/gov-sci-tech-watcher extraction; "
               "MEXT survey on industry-academia collaboration (start-ups founded in the fiscal year).",
               "出典：経済産業省「大学発ベンチャー実態等調査」（各年度10月時点の累計、速報値を含む。t46/gov-sci-"
               "tech-watcher による抽出値）、文部科学省「大学等における産学連携等実施状況について」（当該年度の設立数）。")]
    lines.append(L("The two surveys define university start-ups differently (METI: cumulative stock of companies "
                   "alive; MEXT: companies founded in the year) and are not comparable.",
                   "両調査は定義が異なる（経産省：存続企業の累計、文科省：当該年度の設立数）ため直接比較できない。"))
    p = frame[frame["flags"].str.contains("P") & frame["value"].notna()]
    if len(p):
        lines.append(L(f"Hatched bar = preliminary (P): FY{year_ranges(p['year'])}.",
                       f"斜線の棒＝速報値（P）：{year_ranges(p['year'])}年度。"))
    names = {k: _series_name(FIG8_SERIES, k, lang) for k in FIG8_SERIES}
    lines += gap_lines(frame, names, lang)
    missing = [(names[k], _missing_years(frame, k)) for k in FIG8_SERIES]
    missing = [(n, ys) for n, ys in missing if len(ys)]
    if missing:
        lines.append(L("Not in the collected sources (add them with user_file): "
                       + "; ".join(f"{n} FY{year_ranges(ys)}" for n, ys in missing) + ".",
                       "収集資料にない年度（user_file で追加できる）：" + "；".join(f"{n} {year_ranges(ys)}年度"
                                                                  for n, ys in missing) + "。"))
    lines += user_lines(frame, unused, lang)
    return "\n".join(lines)


# ---------------------------------------------------------------- notebook narrative
def coverage_text(frame: pd.DataFrame, figure: int, lang: str = "ja", unused: pd.DataFrame | None = None) -> str:
    """Markdown bullets on what this run draws (figure 2, 5 or 8): the span, per series the fiscal years with
    a value and those without (never interpolated), where a series stops, and the user rows drawn or not."""
    labels.check_lang(lang)
    L = lambda en, ja: labels.text(en, ja, lang)  # noqa: E731
    start, end = int(frame["year"].min()), int(frame["year"].max())
    out = [L(f"- **Span drawn:** FY{start}-FY{end}.", f"- **描画範囲：** {start}-{end}年度。")]
    if figure == 2:  # the amount and count series share their labels: say which panel
        panel = {"amount": L(" (amount)", "（金額）"), "count": L(" (count)", "（件数）"), "per_project": ""}
        of = dict(zip(frame["series"], frame["panel"]))
        names = {k: _series_name(FIG2_SERIES, k, lang) + panel[of[k]] for k in FIG2_SERIES if k in of}
    elif figure == 5:
        names = {f"{panel}:{t}": type_name(t, lang) + L(f" ({panel})", "（件数）" if panel == "count" else "（収入）")
                 for panel, t in dict.fromkeys(zip(frame["panel"], frame["series"])) if t != "patent_income_mext"}
        frame = frame.assign(series=frame["panel"] + ":" + frame["series"])
    else:
        names = {k: _series_name(FIG8_SERIES, k, lang) for k in FIG8_SERIES}
    for key, name in names.items():
        f = frame[frame["series"] == key]
        obs = _years(f, "observed")
        if obs.empty:
            out.append(L(f"- **{name}:** no value found in FY{start}-FY{end}.",
                         f"- **{name}：** {start}-{end}年度に値なし。"))
            continue
        parts = [L(f"values for FY{year_ranges(obs)}", f"{year_ranges(obs)}年度の値あり")]
        for status, en, ja in (("before_first", "none before FY", "年度より前は値なし"),
                               ("after_last", "none after FY", "年度より後は値なし")):
            if len(_years(f, status)):
                y = int(obs.min()) if status == "before_first" else int(obs.max())
                parts.append(L(f"{en}{y}", f"{y}{ja}"))
        gaps = _years(f, "gap")
        if len(gaps):
            parts.append(L(f"not found for FY{year_ranges(gaps)} (left as gaps)",
                           f"{year_ranges(gaps)}年度は見つからず（欠損のまま）"))
        out.append(L(f"- **{name}:** " + "; ".join(parts) + ".", f"- **{name}：** " + "、".join(parts) + "。"))
    users = user_lines(frame, unused, lang)
    out += [f"- {line}" for line in users] or [L("- **User file:** none.", "- **利用者ファイル：** なし。")]
    return "\n".join(out)
