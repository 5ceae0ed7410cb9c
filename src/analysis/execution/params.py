"""Parameters: typed against each notebook's defaults and checked before any kernel starts.

One rule for every path parameter (``output_dir`` and the spec's ``file_params``): a relative path is taken
from the current working directory, as every command-line tool does, and is made absolute before the kernel
sees it. A file parameter must name an existing file.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Callable

from ..errors import DataFileError, ParameterError
from .specs import UNPARSEABLE, Notebook, literal

DIR_PARAMS = ("output_dir",)
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _type_name(value: Any) -> str:
    return type(value).__name__


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an int", "a float"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def coerce_cli_value(name: str, text: str, default: Any) -> Any:
    """Turn the text of ``-p name value`` into the type of the parameter's default."""
    if default is UNPARSEABLE or default is None:
        val = literal(text)
        return text if val is UNPARSEABLE else val
    try:
        if isinstance(default, bool):
            low = text.strip().lower()
            if low in _TRUE | _FALSE:
                return low in _TRUE
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, str):
            return text
        val = literal(text)
        if val is UNPARSEABLE:
            val = json.loads(text)
        return val
    except (ValueError, json.JSONDecodeError):
        raise ParameterError(name, text, f"expected {_a(_type_name(default))} like the default {default!r}") from None


def check_type(name: str, value: Any, default: Any) -> Any:
    """Check a typed value against the default's type (an int is accepted for a float); return it."""
    if default is UNPARSEABLE or default is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        value = type(default)(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ParameterError(name, value, f"expected {_a(_type_name(default))} like the default {default!r}, "
                                          f"got {_a(_type_name(value))}")
    return value


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML or JSON file holding one mapping (relative paths from the working directory)."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "parameter file not found")
    if not path.is_file():
        raise DataFileError(path, "is not a file", hint="--params takes a YAML or JSON file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            import yaml

            doc = yaml.safe_load(text)  # safe_load: a parameter file never runs code
    except Exception as exc:  # yaml and json raise their own error types
        raise DataFileError(path, f"cannot parse parameters: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataFileError(path, "must hold a mapping of parameter name to value")
    return doc


def _hook(nb: Notebook) -> Callable[[dict], None] | None:
    spec = nb.meta.get("validate")
    if not spec:
        return None
    mod_name, _, func_name = str(spec).partition(":")
    try:
        return getattr(importlib.import_module(mod_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise DataFileError(nb.path, f"validate hook {spec!r} cannot be loaded: {exc}",
                            hint='metadata["sangaku"]["validate"] must be "module:function"') from exc


def resolve_paths(nb: Notebook, typed: dict[str, Any], cwd: Path | None = None) -> dict[str, Any]:
    """Make path parameters absolute (from ``cwd``, default the working directory); file parameters must exist."""
    cwd = cwd or Path.cwd()
    out = dict(typed)
    for name in (*DIR_PARAMS, *nb.spec.file_params):
        value = out.get(name)
        if not isinstance(value, str) or not value:
            continue
        path = (cwd / value).resolve()
        if name in nb.spec.file_params:
            if not path.exists():
                raise ParameterError(name, value, f"file not found: {path} (relative paths start at the working "
                                                  "directory)")
            if not path.is_file():
                raise ParameterError(name, value, f"{path} is not a file")
        elif path.exists() and not path.is_dir():
            raise ParameterError(name, value, f"{path} exists and is not a folder")
        out[name] = str(path)
    return out


def run_hook(nb: Notebook, typed: dict[str, Any]) -> None:
    """Call the notebook's validate hook on its defaults overlaid with ``typed`` (imports the hook's module)."""
    hook = _hook(nb)
    if hook is not None:
        full = {k: v for k, v in nb.params.items() if v is not UNPARSEABLE}
        hook({**full, **typed})


def validate(nb: Notebook, overrides: dict[str, Any], *, cli_text: bool = False, hook: bool = True) -> dict[str, Any]:
    """Check overrides against the notebook's parameters and its validate hook; return typed overrides.

    ``cli_text=True`` means values are strings from ``-p`` and are converted to the default's type first.
    Path parameters come back absolute. ``hook=False`` checks names, types and paths only (no import): the
    runner calls :func:`run_hook` later, for the runs the cache does not hold.
    """
    typed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in nb.params:
            raise ParameterError(name, value, f"notebook {nb.name} has no such parameter", sorted(nb.params))
        default = nb.params[name]
        if cli_text and isinstance(value, str):
            value = coerce_cli_value(name, value, default)
        typed[name] = check_type(name, value, default)
    typed = resolve_paths(nb, typed)
    if hook:
        run_hook(nb, typed)
    return typed
