"""Dated vintages of the raw sources: ``data/raw/<source>/<vintage>/`` holds one release of a source, as retrieved.

A vintage is named by the release or retrieval date its SOURCE.md states: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or,
for a second retrieval on one day, ``YYYY-MM-DDTHHMMZ`` (UTC). These names sort by date as plain strings. Old
vintages are never overwritten; ``analysis update`` adds a new folder beside them.

Which vintage a source is read from:

1. a pin in ``$SANGAKU_VINTAGES`` (``"oecd_msti=2025-03,japan=2026-11-29"``; ``analysis reproduce --vintage``
   sets it, so workers and kernels inherit it);
2. else a pin in ``data/vintages.toml`` (the file beside ``data/raw``, table ``[pins]``);
3. else the newest *committed* vintage: the newest one the manifest (``data/raw/manifest.json``) lists files of.
   A folder outside a project (no manifest) uses the vintage folders on disk; a source without any vintage
   folder (a plain copy, e.g. in a test) is read where it is. ``analysis manifest --refresh`` refuses files
   outside a vintage folder, so every committed source has one.

A source is named by its folder (``oecd_msti``) or by its loader module's short name (``msti``, ``wdi``).
Loaders call :func:`folder`; notebooks name raw files logically (``deck/deck.txt``) and :func:`resolve_relpath`
turns that into ``deck/2025/deck.txt``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from .errors import SangakuError

ENV_PINS = "SANGAKU_VINTAGES"
PINS_FILE = "vintages.toml"
MANIFEST_NAME = "manifest.json"
VINTAGE_RE = re.compile(r"^(19|20)\d{2}(-\d{2}(-\d{2}(T\d{4}Z)?)?)?$")  # not a table id like 9985


class VintageError(SangakuError, ValueError):
    """A vintage pin names an unknown source or a vintage that is not there, or a folder has no vintage."""


def is_vintage(name: str) -> bool:
    """True for a folder name of the vintage form (``2025-03``, ``2026-11-29``, ``2026-12-01T1420Z``)."""
    return bool(VINTAGE_RE.match(name))


def aliases() -> dict[str, str]:
    """Every accepted name of a source -> its folder: the folder itself and its loader module's short name."""
    from .sources import SOURCE_MODULES

    out = {src: src for src in SOURCE_MODULES}
    for src, mod in SOURCE_MODULES.items():
        out.setdefault(mod.rsplit(".", 1)[-1], src)
    out.setdefault("deck", "deck")  # read directly by notebooks, not built
    return out


def canonical(name: str) -> str:
    """The source folder a user's name (``msti``, ``oecd_msti``) stands for."""
    names = aliases()
    if name in names:
        return names[name]
    if re.match(r"^[a-z0-9_]+$", name):  # a folder read only by notebooks; resolve() says if it has no vintage
        return name
    raise VintageError(f"vintage pin {name!r}: unknown source; valid names: {', '.join(sorted(names))}")


def parse_pins(text: str, *, origin: str = ENV_PINS) -> dict[str, str]:
    """``"msti=2025-03,japan=2026-11-29"`` -> ``{"oecd_msti": "2025-03", "japan": "2026-11-29"}``."""
    pins: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        name, sep, vintage = item.partition("=")
        if not sep or not vintage.strip():
            raise VintageError(f"{origin}: {item!r} is not SOURCE=VINTAGE (e.g. msti=2025-03)")
        pins[canonical(name.strip())] = _checked_name(vintage.strip(), origin)
    return pins


def _checked_name(vintage: str, origin: str) -> str:
    if not is_vintage(vintage):
        raise VintageError(f"{origin}: vintage {vintage!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD)")
    return vintage


def pins_path(raw: Path) -> Path:
    """``data/vintages.toml``: the pins file beside ``data/raw``."""
    return Path(raw).parent / PINS_FILE


def pins(raw: Path) -> dict[str, str]:
    """Pinned vintages: the pins file overlaid by ``$SANGAKU_VINTAGES``."""
    out: dict[str, str] = {}
    path = pins_path(raw)
    if path.is_file():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise VintageError(f"file {path}: not valid TOML: {exc}") from exc
        table = doc.get("pins", {})
        if not isinstance(table, dict):
            raise VintageError(f"file {path}: [pins] must be a table of source = \"vintage\"")
        for name, vintage in table.items():
            out[canonical(name)] = _checked_name(str(vintage), str(path))
    out.update(parse_pins(os.environ.get(ENV_PINS, "")))
    return out


