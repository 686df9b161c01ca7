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


# ------------------------------------------------------------------------------ b. sign-in lockout
from datetime import UTC, datetime, timedelta  # noqa: E402
from threading import Barrier  # noqa: E402

from qualcode import auth  # noqa: E402
from qualcode.errors import PermissionDenied  # noqa: E402
from qualcode.store import Actor, Store  # noqa: E402

ADMIN = Actor("root", "admin")
GOOD = "alice-long-passphrase"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store(db_url)
    # A real cost (~tens of ms): the old read-check-write counter lost updates in that window.
    st.add_user(ADMIN, "alice", "annotator", auth.hash_password(GOOD, n=2**14))
    st.add_user(ADMIN, "root", "admin", auth.hash_password("root-long-passphrase", n=2**10))
    yield st
    st.dispose()


def _answer(store: Store, name: str, password: str, client: str | None, now: datetime | None = None) -> str:
    try:
        auth.sign_in(store, name, password, client=client, now=now)
    except PermissionDenied as exc:
        return str(exc)
    return "ok"


def test_thirty_simultaneous_wrong_passwords_lock_the_account(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    barrier = Barrier(30)

    def attempt(i: int) -> str:
        barrier.wait()
        return _answer(store, "alice", f"wrong-{i}", client=f"10.0.0.{i}")  # 30 different machines

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(attempt, range(30)))
    wrong = [a for a in answers if "wrong password" in a]
    locked = [a for a in answers if "Too many failed sign-in attempts for this user name" in a]
    assert len(wrong) == auth.MAX_FAILED_LOGINS and len(locked) == 30 - auth.MAX_FAILED_LOGINS, answers
    assert store.sign_in_attempts("user:alice")["failures"] == 30  # every attempt counted
    assert "Too many" in _answer(store, "alice", GOOD, client="10.0.1.1")  # even the right password waits


def test_lockout_holds_across_processes(db_url: str, tmp_path: Path) -> None:
    st = Store(db_url)
    st.add_user(ADMIN, "alice", "annotator", auth.hash_password(GOOD, n=2**14))
    st.dispose()
    script = (
        "import sys, time\n"
        "from qualcode import auth\n"
        "from qualcode.errors import PermissionDenied\n"
        "from qualcode.store import Store\n"
        "st = Store(sys.argv[1], create=False)\n"
        "while time.time() < float(sys.argv[3]): time.sleep(0.005)\n"
        "for i in range(3):\n"
        "    try:\n"
        "        auth.sign_in(st, 'alice', 'wrong', client=sys.argv[2] + str(i))\n"
        "    except PermissionDenied as exc:\n"
        "        print('LOCKED' if 'Too many' in str(exc) else 'WRONG', flush=True)\n"
    )
    start_at = str(time.time() + 8)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, db_url, f"10.1.{k}.", start_at], stdout=subprocess.PIPE, text=True
        )
        for k in range(8)
    ]
    out = [p.communicate(timeout=120)[0].split() for p in procs]
    answers = [a for lines in out for a in lines]
    assert len(answers) == 24, out
    assert answers.count("WRONG") == auth.MAX_FAILED_LOGINS, answers
    st = Store(db_url, create=False)
    try:
        assert st.sign_in_attempts("user:alice")["failures"] == 24
        assert "Too many" in _answer(st, "alice", GOOD, client="10.2.0.1")
    finally:
        st.dispose()


def test_lockout_never_tells_which_user_names_exist(store: Store) -> None:
    real = [_answer(store, "alice", "wrong", client=f"10.3.0.{i}", now=NOW) for i in range(7)]
    fake = [_answer(store, "nobody-here", "wrong", client=f"10.4.0.{i}", now=NOW) for i in range(7)]
    assert real == fake
    assert "alice" not in "".join(real)


NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_lockout_is_bounded_and_not_extended_by_more_attempts(store: Store) -> None:
    for i in range(auth.MAX_FAILED_LOGINS):
        _answer(store, "alice", "wrong", client=f"10.5.0.{i}", now=NOW)
    # The attacker keeps trying through the lock: it still ends on time.
    for minute in range(1, 5):
        assert "Too many" in _answer(store, "alice", "wrong", client="10.5.1.1", now=NOW + timedelta(minutes=minute))
    after = NOW + auth.LOCKOUT + timedelta(seconds=1)
    assert _answer(store, "alice", GOOD, client="10.5.2.1", now=after) == "ok"


