"""Atomic writes: an interrupted write leaves the previous file intact and no temp file behind."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import io


def test_failed_write_keeps_previous_content(tmp_path):
    target = tmp_path / "x.csv"
    io.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_parquet_write_failure_mid_frame(tmp_path, monkeypatch):
    target = tmp_path / "d.parquet"
    io.write_parquet(target, pd.DataFrame({"a": [1, 2]}))
    before = target.read_bytes()

    def boom(self, path, **kw):
        open(path, "wb").write(b"PAR1 partial")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        io.write_parquet(target, pd.DataFrame({"a": [3]}))
    assert target.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


def test_csv_bytes_are_deterministic():
    df = pd.DataFrame({"a": [0.1 + 0.2, 1e-12], "b": ["x", "y"]})
    assert io.frame_to_csv_bytes(df) == io.frame_to_csv_bytes(df.copy())
    assert io.frame_to_csv_bytes(df).decode().splitlines()[1] == "0.3,x"
