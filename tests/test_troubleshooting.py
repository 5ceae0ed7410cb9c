"""Every error added by issue 14 has its row in the README's Troubleshooting table: the error is raised for real
here, and the fixed part of its message must stand in the table (a new message without a row fails)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import registry
from analysis.errors import DataFileError, ParameterError
from analysis.figures import tech_transfer_us_jp as f6
from analysis.models import inference, verdicts
from analysis.sources import japan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| "))


def _user_error(tmp_path: Path, row: str) -> str:
    path = tmp_path / "user.csv"
    path.write_text(",".join(japan.COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        japan.read_file(path, source="user")
    return str(exc.value)


@pytest.mark.parametrize("row, fragments", [
    ("joint_research_private_count,2022,15800,億円,X,primary,", ["column 'unit'", "does not fit series", "a count"]),
    ("joint_research_private_count,2022,-5,件,X,primary,", ["column 'value'", "negative value",
                                                          "is not possible for series", "a count"]),
    ("joint_research_private_count,1800,5,件,X,primary,", ["column 'year'", "is outside the plausible years of series"]),
])
def test_bad_user_values_have_their_row(tmp_path, table, row, fragments):
    message = _user_error(tmp_path, row)
    rows = [line for line in table.splitlines() if all(f in line for f in fragments)]
    assert all(f in message for f in fragments) and rows, message


def test_unlisted_raw_file_has_its_row(table):
    from analysis import manifest
    import inspect
    source = inspect.getsource(manifest.verify)
    assert "not in the manifest" in source and "add it with `analysis manifest --refresh` or remove it" in source
    assert any("not in the manifest (add it with `analysis manifest --refresh` or remove it)" in line
               for line in table.splitlines())


def test_empty_list_rule_error_has_its_row(table):
    with pytest.raises(ParameterError) as exc:
        f6.validate_params({"metrics": "startups"})
    assert "expected a list ([] means the automatic choice" in str(exc.value)
    assert "expected a list ([] means the automatic choice: …)" in table


def test_verdict_flags_have_their_rows(table):
    h = registry.get("C1b", families="country")
    flags = verdicts.flags(h, 3, "CR1 clustered by entity, t(2)")
    assert flags == [f"too few clusters (3 < {h.min_clusters})"]
    assert registry.NO_VERDICT_FEW_CLUSTERS in table and "flag `too few clusters (3 < 20)`" in table
    model_se = verdicts.flags(h, None, "")
    assert model_se and model_se[0].startswith("inference differs from registered (")
    assert "flag `inference differs from registered (…)`" in table


def test_unbounded_bootstrap_interval_has_its_row(table):
    rng = np.random.default_rng(0)
    g = np.repeat([0, 1], 10)
    d = pd.DataFrame({"x": rng.normal(size=20), "g": g})
    d["y"] = 0.3 * d["x"] + rng.normal(size=20)
    wb = inference.wild_cluster_bootstrap("y ~ x", d, "g", "x", reps=199, seed=1)
    phrase = re.search(r"interval unbounded below and above: the test rejects no value within 2\^20 standard "
                       r"errors", wb.inference)
    assert phrase and phrase.group(0) in table


def test_browser_setup_and_lab_have_their_rows(table):
    run_sh = (ROOT / "run.sh").read_text(encoding="utf-8")
    assert "the browser test needs $missing; run as root: $cmd" in run_sh
    assert "[setup] the browser test needs chromium" in table and "run as root: apt-get update -qq" in table
    assert "lab)" in run_sh and "`./run.sh lab`" in table
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### Working interactively" in readme and "./run.sh lab" in readme.split("### Working interactively")[1]
