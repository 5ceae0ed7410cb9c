"""File hashes remembered by stat (``execution.filehash``): the same digest as reading the file, and never a
stale one — an edit, a same-size rewrite with the old mtime, a replacement or a fresh write is read again."""

from __future__ import annotations

import hashlib
import os

import pytest

from analysis.execution import filehash


@pytest.fixture()
def memo(tmp_path, monkeypatch):
    monkeypatch.setenv("SANGAKU_OUTPUT", str(tmp_path / "out"))
    filehash.forget_all()
    yield tmp_path
    filehash.forget_all()


def _real(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_remembered_hash_is_reused_only_while_the_file_is_unchanged(memo, monkeypatch):
    f = memo / "a.csv"
    f.write_bytes(b"country,value\nJPN,3\n")
    monkeypatch.setattr(filehash, "RACY_SECONDS", 0.0)  # ctime is 'now' in a test: accept it at once
    assert filehash.sha256(f) == _real(f)
    assert str(f) in filehash._memo()
    # an unchanged file is not read again
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: reads.append(a[0]) or real_open(*a, **k))
    assert filehash.sha256(f) == _real(f) and reads == []
    monkeypatch.setattr("builtins.open", real_open)
    # same size, mtime put back: ctime moved, so it is read again and the new content counts
    st = f.stat()
    f.write_bytes(b"country,value\nJPN,4\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert filehash.sha256(f) == _real(f) != hashlib.sha256(b"country,value\nJPN,3\n").hexdigest()
    # replaced by another file (rename): another inode and ctime
    g = memo / "b.csv"
    g.write_bytes(b"country,value\nUSA,9\n")
    os.replace(g, f)
    assert filehash.sha256(f) == _real(f)


def test_a_file_written_just_now_is_not_remembered(memo):
    f = memo / "fresh.txt"
    f.write_text("just written")
    assert filehash.sha256(f) == _real(f)
    assert str(f) not in filehash._memo()  # within RACY_SECONDS of its ctime


def test_saved_hashes_serve_the_next_process_and_drop_removed_files(memo, monkeypatch):
    monkeypatch.setattr(filehash, "RACY_SECONDS", 0.0)
    keep, gone = memo / "keep.txt", memo / "gone.txt"
    keep.write_text("k")
    gone.write_text("g")
    filehash.sha256(keep), filehash.sha256(gone)
    gone.unlink()
    filehash.save()
    filehash.forget_all()  # as a new command
    assert set(filehash._memo()) == {str(keep)}
    assert filehash.sha256(keep) == _real(keep)


def test_a_missing_file_raises_as_reading_would(memo):
    with pytest.raises(FileNotFoundError):
        filehash.sha256(memo / "absent")
