"""Crash points for the kill tests: ``QUALCODE_CRASH_AT=<name>`` makes the process SIGKILL itself
at the named point, as a power cut or ``kill -9`` would.  Unset (always, outside the tests), a
crash point does nothing."""

from __future__ import annotations

import os
import signal

CRASH_ENV = "QUALCODE_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once and without clean-up, when the environment asks for it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["CRASH_ENV", "crash_point"]
