"""The outputs of one git revision of the project, reproduced in a checkout of that commit (``analysis diff``).

Outputs are not tracked (``output/`` is ignored), so a revision's outputs are made again: the commit is checked out
with ``git worktree add --detach`` into a temporary folder beside the cache, the existing environment's
interpreter is linked in as ``.venv`` (nothing else comes from the working tree), and ``analysis reproduce
--no-site`` runs there with the checkout's own ``src/`` first on ``PYTHONPATH`` and ``SANGAKU_ROOT`` /
``SANGAKU_OUTPUT`` pointing at the checkout and at ``output/diff/.revisions/<full commit sha>/output``. That
folder keeps the run's own cache (and ``processed/`` the revision's built data), so a second diff of the same
commit re-executes nothing. HTTP clients get a proxy on a closed local port, so an accidental download fails
instead of reaching the network; vintage pins of the caller (``SANGAKU_VINTAGES``) are not passed on, a revision is
reproduced as committed. The checkout is removed afterwards, also on an error or Ctrl-C (SIGTERM included).

Revisions are resolved with ``git rev-parse --verify <rev>^{commit}``; user text only ever goes to ``git`` and
``subprocess`` as one list item, never to a shell, and text starting with ``-`` is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

from .errors import SangakuError

# The outputs of this many revisions are kept (each ~45 MB), the most recently compared; ``$SANGAKU_DIFF_KEEP``
# changes it. A revision's outputs removed are made again by the next diff that needs them.
KEEP_REVISIONS = 4
ENV_KEEP = "SANGAKU_DIFF_KEEP"
CLOSED_PORT_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once
LOG_TAIL_LINES = 15


class RevisionError(SangakuError, ValueError):
    """A revision that does not exist, cannot be checked out, or whose reproduce failed."""


class DirtyTreeError(RevisionError):
    """A revision compared is the checked-out commit while the working tree has uncommitted changes."""


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """``git -C repo ARGS`` (a list, no shell), output captured as text."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise RevisionError("git is not installed: comparing revisions needs it (two output folders do not)") from exc


def repository(root: Path) -> Path:
    """The top folder of the git repository holding ``root``."""
    res = git(root, "rev-parse", "--show-toplevel")
    if res.returncode != 0:
        raise RevisionError(f"{root} is not inside a git repository: {res.stderr.strip()}")
    return Path(res.stdout.strip())


def resolve(repo: Path, rev: str) -> str:
    """The full sha of the commit ``rev`` names (a branch, tag, sha, ``HEAD~1``, ...)."""
    if not rev or rev.startswith("-") or any(ch in rev for ch in "\0\n"):
        raise RevisionError(f"revision {rev!r}: not a revision name")
    res = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if res.returncode != 0:
        raise RevisionError(f"revision {rev!r}: no such commit in {repo}, and no such output folder (a branch, a "
                            f"tag, a sha as `git log --oneline` lists them, or a folder holding tables/ and figures/)")
    return res.stdout.strip()


def uncommitted(repo: Path) -> list[str]:
    """Paths the working tree changed or added against its commit (``git status``; ignored files excluded)."""
    res = git(repo, "status", "--porcelain", "--untracked-files=normal")
    if res.returncode != 0:
        raise RevisionError(f"git status failed in {repo}: {res.stderr.strip()}")
    return [line[3:] for line in res.stdout.splitlines() if line.strip()]


