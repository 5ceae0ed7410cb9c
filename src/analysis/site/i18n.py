"""The site's two languages: labels from ``i18n.toml`` and the markup that shows one language at a time.

Every label is written into the page in both languages (``<span lang="ja">…</span><span lang="en">…</span>``);
``static/site.js`` sets ``data-lang`` on ``<html>`` from the reader's choice (``localStorage``, or ``?lang=`` when
the browser keeps no storage for ``file://``) and the stylesheet hides the other language, so switching keeps the
reader on the same page and works offline.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

LANGS = ("ja", "en")
LABELS_FILE = Path(__file__).resolve().parent / "i18n.toml"


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, dict[str, str]]]:
    doc = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    for section, entries in doc.items():
        for key, pair in entries.items():
            if set(pair) != set(LANGS):
                raise ValueError(f"file {LABELS_FILE}: [{section}] {key} must have exactly ja and en, has {sorted(pair)}")
    return doc


def label(key: str, lang: str, section: str = "ui") -> str:
    """The label ``key`` of ``[section]`` in ``lang``; an unknown key is a ``KeyError`` naming the file."""
    try:
        return _labels()[section][key][lang]
    except KeyError:
        raise KeyError(f"file {LABELS_FILE}: no label [{section}] {key!r}") from None


def pair(ja: str, en: str, tag: str = "span") -> Markup:
    """Both versions of a text, each marked with its language (the stylesheet shows one)."""
    if ja == en:
        return Markup(escape(ja))
    return Markup(f'<{tag} lang="ja">{escape(ja)}</{tag}><{tag} lang="en">{escape(en)}</{tag}>')


def both(key: str, section: str = "ui", tag: str = "span") -> Markup:
    """``pair`` of a label of ``i18n.toml``."""
    return pair(label(key, "ja", section), label(key, "en", section), tag)


def both_or(key: str, section: str, fallback: str | None = None) -> Markup:
    """``both`` of a label, or ``fallback`` (default: the key) as it is where ``i18n.toml`` has no such label (a
    kind of change a diff module adds after this file was written)."""
    try:
        return both(key, section)
    except KeyError:
        return Markup(escape(key if fallback is None else fallback))


def verdict_word(verdict: str, lang: str) -> str:
    """The word for a computed verdict; ``no verdict (…)`` keeps its reason, unknown verdicts are shown as exported."""
    words = _labels()["verdict"]
    if verdict in words:
        return words[verdict][lang]
    head, sep, rest = verdict.partition(" (")
    if head in words:
        return words[head][lang] + (f" ({rest}" if sep else "")
    return verdict


def say(key: str, lang: str, **values: str) -> str:
    """A sentence of ``[say]`` with its placeholders filled."""
    return label(key, lang, "say").format(**values)
