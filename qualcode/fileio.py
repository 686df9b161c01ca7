"""Replacing a file all at once: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: bytes | Callable[[Path], object], *, durable: bool = True) -> Path:
    """Write ``path`` through a temporary file in the same folder, then rename it over ``path``.

    ``data`` is the new content, or a function that writes the (empty, already created)
    temporary file at the path it is given: a zip archive, an SQLite backup, a workbook.
    If anything fails the temporary file is removed and ``path`` is left as it was.

    An existing file keeps its permission bits; a new one gets what ``open()`` would give
    it (0o666 less the umask).  A symlink at ``path`` is replaced by the file (the rename
    never writes through it; mkstemp creates the temporary file with O_EXCL).  With ``durable`` (the default) the data and the rename are
    flushed to disk (fsync of the file, then of the folder), so a power cut after the
    return cannot bring the old content back or leave an empty file.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "notes.txt", b"first").read_bytes()
    b'first'
    >>> (folder / "notes.txt").chmod(0o600)
    >>> target = atomic_write(folder / "notes.txt", lambda tmp: tmp.write_bytes(b"second"))
    >>> target.read_bytes(), oct(target.stat().st_mode & 0o777), sorted(p.name for p in folder.iterdir())
    (b'second', '0o600', ['notes.txt'])
    >>> import shutil; shutil.rmtree(folder)
    """
    target = Path(path)
    try:
        existing = target.lstat()  # a symlink at ``path`` is replaced itself, never followed
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISLNK(existing.st_mode):
        mode = stat.S_IMODE(existing.st_mode)
    else:
        mode = _new_file_mode()
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            if not callable(data):
                handle.write(data)
        if callable(data):
            data(temp)
        os.chmod(temp, mode)
        if durable:
            _fsync_path(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if durable:
        with contextlib.suppress(OSError):  # make the rename itself durable (POSIX only)
            _fsync_path(target.parent, directory=True)
    return target


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_file_mode() -> int:
    """0o666 less the process umask, read without changing it (os.umask is process-wide,
    so setting and restoring it would race with other threads creating files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o644  # the usual umask 022 where /proc is missing (macOS, Windows)


__all__ = ["atomic_write"]
