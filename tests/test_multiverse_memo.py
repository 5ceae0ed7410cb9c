"""The multiverse estimate shared by h5 and h6: exact round trip, reused only under the same key, never half-written."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.multiverse import engine, memo

# A small real run: C2a with every dimension but two fixed to its registered choice (a few specifications).
SMALL = dict(hypotheses=["C2a"], fix={"lag": 0, "flags": "keep", "exclude": "none", "effects": "twoway"},
             reps=99, seed=7, test=True)


@pytest.fixture()
def memo_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "output"))
    return tmp_path / "output" / ".cache" / "multiverse"


def _counting_run(monkeypatch) -> list:
    calls = []
    real = engine.run

    def run(*a, **k):
        calls.append(a)
        return real(*a, **k)

    monkeypatch.setattr(engine, "run", run)
    return calls


def test_second_call_reads_the_stored_run_exactly(memo_root, monkeypatch):
    calls = _counting_run(monkeypatch)
    first = memo.run_shared(**SMALL, workers=1)
    second = memo.run_shared(**SMALL, workers=1)
    assert len(calls) == 1, "the second call with the same inputs estimated again"
    assert len(first.table) > 1
    for name in memo.TABLES:
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True)
    assert second.params == first.params
    # mixed-type object columns keep each value's type (seed is an int where draws were made)
    assert [type(v) for v in first.table["seed"]] == [type(v) for v in second.table["seed"]]


@pytest.fixture(scope="module")
def country_data():
    data, _ = engine.prepare(["country"])
    return data


def test_other_parameters_or_inputs_give_another_key(tmp_path, country_data):
    p = memo.run_params(**SMALL)
    assert memo.families(p) == ["country"]
    base = memo.key(p, country_data)
    assert memo.key(memo.run_params(**{**SMALL, "seed": 8}), country_data) != base
    assert memo.key(memo.run_params(**{**SMALL, "reps": 199}), country_data) != base
    assert memo.key(memo.run_params(**{**SMALL, "fix": {**SMALL["fix"], "lag": 1}}), country_data) != base
    # [] and None both mean every hypothesis with a space; {} and None no fixed dimension
    assert memo.run_params([], {}, reps=99, seed=7, test=True) == memo.run_params(None, None, reps=99, seed=7,
                                                                                     test=True)
    # an edit of a declared space (package data) changes the key
    pkg = tmp_path / "analysis"
    shutil.copytree(memo.Path(memo.__file__).resolve().parents[1] / "hypotheses", pkg / "hypotheses")
    assert memo.key(p, country_data, package_dir=pkg) == base
    f = pkg / "hypotheses" / "spaces" / "country.toml"
    f.write_text(f.read_text() + "\n# edited\n")
    assert memo.key(p, country_data, package_dir=pkg) != base


def test_one_changed_value_of_the_estimation_data_changes_the_key(country_data):
    p = memo.run_params(**SMALL)
    base = memo.key(p, country_data)
    panel = country_data["country"]["panel"]
    assert memo.key(p, {"country": {**country_data["country"], "panel": panel.copy()}}) == base
    edited = panel.copy()
    col = "berd_gdp"
    row = edited[col].first_valid_index()
    edited.loc[row, col] = edited.loc[row, col] * (1 + 1e-12)
    assert memo.key(p, {"country": {**country_data["country"], "panel": edited}}) != base


def test_an_incomplete_stored_run_is_estimated_again(memo_root, monkeypatch):
    calls = _counting_run(monkeypatch)
    memo.run_shared(**SMALL, workers=1)
    p = memo.run_params(**SMALL)
    folder = memo_root / memo.key(p, engine.prepare(memo.families(p))[0])
    (folder / "tests.parquet").unlink()
    memo.run_shared(**SMALL, workers=1)
    assert len(calls) == 2
    assert not [p for p in memo_root.iterdir() if p.name.startswith(".tmp-")]


def test_the_lock_is_per_key(tmp_path):
    """A run being estimated under one key holds only that key: another key's caller goes ahead, the same key's
    caller waits."""
    import fcntl

    root = tmp_path / "multiverse"
    with memo._locked(root, "a" * 64):
        for k, free in (("b" * 64, True), ("a" * 64, False)):
            with open(root / f".lock-{k}", "a+b") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    got = True
                    fcntl.flock(fh, fcntl.LOCK_UN)
                except BlockingIOError:
                    got = False
            assert got is free, k[:1]