def test_one_client_is_throttled_across_user_names(store: Store) -> None:
    names = [f"guess{i}" for i in range(auth.CLIENT_MAX_FAILURES)]
    for name in names:
        assert "wrong password" in _answer(store, name, "x", client="203.0.113.9", now=NOW)
    blocked = _answer(store, "alice", GOOD, client="203.0.113.9", now=NOW + timedelta(minutes=1))
    assert "from this computer" in blocked
    # Other machines are not affected, and the throttle ends.
    assert _answer(store, "alice", GOOD, client="198.51.100.7", now=NOW + timedelta(minutes=1)) == "ok"
    later = NOW + auth.CLIENT_LOCKOUT + timedelta(seconds=1)
    assert _answer(store, "alice", GOOD, client="203.0.113.9", now=later) == "ok"


def test_successful_sign_ins_do_not_use_up_the_client_limit(store: Store) -> None:
    for i in range(3 * auth.CLIENT_MAX_FAILURES):
        assert _answer(store, "alice", GOOD, client="192.0.2.50", now=NOW + timedelta(seconds=i)) == "ok"


def test_cli_unlock_ends_the_pause_at_once(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    from qualcode.project import Project

    project = Project.open(root)
    project.store.add_user(ADMIN, "root", "admin", auth.hash_password("root-long-passphrase"))
    project.store.set_setting(ADMIN, "team_mode", "true")
    for i in range(auth.MAX_FAILED_LOGINS + 1):
        _answer(project.store, "root", "wrong", client=f"10.6.0.{i}")
    assert "Too many" in _answer(project.store, "root", "root-long-passphrase", client="10.6.1.1")
    res = subprocess.run([*QUALCODE, "--project", str(root), "user", "unlock", "root"], capture_output=True, text=True)
    assert res.returncode == 0 and "open again" in res.stdout, res.stderr
    assert _answer(project.store, "root", "root-long-passphrase", client="10.6.1.1") == "ok"
    project.close()


# ------------------------------------------------------------------------------ d. hashes and audit log
def test_audit_log_holds_no_password_hash(store: Store, tmp_path: Path) -> None:
    store.add_user(ADMIN, "alice", "supervisor", auth.hash_password("a-new-long-passphrase", n=2**10))
    store.add_user(ADMIN, "alice", "annotator")
    frame = store.audit_frame(ADMIN)
    users = frame.loc[frame["entity"] == "user"]
    assert len(users) >= 4
    text = users.to_json()
    assert "scrypt$" not in text and "password_hash" not in text
    assert any(isinstance(b, dict) and b.get("password_set") is True for b in users["before"])


def test_portable_backup_audit_log_has_no_hash(tmp_path: Path) -> None:
    import zipfile

    from qualcode.backup import backup
    from qualcode.project import Project

    project = Project.init(tmp_path / "proj")
    project.store.add_user(ADMIN, "alice", "annotator", auth.hash_password(GOOD, n=2**10))
    project.store.add_user(ADMIN, "alice", "supervisor", auth.hash_password("other-long-passphrase", n=2**10))
    backup(project, tmp_path / "b.qcbackup")
    with zipfile.ZipFile(tmp_path / "b.qcbackup") as zf:
        audit = zf.read("tables/audit_log.jsonl").decode()
    assert "user.set" in audit and "scrypt$" not in audit
    project.close()


def test_migration_4_scrubs_hashes_already_in_the_audit_log(db_url: str) -> None:
    """A database from before migration 4, with the old add_user's audit entries."""
    import sqlalchemy as sa

    from qualcode import schema as s

    old = [m for m in s.MIGRATIONS if m[0] < 4]
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        for version, name, step in old:
            step(conn)
            conn.execute(s.schema_migrations.insert().values(version=version, name=name, applied_at=s.now()))
        conn.exec_driver_sql("ALTER TABLE users DROP COLUMN disabled_at")
        conn.exec_driver_sql("ALTER TABLE sessions DROP COLUMN last_seen_at")
        stored = auth.hash_password(GOOD, n=2**10)
        conn.execute(s.users.insert().values(name="alice", role="annotator", password_hash=stored, created_at=s.now()))
        row = {"name": "alice", "role": "annotator", "password_hash": stored, "failed_logins": 0, "locked_until": None}
        conn.execute(
            s.audit_log.insert().values(
                at=s.now(), actor="root", action="user.set", entity="user", entity_id="alice", before=row, after={}
            )
        )
    engine.dispose()
    st = Store(db_url)
    try:
        assert 4 in st.schema_versions()
        frame = st.audit_frame(ADMIN)
        assert "scrypt$" not in frame.to_json()
        assert frame["before"].iloc[0] == {"name": "alice", "role": "annotator", "password_set": True}
        assert auth.sign_in(st, "alice", GOOD).name == "alice"  # the migrated users table works
        st.disable_user(ADMIN, "alice")
    finally:
        st.dispose()


def test_new_hashes_use_owasp_cost_and_old_ones_are_rehashed_on_sign_in(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.SCRYPT_N_ENV, raising=False)
    assert auth.scrypt_n() == 2**17 >= auth.DEFAULT_SCRYPT_N
    strong = auth.hash_password("a-long-passphrase")  # really N=2**17 (128 MiB): works within maxmem
    assert strong.startswith("scrypt$131072$8$1$") and auth.verify_password("a-long-passphrase", strong)
    assert not auth.needs_rehash(strong)
    monkeypatch.setenv(auth.SCRYPT_N_ENV, str(2**15))  # the test's stand-in for "stronger than stored"
    assert store.get_user("alice")["password_hash"].startswith("scrypt$16384$")
    assert _answer(store, "alice", "wrong", client="10.7.0.1") != "ok"
    assert store.get_user("alice")["password_hash"].startswith("scrypt$16384$")  # not on a failure
    assert _answer(store, "alice", GOOD, client="10.7.0.1") == "ok"
    assert store.get_user("alice")["password_hash"].startswith("scrypt$32768$8$1$")
    assert _answer(store, "alice", GOOD, client="10.7.0.1") == "ok"  # and the new hash verifies


def test_bad_scrypt_setting_is_a_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from qualcode.errors import ConfigError

    monkeypatch.setenv(auth.SCRYPT_N_ENV, "1000")
    with pytest.raises(ConfigError, match="QUALCODE_SCRYPT_N='1000' is not a power of two"):
        auth.hash_password("whatever-long")


# ------------------------------------------------------------------------------ c. sessions end with the account
def test_password_or_role_change_ends_that_users_sessions(store: Store) -> None:
    store.add_user(ADMIN, "sue", "supervisor", auth.hash_password("sue-long-passphrase", n=2**10))
    alice = auth.sign_in(store, "alice", GOOD, client="10.8.0.1")
    sue = auth.sign_in(store, "sue", "sue-long-passphrase", client="10.8.0.1")
    a1, s1 = auth.create_session(store, alice), auth.create_session(store, sue)
    store.add_user(ADMIN, "alice", "annotator", auth.hash_password("a-fresh-long-passphrase", n=2**10))
    assert auth.resume_session(store, a1) is None and auth.resume_session(store, s1) == sue
    a2 = auth.create_session(store, alice)
    store.add_user(ADMIN, "alice", "supervisor")  # a role change
    assert auth.resume_session(store, a2) is None and auth.resume_session(store, s1) == sue
    a3 = auth.create_session(store, Actor("alice", "supervisor"))
    store.add_user(ADMIN, "alice", "supervisor")  # the same role again: nothing to end
    assert auth.resume_session(store, a3) == Actor("alice", "supervisor")


def test_disable_and_remove_through_the_cli(db_url: str, tmp_path: Path) -> None:
    from qualcode.model import Coding, ParsedDocument, Participant
    from qualcode.project import Project

    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    project = Project.open(root, database_url=db_url)
    st = project.store
    st.add_user(ADMIN, "alice", "annotator", auth.hash_password(GOOD, n=2**10))
    st.add_user(ADMIN, "dan", "annotator", auth.hash_password("dan-long-passphrase", n=2**10))
    st.upsert_document(ADMIN, ParsedDocument("d", "Some interview text here.", Participant("A", "Expert (A)")))
    st.sync_codebook(project.codebook)
    project.add_code("c", "C")
    st.add_coding(Actor("alice", "annotator"), Coding("d", 0, 4, "c", "alice"))
    token = auth.create_session(st, auth.sign_in(st, "alice", GOOD, client="10.9.0.1"))
    dan_token = auth.create_session(st, auth.sign_in(st, "dan", "dan-long-passphrase", client="10.9.0.1"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*QUALCODE, "--project", str(root), "--database-url", db_url, "user", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    res = cli("disable", "alice")
    assert res.returncode == 0 and "1 open session(s) ended" in res.stdout, res.stderr
    assert auth.resume_session(st, token) is None
    assert "wrong password" in _answer(st, "alice", GOOD, client="10.9.0.2")
    assert cli("enable", "alice").returncode == 0
    assert _answer(st, "alice", GOOD, client="10.9.0.2") == "ok"
    res = cli("remove", "alice")  # she has a coding: the name stays, the account goes
    assert res.returncode == 0 and "codings keep the name" in res.stdout
    assert st.get_user("alice")["password_hash"] is None
    assert "wrong password" in _answer(st, "alice", GOOD, client="10.9.0.3")
    assert len(st.codings_frame(ADMIN)) == 1
    res = cli("remove", "dan")
    assert res.returncode == 0 and st.get_user("dan") is None and auth.resume_session(st, dan_token) is None
    res = cli("disable", "nobody")
    assert res.returncode == 2 and "There is no user 'nobody'" in res.stderr
    frame = st.audit_frame(ADMIN)
    assert {"user.disable", "user.enable", "user.remove"} <= set(frame["action"])
    assert "scrypt$" not in frame.to_json()
    project.close()
