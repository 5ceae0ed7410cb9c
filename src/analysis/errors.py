"""Error types. Every message names the file, column, row or parameter at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


class SangakuError(Exception):
    """Base class of all errors the package raises on purpose."""


class DataFileError(SangakuError, ValueError):
    """A raw or user-supplied data file is missing, malformed or inconsistent."""

    def __init__(self, path: str | Path, problem: str, *, column: str | None = None,
                 row: int | None = None, hint: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.column = column
        self.row = row
        self.hint = hint
        where = [f"file {self.path}"]
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        msg = f"{', '.join(where)}: {problem}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class ChecksumError(DataFileError):
    """A raw file does not match the sha256 recorded in the manifest."""

    def __init__(self, path: str | Path, expected: str, actual: str):
        self.expected = expected
        self.actual = actual
        super().__init__(
            path, f"sha256 mismatch: expected {expected}, actual {actual}",
            hint="if this is a deliberate data update, run `analysis manifest --refresh` and commit the new manifest",
        )


class ParameterError(SangakuError, ValueError):
    """A user-supplied parameter (country, year, language, notebook, ...) is not valid."""

    def __init__(self, name: str, value: object, problem: str, choices: Iterable[object] | None = None):
        self.name = name
        self.value = value
        self.choices = list(choices) if choices is not None else None
        msg = f"parameter {name}={value!r}: {problem}"
        if self.choices is not None:
            shown = ", ".join(map(str, self.choices[:60]))
            more = "" if len(self.choices) <= 60 else f", ... ({len(self.choices)} in all)"
            msg += f"; valid choices: {shown}{more}"
        super().__init__(msg)
