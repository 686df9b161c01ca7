"""The house style is enforced by the suite: ruff (lint and format) and mypy report nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("ruff", "check", "--no-cache", "."), id="ruff-lint"),
        pytest.param(("ruff", "format", "--no-cache", "--check", "."), id="ruff-format"),
    ],
)
def test_ruff_reports_nothing(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_reports_nothing() -> None:
    """mypy with the ``[tool.mypy]`` settings of pyproject.toml (files = qualcode)."""
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
