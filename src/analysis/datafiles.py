"""Reading and checking the project's own TOML data files (deck statements, figure 6 series).

Every check raises :class:`analysis.errors.DataFileError` naming the file, the field (column) and the entry
number (row, from 1), so a mistake in a data file reads like a mistake in a raw CSV.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Iterable

from .errors import DataFileError

# A field specification: field name -> (allowed type or types, required?)
FieldSpec = dict[str, tuple[type | tuple[type, ...], bool]]
_TYPE_NAMES = {str: "text", int: "an integer", list: "a list", dict: "a table"}


def read_toml(path: Path, what: str) -> dict:
    """The parsed TOML document at ``path``; ``what`` names the file in the not-found error
    (e.g. ``"series file"``)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(path, f"{what} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"not valid TOML: {exc}") from exc


def check_fields(path: Path, entry: object, fields: FieldSpec, row: int, what: str, prefix: str = "",
                 nonempty_text: bool = False) -> None:
    """Check one TOML table against ``fields``: it is a table, has no unknown field, every required field, and
    every value of an allowed type (a boolean is never an integer). ``prefix`` is put before the field name in
    the error's column (``"check."``); ``nonempty_text`` also refuses an empty string."""
    if not isinstance(entry, dict):
        raise DataFileError(path, f"{what} is not a table", column=prefix.rstrip(".") or None, row=row)
    for key in entry:
        if key not in fields:
            raise DataFileError(path, f"{what}: unknown field {key!r}", column=prefix + key, row=row,
                                hint=f"known fields: {', '.join(fields)}")
    for key, (types, required) in fields.items():
        if key not in entry:
            if required:
                raise DataFileError(path, f"{what} lacks required field {key!r}", column=prefix + key, row=row)
            continue
        value = entry[key]
        types = types if isinstance(types, tuple) else (types,)
        empty = nonempty_text and isinstance(value, str) and not value
        if isinstance(value, bool) or not isinstance(value, types) or empty:
            expected = " or ".join(_TYPE_NAMES[t] for t in types) + (" (non-empty)" if nonempty_text and
                                                                     str in types else "")
            raise DataFileError(path, f"{what}: {key} = {value!r} is not {expected}", column=prefix + key, row=row)


def check_choice(path: Path, value: object, choices: Iterable, what: str, column: str, row: int | None,
                 name: str | None = None) -> None:
    """Refuse a value that is not one of ``choices``; ``name`` (default: the column's last part) is what the
    error calls it ("unknown topic 'x'")."""
    choices = list(choices)
    if value not in choices:
        name = name or column.rsplit(".", 1)[-1]
        raise DataFileError(path, f"{what}: unknown {name} {value!r}", column=column, row=row,
                            hint=f"expected one of {', '.join(map(str, choices))}")
