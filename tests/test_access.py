"""Access control through the user's path: where the app listens, sign-in lockout under
concurrency, sessions, disabled and removed users, the audit log without password hashes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qualcode.app.screenshots import free_port
from qualcode.cli import main

QUALCODE = [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())"]


# ------------------------------------------------------------------------------ a. listen address
def _listening(port: int) -> set[str]:
    """Local addresses with a TCP socket in LISTEN state on ``port`` (from /proc/net/tcp{,6})."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, st = fields[1], fields[3]
            addr_hex, port_hex = local.split(":")
            if st != "0A" or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(addr_hex)
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


@contextmanager
def _qualcode_app(root: Path, *args: str) -> Iterator[subprocess.Popen]:
    """``qualcode --project ROOT app ARGS`` in its own process group (killed afterwards)."""
    log = open(root.parent / "app.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*QUALCODE, "--project", str(root), "app", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"},
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"qualcode app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"qualcode app did not start:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def local_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    return root


def test_app_listens_on_loopback_only_by_default(local_project: Path) -> None:
    port = free_port()
    with _qualcode_app(local_project, "--port", str(port)) as proc:
        _wait_healthy(proc, port, local_project.parent / "app.log")
        assert _listening(port) == {"127.0.0.1"}


def test_app_refuses_another_address_in_single_machine_mode(local_project: Path) -> None:
    port = free_port()
    res = subprocess.run(
        [*QUALCODE, "--project", str(local_project), "app", "--port", str(port), "--address", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert "Refusing to listen on '0.0.0.0'" in res.stderr and "single-machine mode" in res.stderr
    assert "qualcode user add" in res.stderr and "Traceback" not in res.stderr
    assert _listening(port) == set()


def test_app_on_another_address_needs_team_mode_and_warns(local_project: Path) -> None:
    env = {**os.environ, "QUALCODE_SCRYPT_N": "1024"}
    add = subprocess.run(
        [*QUALCODE, "--project", str(local_project), "user", "add", "root", "--role", "admin", "--password", "x" * 12],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert add.returncode == 0, add.stderr
    port = free_port()
    with _qualcode_app(local_project, "--port", str(port), "--address", "0.0.0.0") as proc:
        log = local_project.parent / "app.log"
        _wait_healthy(proc, port, log)
        assert _listening(port) == {"0.0.0.0"}
        assert "HTTPS" in log.read_text()
