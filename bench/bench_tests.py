"""Where the test command's time goes (issue 15's target: ``./run.sh test`` <= 120 s); prints figures, asserts nothing.

    .venv/bin/python bench/bench_tests.py [--log FILE] [pytest args ...]

Runs the README's test command once with ``--durations=0`` (or, with ``--log``, reads the output of such a run) and
prints, from that one run:

* the wall time, and how busy the machine's cores were during it (from ``/proc/stat``; a CPU-bound suite keeps
  them near 100 %, and then more test workers do not make it faster);
* the item-seconds: the sum of every test's setup, call and teardown as pytest reports them, split into nbval's
  notebook items and the other tests;
* the lower bound that work sets on the wall time: item-seconds / test workers (``-n`` of ``run.sh``), reached
  only if the workers never waited and the run had nothing around the tests;
* the files with the most item-seconds, and the largest items.

So a change meant to speed the suite up can be judged by the work it removes, which is steadier than the wall
time on a shared machine. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 120.0  # seconds, issue 15
# "0.12s call     tests/test_x.py::test_y[param]", as pytest's --durations prints them
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s (setup|call|teardown)\s+(.+?)\s*$")  # nbval names: "x.ipynb::Cell 5"
SUMMARY = re.compile(r"(\d+) passed.* in (\d+(?:\.\d+)?)s")
WORKERS = re.compile(r"-n (\d+)")


def busy_ticks() -> tuple[int, int]:
    """(busy, idle) clock ticks of all cores since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields[:8]) - idle, idle


def run_suite(extra: list[str]) -> tuple[str, float, float | None]:
    """The test command's output, its wall time and the share of the cores that were busy meanwhile."""
    before = busy_ticks() if Path("/proc/stat").exists() else None
    t0 = time.perf_counter()
    proc = subprocess.run([str(ROOT / "run.sh"), "test", "--durations=0", *extra], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    busy = None
    if before is not None:
        after = busy_ticks()
        b, i = after[0] - before[0], after[1] - before[1]
        busy = b / (b + i) if b + i else None
    if proc.returncode != 0:
        sys.exit(f"bench_tests: the test command failed (exit {proc.returncode}); its last lines:\n"
                 + "\n".join(proc.stdout.splitlines()[-15:]))
    return proc.stdout, wall, busy


def items(log: str) -> dict[str, float]:
    """Seconds per test item (setup + call + teardown) from pytest's ``--durations=0`` lines."""
    out: dict[str, float] = collections.defaultdict(float)
    for line in log.splitlines():
        m = DURATION.match(line)
        if m:
            out[m.group(3)] += float(m.group(1))
    return dict(out)


def run_sh_workers() -> int:
    """The ``-n`` that ``run.sh test`` gives pytest-xdist."""
    m = WORKERS.search((ROOT / "run.sh").read_text(encoding="utf-8"))
    return int(m.group(1)) if m else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--log", type=Path, help="read the output of a `./run.sh test --durations=0` run instead")
    args, extra = ap.parse_known_args(argv)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.log and extra:
        sys.exit(f"bench_tests: pytest arguments ({' '.join(extra)}) need a run of their own, not --log")
    if args.log:
        try:
            log = args.log.read_text(encoding="utf-8")
        except OSError as exc:
            sys.exit(f"bench_tests: cannot read --log {args.log}: {exc}")
        wall, busy = None, None
    else:
        log, wall, busy = run_suite(extra)
    per_item = items(log)
    if not per_item:
        sys.exit(f"bench_tests: no --durations lines in {args.log or 'the test output'}; run pytest with "
                 "--durations=0")
    summary = SUMMARY.search(log)
    workers = run_sh_workers()
    total = sum(per_item.values())
    nbval = sum(t for name, t in per_item.items() if name.startswith("notebooks/"))
    per_file: dict[str, float] = collections.defaultdict(float)
    for name, t in per_item.items():
        per_file[name.split("::", 1)[0]] += t

    rows = [("tests passed", summary.group(1) if summary else "?", ""),
            ("pytest's own time", f"{float(summary.group(2)):.1f} s" if summary else "?", ""),
            ("wall time of the test command (data check, setup, pytest)",
             f"{wall:.1f} s" if wall is not None else "not measured (--log)", f"<= {TARGET:.0f} s"),
            ("cores busy during it", f"{busy:.0%}" if busy is not None else "not measured", ""),
            ("item-seconds (setup + call + teardown of every item)", f"{total:.1f} s", ""),
            ("  of which nbval's notebook items", f"{nbval:.1f} s ({nbval / total:.0%})", ""),
            (f"lower bound of pytest's time: item-seconds / {workers} workers", f"{total / workers:.1f} s",
             f"<= {TARGET:.0f} s for the target to be reachable")]
    w = max(len(r[0]) for r in rows)
    print(f"\n| {'measure':<{w}} | value | target |\n|{'-' * (w + 2)}|---|---|")
    for name, value, target in rows:
        print(f"| {name:<{w}} | {value} | {target} |")
    print("\n| file (largest item-seconds) | s |\n|---|---|")
    for name, t in sorted(per_file.items(), key=lambda kv: -kv[1])[:12]:
        print(f"| {name} | {t:.1f} |")
    print("\n| item (largest) | s |\n|---|---|")
    for name, t in sorted(per_item.items(), key=lambda kv: -kv[1])[:8]:
        print(f"| {name} | {t:.1f} |")
    print(f"\n{os.cpu_count()} cores; load average before {load_before}, after "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
