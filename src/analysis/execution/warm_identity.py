"""What a warm server is and where it lives: its private folder, its key, and the fingerprint it must match.

A warm server (``warm_server``) serves one output folder. Its files are in ``output/.cache/warm/`` (mode 0700,
owned by this user): ``socket`` (a Unix socket, 0600), ``authkey`` (32 random bytes, 0600, new for each server;
a client proves it knows the key before anything is unpickled, ``multiprocessing.connection``'s HMAC challenge)
and ``server.json`` (pid, start time, workers), besides ``server.log``.

The fingerprint is what a warm process holds in memory and could hold stale: every file of the ``analysis``
package (modules and package data, by sha256), ``requirements.lock`` and the installed versions, the ``sangaku``
kernel's spec, the interpreter, the project and output folders, and the environment variables that reach the
kernels or change how the preloaded modules behave (:data:`ENV_PREFIXES`, :data:`ENV_NAMES`). The client
computes it from the disk for every command; a server whose fingerprint differs in code, package data or
versions refuses the work and exits, one whose environment differs refuses it and stays (it is current for the
environment it was started in).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import SangakuError
from . import codegraph, filehash, jobs, layout, versions

FOLDER = "warm"
SOCKET_MAX = 100  # AF_UNIX paths hold 107 bytes; keep a margin
ENV_PREFIXES = ("SANGAKU_", "PYTHON", "MPL", "OMP_", "OPENBLAS_", "MKL_", "JUPYTER", "IPYTHON", "LC_", "XDG_",
                "CONDA_")
ENV_NAMES = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "VIRTUAL_ENV", "TMPDIR")
# Parts whose difference means the server's code, data or packages are out of date: it exits.
STALE_PARTS = ("package files", "requirements.lock", "package versions", "kernel spec", "interpreter")


class WarmError(SangakuError):
    """The warm server's folder, key or socket is missing, unsafe or unusable."""


def folder() -> Path:
    """``output/.cache/warm``."""
    return layout.cache_dir() / FOLDER


def socket_path() -> Path:
    return folder() / "socket"


def key_path() -> Path:
    return folder() / "authkey"


def info_path() -> Path:
    return folder() / "server.json"


def log_path() -> Path:
    return folder() / "server.log"


def _check_private(path: Path, mode: int) -> None:
    st = path.lstat()
    if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & ~mode or stat.S_ISLNK(st.st_mode):
        raise WarmError(f"{path} is not private to this user (owner uid {st.st_uid}, mode "
                        f"{stat.S_IMODE(st.st_mode):o}; expected uid {os.getuid()}, mode {mode:o}); remove it")


def make_folder() -> Path:
    """Create ``output/.cache/warm`` with mode 0700 (or check an existing one is this user's and private)."""
    f = folder()
    f.parent.mkdir(parents=True, exist_ok=True)
    try:
        f.mkdir(mode=0o700)
    except FileExistsError:
        pass
    _check_private(f, 0o700)
    if len(str(socket_path()).encode()) > SOCKET_MAX:
        raise WarmError(f"the warm server's socket path {socket_path()} is longer than {SOCKET_MAX} bytes; "
                        "set SANGAKU_OUTPUT to a folder with a shorter path")
    return f


def new_key() -> bytes:
    """Write a fresh 0600 key for a starting server (replacing a dead server's)."""
    make_folder()
    key = os.urandom(32)
    path = key_path()
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def read_key() -> bytes:
    """The running server's key; refused when the folder or the file is not private to this user."""
    _check_private(folder(), 0o700)
    path = key_path()
    _check_private(path, 0o600)
    return path.read_bytes()


def kernel_env() -> dict[str, str]:
    """The environment ``jobs.make_job`` gives a task in this process (what a primed kernel must match)."""
    return jobs.kernel_env()


def _kernel_spec() -> str:
    """sha256 of the kernel's ``kernel.json`` as Jupyter finds it ("missing" when it is not installed)."""
    from jupyter_core.paths import jupyter_path

    for d in jupyter_path("kernels"):
        spec = Path(d) / layout.KERNEL_NAME / "kernel.json"
        if spec.is_file():
            return f"{spec}:{filehash.sha256(spec)}"
    return "missing"


def package_files() -> dict[str, str]:
    """sha256 of every file of the installed ``analysis`` package (bytecode caches left out)."""
    root = codegraph.PACKAGE_DIR
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc"):
            out[p.relative_to(root).as_posix()] = filehash.sha256(p)
    return out


def environment() -> dict[str, str]:
    """The environment variables that can change a warm process's behaviour (see the module docstring)."""
    return {k: v for k, v in sorted(os.environ.items()) if k in ENV_NAMES or k.startswith(ENV_PREFIXES)}


def fingerprint() -> dict[str, Any]:
    """What a warm server must share with the client, part by part (``package files`` member by member)."""
    lock = paths.project_root() / "requirements.lock"
    return {
        "package files": package_files(),
        "requirements.lock": filehash.sha256(lock) if lock.is_file() else "missing",
        "package versions": versions.package_versions(),
        "kernel spec": _kernel_spec(),
        "interpreter": f"{sys.executable} {sys.version}",
        "folders": {"root": str(paths.project_root()), "output": str(paths.output_dir()),
                    "processed": str(paths.processed_dir())},
        "environment": environment(),
    }


def differences(server: dict[str, Any], client: dict[str, Any]) -> list[str]:
    """What differs, in words (``analysis/figures/common.py changed``, ``environment: SANGAKU_VINTAGES``)."""
    said = []
    for part in sorted(set(server) | set(client)):
        a, b = server.get(part), client.get(part)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            moved = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
            said.append(f"{part}: {shown}")
        else:
            said.append(f"{part} differs")
    return said


def is_stale(reasons: list[str]) -> bool:
    """True when a difference is in the server's code, package data, packages, kernel or interpreter."""
    return any(r.split(":")[0].removesuffix(" differs") in STALE_PARTS for r in reasons)


def digest(fp: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
