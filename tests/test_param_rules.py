"""One rule for empty list parameters, and parameters that are accepted also run.

Every notebook's list (or dict) parameter is read from its parameters cell, and its validate hook (named in
``metadata["sangaku"]["validate"]``) is called directly: ``[]`` / ``{}`` is the automatic choice
(``analysis.figures.common.EMPTY_RULE``), never "nothing" and never an error. The generated narrative names the
economies, years and sample sizes of the data actually used.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis import data, labels  # noqa: E402
from analysis.errors import ParameterError  # noqa: E402
from analysis.figures import business_researchers as br  # noqa: E402
from analysis.figures import common  # noqa: E402
from analysis.figures import herd_business_share as hb  # noqa: E402
from analysis.models import country, country_report  # noqa: E402

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def _notebook_params(path: Path) -> tuple[dict, str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    params = {}
    for node in ast.parse("".join(cell["source"])).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            params[node.targets[0].id] = ast.literal_eval(node.value)
    return params, nb["metadata"]["sangaku"].get("validate", "")


def _hook(spec: str):
    mod, _, func = spec.partition(":")
    return getattr(importlib.import_module(mod), func)


def _list_params():
    out = []
    for path in sorted(NB_DIR.glob("*.ipynb")):
        params, hook = _notebook_params(path)
        for name, value in params.items():
            if isinstance(value, (list, dict)):
                out.append(pytest.param(path.stem, name, params, hook, id=f"{path.stem}:{name}"))
    return out


LIST_PARAMS = _list_params()


def test_every_list_parameter_is_found():
    names = {p.values[0].split("_")[0] + ":" + p.values[1] for p in LIST_PARAMS}
    # the notebooks whose parameters cells hold lists; a new one must be covered by the rule as well
    assert {"fig01:countries", "fig03:countries", "fig04:countries", "fig05:institution_types", "fig06:metrics",
            "fig06:series", "fig06:years", "fig07:institutions", "h2:estimators", "h3:countries",
            "h3:drop_countries", "h4:years", "h4:countries", "h4:exclude"} <= names


@pytest.mark.parametrize("nb, name, defaults, hook", LIST_PARAMS)
def test_empty_list_is_the_automatic_choice_everywhere(nb, name, defaults, hook):
    empty = {} if isinstance(defaults[name], dict) else []
    _hook(hook)({**defaults, name: empty})  # accepted: [] is the automatic choice, not an error


def fig06_frames():
    return {name: data.load(name) for name in ("japan", "ncses_autm")}


def test_h4_default_containers_keep_the_runner_type():
    params, _ = _notebook_params(NB_DIR / "h4_country_absorptive_capacity.ipynb")
    # [] rather than None, so that an override (-p countries '["JPN","KOR"]') is type-checked against a list
    assert params["countries"] == [] and params["years"] == [] and params["exclude"] == []
    country.validate_params({"countries": None, "years": None})  # the older spelling still means the same


def test_automatic_choices_resolve_to_every_item_with_data(msti_tidy):
    from analysis.figures import japan_collab
    from analysis.models import count_panel, firm, industry

    key = br.series_key("B_RS")
    sub = msti_tidy[msti_tidy["indicator"] == key]
    in_2011 = sorted(set(sub.loc[sub["year"] == 2011, "entity"]) - labels.AGGREGATES)
    assert br.resolve_countries({"countries": []}, msti_tidy) == in_2011
    assert "OECD" not in hb.snapshot_countries({"countries": []}, msti_tidy)
    share = msti_tidy[msti_tidy["indicator"] == hb.SHARE_KEY]
    have_2021 = sorted(set(share.loc[share["year"] == 2021, "entity"]) - labels.AGGREGATES)
    assert hb.snapshot_countries({"countries": [], "year": 2021}, msti_tidy) == have_2021
    assert japan_collab.check_institution_types([]) == list(japan_collab.INSTITUTION_TYPES)
    from analysis.figures import tech_transfer_us_jp as fig06
    assert list(dict.fromkeys(fig06.table(fig06_frames(), metrics=[], series=[])["metric"])) == list(fig06.METRICS)
    assert list(dict.fromkeys(fig06.table(fig06_frames(), metrics=["startups"], series=[])["series"])) == \
        list(fig06.all_series())
    assert firm.resolve_estimators([]) == list(count_panel.ESTIMATORS)
    industry.validate_params({"countries": [], "drop_countries": []})
    with pytest.raises(Exception, match="countries"):  # still at least 2 countries after the drop
        industry.validate_params({"countries": [], "drop_countries": list(industry.COUNTRIES)[1:]})
    assert common.is_auto([]) and common.is_auto({}) and not common.is_auto(["JPN"]) and not common.is_auto(None)


def test_fig01_empty_countries_draws_every_economy(msti_tidy, tmp_path):
    frame = br.index_frame(msti_tidy, countries=[])
    assert list(dict.fromkeys(frame["entity"])) == br.resolve_countries({"countries": []}, msti_tidy)
    fig = br.plot(frame, "en")
    plt.close(fig)


# ---------------------------------------------------------------- h4 without Japan
@pytest.fixture(scope="module")
def country_frames():
    return data.load("oecd_msti"), data.load("pwt")


def test_h4_exclude_japan_runs_and_says_japan_is_excluded(country_frames, tmp_path):
    params = {"exclude": ["JPN"], "bootstrap_reps": 99}
    country.validate_params(params)
    res = country.estimate(*country_frames, params)
    assert res.japan.empty
    for lang in ("en", "ja"):
        fig, jdata = country_report.plot_japan(res.japan, lang, res.params)  # no error with zero models
        fig.savefig(tmp_path / f"jp_{lang}.png")
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        plt.close(fig)
        assert any("JPN" in t and ("excluded" in t or "除外" in t) for t in texts)
        assert "JPN" in country_report.japan_text(res, lang)
    assert "excluded" in country_report.japan_text(res, "en")


def test_h4_coverage_text_counts_the_economies_used(country_frames):
    chosen = ["JPN", "USA", "DEU", "FRA", "GBR", "KOR", "ITA", "CAN"]
    res = country.estimate(*country_frames, {"countries": chosen, "bootstrap_reps": 99})
    text = country_report.coverage_text(res, "en")
    ns = {name: mf.data["entity"].nunique() for name, mf in res.frames.items()}
    assert max(ns.values()) <= len(chosen)
    for name, n in ns.items():
        assert f"**{name}**: {n} economies" in text
    assert "45" not in text
    assert "China** is not in this selection" in text
    # the UK series that ends early is named with its last year in the C2 sample, read from the sample itself
    c2 = res.frames["C2 HERD financed by business"].data
    uk_last = int(c2.loc[c2["entity"] == "GBR", "year"].max())
    if uk_last < int(c2["year"].max()) - 2:
        assert f"United Kingdom ({uk_last})" in text


# ---------------------------------------------------------------- figures 1, 3, 4: generated narrative
def _last_year(tidy, key, code):
    s = tidy[(tidy["indicator"] == key) & (tidy["entity"] == code) & tidy["value"].notna()]
    return int(s["year"].max())


def test_fig01_text_names_the_selected_economies_and_their_years(msti_tidy):
    frame = br.index_frame(msti_tidy, countries=["TWN", "SGP"])
    for lang in ("en", "ja"):
        text = br.coverage_text(frame, lang)
        assert labels.area_name("TWN", lang) in text and labels.area_name("SGP", lang) in text
        assert labels.area_name("GBR", lang) not in text and "2017" not in text  # the default run's UK sentence
    text = br.coverage_text(frame, "en")
    key = br.series_key("B_RS")
    end = max(_last_year(msti_tidy, key, c) for c in ("TWN", "SGP"))
    assert f"2 economies" in text and f"2011-{end}" in text
    for c in ("TWN", "SGP"):
        last = _last_year(msti_tidy, key, c)
        if last < end:
            assert f"{labels.area_name(c, 'en')} ({last})" in text


def test_fig01_default_text_reports_the_uk_end_and_unflagged_jumps(msti_tidy):
    text = br.coverage_text(br.index_frame(msti_tidy), "en")
    key = br.series_key("B_RS")
    assert f"United Kingdom ({_last_year(msti_tidy, key, 'GBR')})" in text
    de = msti_tidy[(msti_tidy["indicator"] == key) & (msti_tidy["entity"] == "DEU")].set_index("year")["value"]
    change = de[2015] / de[2014] - 1
    assert f"Germany 2015 ({change:+.0%})" in text
    assert "Japan (throughout)" in text  # definition differs in every drawn year


def test_fig03_text_names_economies_without_a_value(msti_tidy):
    frame = hb.snapshot_frame(msti_tidy, 2022)
    text = hb.snapshot_text(frame, 2022, "en")
    share = msti_tidy[(msti_tidy["indicator"] == hb.SHARE_KEY) & (msti_tidy["year"] == 2022)]
    missing = [c for c in hb.SNAPSHOT_COUNTRIES if c not in set(share["entity"])]
    assert missing  # the 2022 edition lacks some economies
    line = next(t for t in text.split("\n\n") if t.startswith("No business-financed share value for 2022"))
    for c in missing:
        assert labels.area_name(c, "en") in line


def test_fig04_text_lists_breaks_with_the_values_either_side(msti_tidy):
    frame = hb.trend_frame(msti_tidy, ["GBR"])
    text = hb.trend_text(frame, "en")
    s = msti_tidy[(msti_tidy["indicator"] == hb.SHARE_KEY) & (msti_tidy["entity"] == "GBR")]
    breaks = s[s["flags"].fillna("").str.contains("B", regex=False) & (s["year"] >= 1995)]
    assert len(breaks)
    by_year = s.set_index("year")["value"]
    for y in breaks["year"].astype(int):
        assert f"United Kingdom {y} ({by_year[y - 1]:.1f} % → {by_year[y]:.1f} %)" in text
    assert "1 economies (United Kingdom)" in text


@pytest.mark.parametrize("hook", ["analysis.figures.tech_transfer_params:validate_params",
                                  "analysis.figures.university_finance_compare:validate_params",
                                  "analysis.figures.deck_statements_params:validate_params"])
def test_output_dir_that_is_not_text_is_named(hook):
    """``figures.common.check_output_dir``, as each figure hook that checks ``output_dir`` calls it (fig10's case
    is in tests/test_fig_doctorates.py)."""
    import importlib

    module, _, func = hook.partition(":")
    with pytest.raises(ParameterError, match=r"output_dir=\['out'\]: expected a folder path as text"):
        getattr(importlib.import_module(module), func)({"output_dir": ["out"]})