def check_clean(repo: Path, rev: str, sha: str) -> None:
    """Refuse to stand in for the working tree: when ``rev`` is the checked-out commit and the tree has
    uncommitted changes, those changes are in no revision and the comparison would silently leave them out."""
    head = git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").stdout.strip()
    if sha != head:
        return
    changed = uncommitted(repo)
    if changed:
        shown = ", ".join(changed[:5]) + (f", ... ({len(changed)} in all)" if len(changed) > 5 else "")
        raise DirtyTreeError(
            f"revision {rev!r} is the checked-out commit {sha[:12]}, but the working tree has uncommitted changes "
            f"({shown}): they are not part of any revision, so this diff would not show them. Commit them first, "
            f"or compare against the working tree's outputs: run `analysis reproduce`, then diff {rev} against the "
            f"output folder (e.g. `analysis diff HEAD~1 output`)")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt while a revision is reproduced, so the checkout is still removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def checkout(repo: Path, sha: str, parent: Path) -> Iterator[Path]:
    """A detached worktree of ``sha`` in a new temporary folder under ``parent``, removed on leaving."""
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".worktree-{sha[:12]}-*"):  # left by a killed diff (the caller holds the lock)
        git(repo, "worktree", "remove", "--force", str(stale))
        shutil.rmtree(stale, ignore_errors=True)
    git(repo, "worktree", "prune")
    tmp = Path(tempfile.mkdtemp(prefix=f".worktree-{sha[:12]}-", dir=parent))
    try:
        res = git(repo, "worktree", "add", "--detach", str(tmp), sha)
        if res.returncode != 0:
            raise RevisionError(f"commit {sha[:12]}: git worktree add failed: {res.stderr.strip()}")
        yield tmp
    finally:
        git(repo, "worktree", "remove", "--force", str(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        git(repo, "worktree", "prune")


def _environment(tree: Path, output: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SANGAKU_VINTAGES", "SANGAKU_ROOT", "SANGAKU_OUTPUT")}
    src = tree / "src"
    path = [str(src)] if src.is_dir() else []
    env.update(SANGAKU_ROOT=str(tree), SANGAKU_OUTPUT=str(output),
               PYTHONPATH=os.pathsep.join(path + [p for p in [os.environ.get("PYTHONPATH", "")] if p]),
               PYTHONHASHSEED="0", MPLBACKEND="Agg", HTTP_PROXY=CLOSED_PORT_PROXY, HTTPS_PROXY=CLOSED_PORT_PROXY,
               http_proxy=CLOSED_PORT_PROXY, https_proxy=CLOSED_PORT_PROXY, NO_PROXY="127.0.0.1,localhost,::1",
               no_proxy="127.0.0.1,localhost,::1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # as run.sh: notebooks run in parallel, threaded BLAS would oversubscribe
    return env


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    return "\n".join("    " + line for line in lines[-LOG_TAIL_LINES:])


def reproduce_revision(repo: Path, rev: str, sha: str, cache: Path, *, build_data: bool = True,
                       progress: Callable[[str], None] = lambda msg: None) -> Path:
    """The output folder of commit ``sha`` (``cache/<sha>/output``), reproduced in a temporary checkout.

    ``build_data=False`` runs ``reproduce --no-data`` (a project whose processed data are committed)."""
    keep = keep_revisions()  # a bad setting stops here, before minutes of work
    home = cache / sha
    home.mkdir(parents=True, exist_ok=True)
    (home / ".used").touch()  # the order in which ``prune`` keeps revisions
    out, kept_data, log = home / "output", home / "processed", home / "reproduce.log"
    with open(home / ".lock", "w") as lock, _terminate_as_interrupt():
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second diff of the same commit waits, then finds it cached
        with checkout(repo, sha, cache) as tree:
            if sys.prefix != sys.base_prefix and not (tree / ".venv").exists():  # the environment, as run.sh expects
                (tree / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
            processed = tree / "data" / "processed"
            if build_data and kept_data.is_dir():  # the revision's data built by an earlier diff: rebuilt if stale
                shutil.rmtree(processed, ignore_errors=True)
                os.replace(kept_data, processed)
            cmd = [sys.executable, "-m", "analysis.cli", "reproduce", "--no-site"]
            cmd += [] if build_data else ["--no-data"]
            progress(f"[diff] {rev} = {sha[:12]}: analysis reproduce --no-site in a checkout (log: {log})")
            try:
                with open(log, "w", encoding="utf-8") as fh:
                    rc = subprocess.run(cmd, cwd=tree, env=_environment(tree, out), stdout=fh,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False).returncode
            finally:
                if build_data and processed.is_dir():
                    shutil.rmtree(kept_data, ignore_errors=True)
                    os.replace(processed, kept_data)
    if rc != 0:
        raise RevisionError(f"revision {rev!r} ({sha[:12]}): `analysis reproduce --no-site` failed in its checkout "
                            f"(exit {rc}); the last lines of {log}:\n{_tail(log)}")
    removed = prune(cache, keep)
    if removed:
        progress(f"[diff] removed the kept outputs of {len(removed)} revision(s) compared less recently "
                 f"(keeping {keep}, ${ENV_KEEP}): {', '.join(r[:12] for r in removed)}")
    return out


def keep_revisions() -> int:
    """How many revisions' outputs the cache keeps: ``$SANGAKU_DIFF_KEEP`` (a whole number >= 2), else 4."""
    raw = os.environ.get(ENV_KEEP, "").strip()
    if not raw:
        return KEEP_REVISIONS
    if not raw.isdigit() or int(raw) < 2:
        raise RevisionError(f"${ENV_KEEP}={raw!r}: give a whole number >= 2 (a diff compares two revisions)")
    return int(raw)


def _is_commit(name: str) -> bool:
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)


def _last_used(folder: Path) -> int:
    try:
        return (folder / ".used").stat().st_mtime_ns
    except OSError:
        return folder.stat().st_mtime_ns


def prune(cache: Path, keep: int) -> list[str]:
    """Remove the outputs of the revisions compared least recently beyond the ``keep`` most recent; a revision
    another diff is reproducing (its lock held) is left alone. Returns the commits removed."""
    folders = sorted((d for d in cache.iterdir() if d.is_dir() and _is_commit(d.name)) if cache.is_dir() else [],
                     key=lambda d: (_last_used(d), d.name), reverse=True)
    removed = []
    for folder in folders[keep:]:
        with open(folder / ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another diff is reproducing or reading it
                continue
            shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed
