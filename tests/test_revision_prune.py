"""``analysis diff REV_A REV_B`` keeps each revision's reproduced outputs (~45 MB) for the next diff; only the
most recently compared revisions are kept, and one another diff is reproducing is never removed."""

from __future__ import annotations

import fcntl
import os

import pytest

from analysis import output_revisions as rev


def _revision(cache, n: int, used_ns: int):
    sha = f"{n:040x}"
    home = cache / sha
    (home / "output").mkdir(parents=True)
    (home / "output" / "table.csv").write_text("a\n1\n")
    (home / ".used").touch()
    os.utime(home / ".used", ns=(used_ns, used_ns))
    return sha


def test_least_recently_compared_are_removed_beyond_keep(tmp_path):
    cache = tmp_path / ".revisions"
    shas = [_revision(cache, n, used_ns=n * 10**9) for n in range(1, 7)]  # 6 is the most recent
    (cache / "wt-temporary-checkout").mkdir()  # not a commit folder: never touched
    removed = rev.prune(cache, 4)
    assert sorted(removed) == sorted(shas[:2])
    assert sorted(d.name for d in cache.iterdir()) == sorted([*shas[2:], "wt-temporary-checkout"])
    assert (cache / shas[5] / "output" / "table.csv").read_text() == "a\n1\n"
    assert rev.prune(cache, 4) == []


def test_a_revision_being_reproduced_is_left_alone(tmp_path):
    cache = tmp_path / ".revisions"
    shas = [_revision(cache, n, used_ns=n * 10**9) for n in range(1, 4)]
    with open(cache / shas[0] / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert rev.prune(cache, 2) == []  # the oldest is in use: kept
        assert (cache / shas[0]).is_dir()
    assert rev.prune(cache, 2) == [shas[0]]


def test_keep_setting_is_checked(monkeypatch):
    monkeypatch.delenv(rev.ENV_KEEP, raising=False)
    assert rev.keep_revisions() == rev.KEEP_REVISIONS
    monkeypatch.setenv(rev.ENV_KEEP, "7")
    assert rev.keep_revisions() == 7
    for bad in ("1", "-3", "four", "2.5"):
        monkeypatch.setenv(rev.ENV_KEEP, bad)
        with pytest.raises(rev.RevisionError, match=rev.ENV_KEEP):
            rev.keep_revisions()
