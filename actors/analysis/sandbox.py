"""The re-run worker's read guard, enforced by the kernel where it can be (Linux Landlock).

A re-run must see nothing but the truncated exchange: a strategy that reads a data file, a
Parquet file through pyarrow's C++ reader or a sqlite3 database has to fail, whatever reads
it. A Python audit hook only sees Python-level opens, so the worker also asks the kernel: after
loading its schemas it restricts itself with Landlock (unprivileged, Linux >= 5.13; ctypes
syscalls, no dependency) so that only these stay readable:

- the interpreter and its libraries: `sys.prefix`, `sys.base_prefix`, the exec prefixes,
  every site-packages, the system library folders and the dynamic loader's cache;
- time zone data: `zoneinfo.TZPATH` and `/etc/localtime`, so a lazy `ZoneInfo(...)` works;
- the backtestkit packages and, in every other `sys.path` folder, only code files (`.py`,
  `.pyc`, `.so`, ...) at its top and in its packages: modules imported late still import,
  data files beside them do not open;
- `/dev/null`, `/dev/urandom`, `/dev/random`, `/dev/zero`, `/proc/self`.

Everything else fails to open with EACCES (PermissionError, or the reader's own error) for the
rest of the worker's life; the analyzer's pool is its own and ends with the analysis. Writes
are not restricted. Where Landlock is missing (another OS, an old kernel, a seccomp filter that
denies it) only the audit hook guards, and the report says so (`Guard`).
"""

from __future__ import annotations

import ctypes
import os
import site
import sys
import sysconfig
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CODE_SUFFIXES", "Guard", "enforce_reads", "landlock_abi", "readable_roots"]

CODE_SUFFIXES = (".py", ".pyc", ".pyd", ".so", ".pth", ".dylib", ".dll")
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every Linux arch
_VERSION = 1  # landlock_create_ruleset flag: return the ABI version
_PATH_BENEATH = 1
_READ_FILE, _READ_DIR = 1 << 2, 1 << 3
_PR_SET_NO_NEW_PRIVS = 38
_SYSTEM = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/etc/ld.so.cache")
_DEVICES = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero", "/proc/self")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".tox", ".mypy_cache", ".ruff_cache"}
_MAX_CODE_FILES = 20_000


@dataclass(frozen=True, slots=True)
class Guard:
    """How the re-runs' reads are guarded: `landlock` (kernel, any reader) or `audit-hook`
    (Python `open` only); `detail` says which ABI, or why the kernel could not help."""

    mechanism: str
    detail: str

    def describe(self) -> str:
        return f"{self.mechanism} ({self.detail})"


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int | None:
    """The kernel's Landlock ABI version, or None (not Linux, not built in, or disabled)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    return int(version) if version > 0 else None


def readable_roots() -> list[str]:
    """Folders and files a re-run may read in full (see the module docstring)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(sysconfig.get_paths().get(k, "") for k in ("stdlib", "platstdlib", "purelib"))
    roots.update(site.getsitepackages())
    roots.update(zoneinfo.TZPATH)
    roots.update(("/etc/localtime", *_SYSTEM, *_DEVICES))
    package = Path(__file__).resolve().parents[1]  # backtestkit.actors
    roots.update(str(package.parent / name) for name in ("actors", "bus", "adapters"))
    roots.add(str(package))
    return sorted(r for r in roots if r and os.path.exists(r))


def _within(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _code_files(folders: Iterable[str], roots: list[str]) -> Iterator[str]:
    """Code files of the import folders that are not readable roots already: those at the top
    of each folder and inside its packages (folders with `__init__.py`) and `__pycache__`;
    other folders (data, docs) are not walked."""
    count = 0
    pending = list(folders)
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                inner = entry.path
                if entry.name in _SKIP_DIRS or _within(inner, roots):
                    continue
                if entry.name == "__pycache__" or os.path.isfile(
                    os.path.join(inner, "__init__.py")
                ):
                    pending.append(inner)
            elif entry.name.endswith(CODE_SUFFIXES):
                count += 1
                if count > _MAX_CODE_FILES:
                    return
                yield entry.path


def _add(libc: ctypes.CDLL, ruleset: int, path: str, *, folder_reads: bool) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        is_dir = os.path.isdir(path)
        access = (_READ_FILE | _READ_DIR) if is_dir and folder_reads else (
            _READ_DIR if is_dir else _READ_FILE)  # fmt: skip
        rule = _PathBeneath(access, fd)
        if libc.syscall(_ADD_RULE, ruleset, _PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path!r}")
    finally:
        os.close(fd)


def enforce_reads() -> Guard:
    """Restrict this process's reads to `readable_roots` and sys.path code (irreversible)."""
    abi = landlock_abi()
    if abi is None:
        return Guard("audit-hook", "Landlock not available: Python open() is guarded, reads "
                     "by C libraries (pyarrow, sqlite3) are not")  # fmt: skip
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    handled = ctypes.c_uint64(_READ_FILE | _READ_DIR)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(handled), ctypes.c_size_t(8), 0)
    if ruleset < 0:
        err = ctypes.get_errno()
        return Guard("audit-hook", f"landlock_create_ruleset failed: {os.strerror(err)}")
    try:
        roots = readable_roots()
        for root in roots:
            _add(libc, ruleset, root, folder_reads=True)
        folders = [p for p in dict.fromkeys(os.path.abspath(p or ".") for p in sys.path)
                   if os.path.isdir(p) and not _within(p, roots)]  # fmt: skip
        for folder in folders:
            _add(libc, ruleset, folder, folder_reads=False)
        for path in _code_files(folders, roots):
            _add(libc, ruleset, path, folder_reads=False)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    except OSError as exc:
        return Guard("audit-hook", f"Landlock could not be enforced: {exc}")
    finally:
        os.close(ruleset)
    return Guard("landlock", f"ABI {abi}: only the interpreter, site-packages, tzdata and code "
                 "files are readable")  # fmt: skip
