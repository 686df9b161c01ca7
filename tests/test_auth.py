"""Team mode: salted scrypt hashes, rate-limited sign-in, expiring sessions, roles in the library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qualcode import auth
from qualcode.errors import PermissionDenied
from qualcode.model import Coding, ParsedDocument, Participant
from qualcode.project import Project
from qualcode.store import Actor, Store

ADMIN = Actor("root", "admin")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Store:
    st = Store(db_url)
    st.add_user(ADMIN, "alice", "annotator", auth.hash_password("alice-long-passphrase", n=2**12))
    st.add_user(ADMIN, "sue", "supervisor", auth.hash_password("sue-long-passphrase!", n=2**12))
    yield st
    st.dispose()


def test_hashes_are_salted_scrypt_and_never_the_password(store: Store) -> None:
    stored = store.get_user("alice")["password_hash"]
    assert stored.startswith("scrypt$") and "alice-long-passphrase" not in stored
    assert auth.hash_password("same") != auth.hash_password("same")  # salted


def test_sign_in(store: Store) -> None:
    actor = auth.sign_in(store, "alice", "alice-long-passphrase", now=NOW)
    assert actor == Actor("alice", "annotator")
    with pytest.raises(PermissionDenied, match="wrong password"):
        auth.sign_in(store, "alice", "nope", now=NOW)
    with pytest.raises(PermissionDenied, match="wrong password"):  # same message: no user probing
        auth.sign_in(store, "mallory", "nope", now=NOW)


def test_sign_in_is_rate_limited(store: Store) -> None:
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(PermissionDenied):
            auth.sign_in(store, "alice", "wrong", now=NOW)
    with pytest.raises(PermissionDenied, match="Too many"):  # even the right password is refused now
        auth.sign_in(store, "alice", "alice-long-passphrase", now=NOW + timedelta(minutes=1))
    later = NOW + auth.LOCKOUT + timedelta(seconds=1)
    assert auth.sign_in(store, "alice", "alice-long-passphrase", now=later).name == "alice"


def test_sessions_expire_and_end(store: Store) -> None:
    actor = auth.sign_in(store, "sue", "sue-long-passphrase!", now=NOW)
    token = auth.create_session(store, actor, now=NOW)
    step = auth.SESSION_IDLE - timedelta(minutes=1)
    moment = NOW
    while moment + step < NOW + auth.SESSION_LIFETIME:  # in use all the time: lives its whole lifetime
        moment += step
        assert auth.resume_session(store, token, now=moment) == actor
    assert auth.resume_session(store, token, now=NOW + auth.SESSION_LIFETIME + timedelta(seconds=1)) is None
    assert auth.resume_session(store, token, now=NOW) is None  # the expired session is gone
    token = auth.create_session(store, actor, now=NOW)
    auth.end_session(store, token)
    assert auth.resume_session(store, token, now=NOW) is None
    assert auth.resume_session(store, "forged-token", now=NOW) is None


def test_idle_sessions_end(store: Store) -> None:
    actor = auth.sign_in(store, "sue", "sue-long-passphrase!", now=NOW)
    token = auth.create_session(store, actor, now=NOW)
    assert auth.resume_session(store, token, now=NOW + auth.SESSION_IDLE - timedelta(seconds=1)) == actor
    later = NOW + 2 * auth.SESSION_IDLE
    assert auth.resume_session(store, token, now=later) is None
    assert auth.resume_session(store, token, now=NOW + timedelta(seconds=1)) is None  # gone for good


def test_weak_passwords_refused() -> None:
    with pytest.raises(PermissionDenied, match="shorter"):
        auth.check_password_strength("short")


def test_only_admins_manage_users(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        store.add_user(Actor("sue", "supervisor"), "eve", "admin")


@pytest.fixture
def team_project(tmp_path: Path) -> Project:
    (tmp_path / "codebook.yaml").write_text(
        "themes:\n  - id: t\n    label: T\n    codes:\n      - id: c\n        label: C\n"
    )
    p = Project.open(tmp_path)
    p.sync()
    p.store.upsert_document(ADMIN, ParsedDocument("d", "Some interview text here.", Participant("A", "Expert (A)")))
    p.store.add_coding(Actor("alice", "annotator"), Coding("d", 0, 4, "c", "alice"))
    p.store.add_coding(Actor("bob", "annotator"), Coding("d", 5, 14, "c", "bob"))
    p.store.set_setting(ADMIN, "blind_mode", "true")
    yield p
    p.close()


def test_annotator_in_blind_mode_through_the_library(team_project: Project, tmp_path: Path) -> None:
    alice = team_project.as_user(Actor("alice", "annotator"))
    assert set(alice.analysis_data().codings["annotator"]) == {"alice"}
    with pytest.raises(PermissionDenied):
        alice.analysis_data(annotators=["bob"])
    with pytest.raises(PermissionDenied):
        alice.export_xlsx(tmp_path / "all.xlsx")
    with pytest.raises(PermissionDenied):
        alice.export_qdpx(tmp_path / "all.qdpx")
    with pytest.raises(PermissionDenied):
        alice.add_code("new", "New")
    assert not (tmp_path / "all.xlsx").exists() and not (tmp_path / "all.qdpx").exists()
    sue = team_project.as_user(Actor("sue", "supervisor"))
    assert set(sue.analysis_data().codings["annotator"]) == {"alice", "bob"}