def _manifest_vintages(raw: Path) -> dict[str, set[str]] | None:
    path = Path(raw) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None  # manifest.verify names the broken manifest; here we fall back to the folders
    out: dict[str, set[str]] = {}
    for entry in doc.get("files", []):
        parts = str(entry.get("path", "")).split("/")
        if len(parts) >= 3 and is_vintage(parts[1]):
            out.setdefault(parts[0], set()).add(parts[1])
    return out


def available(raw: Path, source: str) -> list[str]:
    """The committed vintages of ``source``, oldest first (manifest; folders on disk without a manifest)."""
    listed = _manifest_vintages(raw)
    if listed is not None:
        return sorted(listed.get(source, set()))
    folder_ = Path(raw) / source
    return sorted(p.name for p in folder_.iterdir() if p.is_dir() and is_vintage(p.name)) if folder_.is_dir() else []


def resolve(raw: Path, source: str) -> str | None:
    """The vintage ``source`` is read from: its pin, else the newest committed vintage; None for a source that
    has no vintage folders at all (a plain folder, e.g. a test's copy: it is read where it is)."""
    have = available(raw, source)
    pinned = pins(raw).get(source)
    if pinned is not None:
        if pinned not in have:
            raise VintageError(f"vintage pin {source}={pinned}: no such committed vintage in {Path(raw) / source}; "
                               f"available: {', '.join(have) or 'none'}")
        return pinned
    return have[-1] if have else None


def vintage_of(relpath: str) -> str | None:
    """The vintage folder named in a raw path (``oecd_msti/2025-03/x.gz`` -> ``2025-03``), None for a flat one."""
    parts = str(relpath).split("/")
    return parts[1] if len(parts) >= 3 and is_vintage(parts[1]) else None


def folder(raw_dir: Path | str, source: str) -> Path:
    """The folder a loader reads ``source`` from: ``raw_dir/<source>/<resolved vintage>``."""
    raw = Path(raw_dir)
    vintage = resolve(raw, source)
    return raw / source / vintage if vintage else raw / source


def resolve_relpath(relpath: str | Path, raw: Path) -> str:
    """A logical raw path (``deck/deck.txt``) -> the path in its resolved vintage (``deck/2025/deck.txt``).

    A path that already names a vintage (``deck/2025/deck.txt``) is kept.
    """
    parts = Path(relpath).as_posix().split("/")
    if len(parts) >= 3 and is_vintage(parts[1]):
        return "/".join(parts)
    vintage = resolve(raw, parts[0])
    return "/".join([parts[0], vintage, *parts[1:]] if vintage else parts)


def resolved(raw: Path, sources: list[str] | None = None) -> dict[str, str]:
    """{source: vintage} for ``sources`` (default: every source with a committed vintage)."""
    listed = _manifest_vintages(raw) or {}
    stray = sorted(set(pins(raw)) - set(listed)) if listed else []
    if stray:
        raise VintageError(f"vintage pin {stray[0]}=...: no committed vintage of source {stray[0]!r}; "
                           f"sources: {', '.join(sorted(listed))}")
    names = sorted(listed) if sources is None else sorted(sources)
    return {src: v for src in names if (v := resolve(raw, src)) is not None}


def pin_for_run(values: list[str] | None, raw: Path | None = None) -> dict[str, str]:
    """Apply ``--vintage SOURCE=VINTAGE`` options for this process and its workers and kernels (through
    ``$SANGAKU_VINTAGES``); every pin is checked against the committed vintages first."""
    from . import paths

    if not values:
        return {}
    raw = Path(raw or paths.raw_dir())
    merged = {**parse_pins(os.environ.get(ENV_PINS, "")), **parse_pins(",".join(values), origin="--vintage")}
    for source, vintage in merged.items():
        have = available(raw, source)
        if vintage not in have:
            raise VintageError(f"--vintage {source}={vintage}: no such committed vintage in {raw / source}; "
                               f"available: {', '.join(have) or 'none'}")
    os.environ[ENV_PINS] = ",".join(f"{s}={v}" for s, v in sorted(merged.items()))
    return merged
