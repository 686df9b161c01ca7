"""An exclusive advisory lock on ``<codebook>.lock`` (fcntl on POSIX, msvcrt on Windows)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from qualcode.errors import CodebookError, ConflictError, Problem

from .rules import LOCK_TIMEOUT_SECONDS


class _FileLock:
    """An exclusive advisory lock on ``<codebook>.lock`` (fcntl on POSIX, msvcrt on Windows)."""

    def __init__(self, path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.lock_path = path.with_name(path.name + ".lock")
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> _FileLock:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CodebookError(
                Problem(
                    f"cannot create the lock file: {exc.strerror}.",
                    path=str(self.lock_path),
                    hint="The codebook's folder must be writable to edit the codebook.",
                )
            ) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _lock_fd(fd)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise ConflictError(
                        Problem(
                            f"the codebook is locked by another process (waited {self.timeout:g} s).",
                            path=str(self.lock_path),
                            hint="Try again in a moment.",
                        )
                    ) from None
                time.sleep(0.02)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock_fd(self._fd)
            os.close(self._fd)
            self._fd = None


if sys.platform != "win32":
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
else:  # pragma: no cover - Windows
    import msvcrt

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
