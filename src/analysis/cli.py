"""Command line: ``analysis verify | manifest | data | ...``. Errors print one clear line and exit 2."""

from __future__ import annotations

import argparse
import sys

from .errors import SangakuError

# Command modules are imported by the command that needs them: `analysis reproduce` with everything cached
# should not pay for pandas.


def _cmd_verify(args: argparse.Namespace) -> int:
    from . import manifest

    rep = manifest.verify()
    print(f"ok: {rep.checked} raw files match {manifest.manifest_path()} ({rep.bytes / 1e6:.1f} MB)")
    return 0


def _cmd_manifest(args: argparse.Namespace) -> int:
    from . import manifest

    if args.refresh:
        doc = manifest.refresh()
        print(f"manifest rewritten: {len(doc['files'])} files in {manifest.manifest_path()}")
    if args.statement:
        sys.stdout.write(manifest.availability_statement())
    if not (args.refresh or args.statement):
        doc = manifest.load()
        for e in doc["files"]:
            print(f"{e['sha256']}  {e['bytes']:>10}  {e['path']}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from . import build

    build.build(sources=args.sources or None, csv=args.csv, progress=lambda m: print(f"[data] {m}", flush=True))
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="analysis", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("verify", help="check every raw file against data/raw/manifest.json")
    s.set_defaults(func=_cmd_verify)
    s = sub.add_parser("manifest", help="show the manifest, or refresh it after a deliberate data update")
    s.add_argument("--refresh", action="store_true", help="recompute sha256/bytes of every raw file")
    s.add_argument("--statement", action="store_true", help="print the data availability statement")
    s.set_defaults(func=_cmd_manifest)
    s = sub.add_parser("data", help="build data/processed from data/raw")
    s.add_argument("sources", nargs="*", help="only these sources (default: all)")
    s.add_argument("--csv", action="store_true", help="also write a CSV copy of each dataset for readers")
    s.set_defaults(func=_cmd_data)
    _add_extensions(sub)
    return p


def _add_extensions(sub: argparse._SubParsersAction) -> None:
    """Commands defined by the execution package (run, reproduce, site) register themselves here."""
    from .execution import commands
    from .update import commands as update_commands

    commands.add_commands(sub)
    update_commands.add_commands(sub)  # update, diff (vintages, issue 11)


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except SangakuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
