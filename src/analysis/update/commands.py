"""``analysis update msti|wdi|japan`` and ``analysis diff`` on the command line.

``analysis diff OLD NEW`` compares two vintages (``SOURCE=VINTAGE``: the values per figure, ``vintage_diff``, and the
registered hypotheses re-estimated from each, ``vintage_verdicts``), two verdict exports (``.csv``,
``verdict_diff``) or two git revisions of the outputs (anything else, ``output_diff``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

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


def _kind(text: str) -> str:
    """What one side of ``analysis diff`` names: a verdict export, a vintage or a git revision of the outputs."""
    return "csv" if text.endswith(".csv") else "vintage" if "=" in text else "revision"


def _diff_verdict_exports(args: argparse.Namespace) -> int:
    from .. import verdict_diff

    vd = verdict_diff.compare(args.old, args.new, rtol=args.tolerance)
    print(verdict_diff.markdown(vd))
    csv_path, md_path = verdict_diff.write(vd, args.output)
    print(f"written: {csv_path} and {md_path}")
    return 0


def _diff_revisions(args: argparse.Namespace) -> int:
    try:
        from .. import output_diff
    except ModuleNotFoundError as exc:
        if exc.name != "analysis.output_diff":
            raise
        raise ParameterError("diff", f"{args.old} {args.new}", "comparing two git revisions of the outputs needs "
                             "analysis.output_diff, which this checkout does not have yet; compare vintages "
                             "(SOURCE=VINTAGE) or verdict exports (.csv) instead") from None
    csv_path, md_path = output_diff.run(args.old, args.new, rtol=args.tolerance, allow_dirty=args.allow_dirty,
                                        output=Path(args.output) if args.output else None)
    print(Path(md_path).read_text(encoding="utf-8"))
    print(f"written: {csv_path} and {md_path}")
    return 0


def _diff_vintages(args: argparse.Namespace) -> int:
    from .. import vintage_diff, vintage_verdicts

    (src_old, old), (src_new, new) = _side(args.old), _side(args.new)
    if src_old != src_new:
        raise ParameterError("vintage", f"{args.old} {args.new}", "both sides must name the same source")
    d = vintage_diff.diff(src_old, old, new, rtol=args.tolerance)
    print(vintage_diff.markdown(d))
    csv_path, md_path = vintage_diff.write(d, args.output)
    print(f"written: {csv_path} and {md_path}")
    if args.no_verdicts:
        return 0
    if src_old not in vintage_verdicts.hypothesis_sources():
        print(f"no registered hypothesis reads {src_old}")
        return 0
    vv = vintage_verdicts.compare(src_old, old, new, rtol=args.tolerance, bootstrap_reps=args.bootstrap_reps)
    print(vintage_verdicts.markdown(vv))
    csv_path, md_path = vintage_verdicts.write(vv, args.output)
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in vv.seconds.items())
    print(f"written: {csv_path} and {md_path} (re-estimation: {secs})")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    kinds = {_kind(args.old), _kind(args.new)}
    if len(kinds) > 1:
        raise ParameterError("diff", f"{args.old} {args.new}", "both sides must be of one kind: SOURCE=VINTAGE "
                             "(vintages), .csv files (verdict exports) or git revisions of the outputs")
    kind = kinds.pop()
    if args.allow_dirty and kind != "revision":
        raise ParameterError("--allow-dirty", f"{args.old} {args.new}", "only for a diff of two git revisions")
    if kind != "vintage" and (args.no_verdicts or args.bootstrap_reps is not None):
        raise ParameterError("--no-verdicts/--bootstrap-reps", f"{args.old} {args.new}",
                             "only for a diff of two vintages (SOURCE=VINTAGE)")
    return {"csv": _diff_verdict_exports, "revision": _diff_revisions, "vintage": _diff_vintages}[kind](args)


def _reps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--bootstrap-reps expects a whole number, got {text!r}") from None
    if value < 99:
        raise argparse.ArgumentTypeError("--bootstrap-reps must be >= 99")
    return value


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
    s = sub.add_parser("diff", help="what a new vintage changed, per figure and per registered hypothesis "
                                    "(Markdown and CSV in output/diff/)")
    s.add_argument("old", help="SOURCE=VINTAGE, e.g. msti=2025-03, an older verdicts.csv of the summary notebook, "
                               "or a git revision of the outputs")
    s.add_argument("new", help="SOURCE=VINTAGE, e.g. msti=2026-12-01, a newer verdicts.csv, or a git revision")
    s.add_argument("--no-verdicts", action="store_true",
                   help="vintages: skip re-estimating the registered hypotheses from each vintage")
    s.add_argument("--bootstrap-reps", type=_reps, default=None,
                   help="vintages: wild-cluster bootstrap draws of the re-estimation (default: the summary "
                        "notebook's bootstrap_reps)")
    s.add_argument("--tolerance", type=_tolerance, default=1e-6,
                   help="relative change a value must exceed to count as moved (default 1e-6)")
    s.add_argument("--output", help="folder for the CSV and Markdown (default output/diff)")
    s.add_argument("--allow-dirty", action="store_true",
                   help="git revisions: compare the checked-out commit although the working tree has uncommitted "
                        "changes (they are in no revision and are left out)")
    s.set_defaults(func=_cmd_diff)
