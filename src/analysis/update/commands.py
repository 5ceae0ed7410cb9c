"""``analysis update msti|wdi|japan`` and ``analysis diff`` on the command line."""

from __future__ import annotations

import argparse

from ..errors import ParameterError


def _cmd_update(args: argparse.Namespace) -> int:
    from . import fetchers

    if args.source == "japan":
        if not args.file:
            raise ParameterError("--file", None, "analysis update japan needs --file NEW.csv (the Japanese series "
                                 "have no API)")
        added = fetchers.update_japan(args.file)
    else:
        if args.file:
            raise ParameterError("--file", args.file, f"only for `update japan`; {args.source} is fetched from its API")
        fetch = fetchers.update_msti if args.source == "msti" else fetchers.update_wdi
        added = fetch(base_url=args.base_url, timeout=args.timeout)
    print(added.message)
    if added.vintage and added.previous:
        print(f"next: `analysis diff {added.source}={added.previous} {added.source}={added.vintage}` shows what "
              f"changed; `analysis reproduce` builds from it (--vintage {added.source}={added.previous} rebuilds the "
              f"old one); paste `analysis manifest --statement` into README.md and commit data/raw")
    return 0


def _side(text: str) -> tuple[str, str]:
    from .. import vintages

    name, sep, vintage = text.partition("=")
    if not sep or not vintage:
        raise ParameterError("vintage", text, "expected SOURCE=VINTAGE, e.g. msti=2025-03")
    return vintages.canonical(name), vintage


def _cmd_diff(args: argparse.Namespace) -> int:
    from .. import vintage_diff

    if args.old.endswith(".csv") and args.new.endswith(".csv"):  # two verdict exports
        from .. import verdict_diff

        vd = verdict_diff.compare(args.old, args.new, rtol=args.tolerance)
        print(verdict_diff.markdown(vd))
        csv_path, md_path = verdict_diff.write(vd, args.output)
        print(f"written: {csv_path} and {md_path}")
        return 0
    (src_old, old), (src_new, new) = _side(args.old), _side(args.new)
    if src_old != src_new:
        raise ParameterError("vintage", f"{args.old} {args.new}", "both sides must name the same source")
    d = vintage_diff.diff(src_old, old, new, rtol=args.tolerance)
    print(vintage_diff.markdown(d))
    csv_path, md_path = vintage_diff.write(d, args.output)
    print(f"written: {csv_path} and {md_path}")
    return 0


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--tolerance expects a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("--tolerance must be >= 0")
    return value


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``update`` and ``diff`` on the ``analysis`` command."""
    s = sub.add_parser("update", help="fetch a publisher's newest release as a new vintage in data/raw")
    s.add_argument("source", choices=["msti", "wdi", "japan"])
    s.add_argument("--file", help="japan: a CSV in the format of data/raw/japan/*/*.csv")
    s.add_argument("--base-url", help="replace the API's base URL of publishers.toml (a mirror, or a test server)")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds without an answer before giving up")
    s.set_defaults(func=_cmd_update)
    s = sub.add_parser("diff", help="what a new vintage changed, per figure (Markdown and CSV in output/diff/)")
    s.add_argument("old", help="SOURCE=VINTAGE, e.g. msti=2025-03, or an older verdicts.csv of the summary notebook")
    s.add_argument("new", help="SOURCE=VINTAGE, e.g. msti=2026-12-01, or a newer verdicts.csv")
    s.add_argument("--tolerance", type=_tolerance, default=1e-6,
                   help="relative change a value must exceed to count as moved (default 1e-6)")
    s.add_argument("--output", help="folder for the CSV and Markdown (default output/diff)")
    s.set_defaults(func=_cmd_diff)
