"""Figures 2, 5 and 8: user-file rows that are not drawn are listed with the reason, and the notes and the
notebooks' narrative are generated from the data drawn (a run with other years or a user file says other
things)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.figures import common  # noqa: E402
from analysis.figures import japan_collab as jc  # noqa: E402
from analysis.sources import japan  # noqa: E402

USER_ROWS = [
    "joint_research_private_count,2022,30000,件,TEST_FORMAT_ONLY,primary,fills a gap",
    "joint_research_private_count,2005,11000,件,TEST_FORMAT_ONLY,low-reliability,loses to a better source",
    "joint_research_private_count,2003,9000,件,TEST_FORMAT_ONLY,primary,before the plotted years",
    "university_startups_founded_mext,2020,200,社,TEST_FORMAT_ONLY,primary,another figure's series",
]


@pytest.fixture(scope="module")
def jp(japan_copy) -> pd.DataFrame:
    return japan_copy  # japan.load(raw_dir), loaded once per test run (conftest)


@pytest.fixture()
def user_file(tmp_path):
    path = tmp_path / "user.csv"
    path.write_text(",".join(japan.COLUMNS) + "\n" + "\n".join(USER_ROWS) + "\n", encoding="utf-8")
    return path


def _make(make, jp, tmp_path, **kw):
    res = make(jp, output_dir=tmp_path / "out", **kw)
    plt.close(res["figure"])
    return res


def _series(frame, key, status):
    f = frame[frame["series"] == key]
    return f.loc[f["status"] == status, "year"]


def test_fig2_lists_every_user_row_it_does_not_draw_with_the_reason(jp, tmp_path, user_file):
    res = _make(jc.make_fig2, jp, tmp_path, lang="en", user_file=str(user_file))
    unused = res["unused"].set_index("year")
    assert sorted(unused.index) == [2003, 2005, 2020]
    assert unused.loc[2003, "reason"] == "joint_research_private_count FY2003 is outside the plotted years 2004-2023"
    assert unused.loc[2020, "reason"] == "university_startups_founded_mext (JPN) is not drawn in this figure"
    # FY2005: a more reliable source's value is drawn, named from the frame
    drawn = res["data"][(res["data"]["series"] == "jr_count") & (res["data"]["year"] == 2005)].iloc[0]
    assert drawn["source"] != "user"
    assert unused.loc[2005, "reason"].startswith(f"joint_research_private_count FY2005: the value of "
                                                 f"{drawn['source_id']} ({drawn['reliability']}) is drawn instead")
    note = res["note"]
    assert "User-supplied values (black squares): jr_count FY2022." in note
    line = next(t for t in note.splitlines() if t.startswith("User-file rows not drawn (3): "))
    for reason in unused["reason"]:
        assert reason in line
    # the note drawn under the figure says it too (wrapped: compare without white space)
    drawn_text = "".join("".join(t.get_text().split()) for t in res["figure"].texts)
    assert "".join("User-file rows not drawn (3)".split()) in drawn_text


def test_fig5_and_fig8_name_the_rows_of_other_figures_with_their_years(jp, tmp_path, user_file):
    r8 = _make(jc.make_fig8, jp, tmp_path, lang="en", user_file=str(user_file))
    assert list(r8["unused"]["indicator"]) == ["joint_research_private_count"] * 3
    assert ("joint_research_private_count (JPN) is not drawn in this figure (FY2003, 2005, 2022)"
            in r8["note"])
    assert "mext_founded FY2020" in r8["note"]  # the one row of figure 8 is drawn
    r5 = _make(jc.make_fig5, jp, tmp_path, lang="ja", user_file=str(user_file))
    assert len(r5["unused"]) == 4
    assert "利用者ファイルのうち描画しない行（4行）" in r5["note"]
    assert "利用者ファイルのうち描画しない行（4行）" in jc.coverage_text(r5["data"], 5, "ja", r5["unused"])


def test_without_a_user_file_nothing_is_listed(jp, tmp_path):
    res = _make(jc.make_fig8, jp, tmp_path, lang="en")
    assert res["unused"].empty and "not drawn" not in res["note"]
    assert "- **User file:** none." in jc.coverage_text(res["data"], 8, "en", res["unused"])


def test_fig2_note_names_the_missing_counts_of_this_run(jp, tmp_path, user_file):
    default = jc.fig2_frame(jp)
    gaps = sorted(set(_series(default, "jr_count", "gap")) | set(_series(default, "cr_count", "gap")))
    note = jc.fig2_note(default, "en")
    assert f"so the counts for FY{common.year_ranges(gaps)} stay missing" in note
    # NISTEP vs MEXT comparison: the latest year with both, values from the frame
    both = default[default["series"].isin(["jr_amount", "nistep_jr"]) & default["value"].notna()]
    y = int(both.groupby("year")["series"].nunique().loc[lambda s: s == 2].index.max())
    n = both[(both["series"] == "nistep_jr") & (both["year"] == y)]["value"].item() / jc.OKU
    assert f"(FY{y}: NISTEP {n:,.0f} vs MEXT" in note
    # a user value for FY2022 fills that gap: the sentence no longer names FY2022
    filled = jc.fig2_frame(jc.load_data(user_file, jp))
    note2 = jc.fig2_note(filled, "en")
    assert 2022 in gaps and "2022" not in note2.split("stay missing")[0].split("counts for")[-1]
    # a run over FY2019-2023 only speaks of its own years
    short = jc.fig2_frame(jp, 2019, 2023)
    text = jc.coverage_text(short, 2, "en")
    assert "- **Span drawn:** FY2019-FY2023." in text and "2004" not in text and "2017" not in text


def test_fig5_break_and_definition_sentences_follow_the_years_drawn(jp):
    full = jc.fig5_frame(jp)
    note = jc.fig5_note(full, "en")
    breaks = full[(full["panel"] == "count") & full["flags"].str.contains("B") & full["value"].notna()]["year"]
    assert sorted(set(breaks)) == [2012]  # read from the data: the FY2012 change in counting
    assert "FY2012: break in series (B" in note
    assert "FY2003 count (Total): excludes individual-owned patents and external TLO income." in note
    last = int(full[(full["panel"] == "count") & full["value"].notna()]["year"].max())
    assert f"Licence counts after FY{last} were not found in the collected sources (FY{last + 1}-2023 missing)." in note
    later = jc.fig5_note(jc.fig5_frame(jp, 2013, 2016), "en")
    assert "break in series" not in later and "FY2003" not in later and "after FY" not in later


def test_fig8_says_which_years_are_not_in_the_sources(jp, tmp_path):
    frame = jc.fig8_frame(jp)
    first = int(frame[(frame["series"] == "meti_cumulative") & frame["value"].notna()]["year"].min())
    note = jc.fig8_note(frame, "en")
    assert f"University start-ups, cumulative (METI) FY2010-{first - 1}" in note
    user = tmp_path / "meti.csv"
    user.write_text(",".join(japan.COLUMNS) + f"\nmeti_university_startups_cumulative,{first - 1},3500,社,"
                    "TEST_FORMAT_ONLY,primary,format test\n", encoding="utf-8")
    note2 = jc.fig8_note(jc.fig8_frame(jc.load_data(user, jp)), "en")
    assert f"(METI) FY2010-{first - 2};" in note2
