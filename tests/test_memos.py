"""Memos (migration 8): document, code and project memos; coding memos in the memo browser;
roles, blind mode, audit, undo, rename, removal, migration.  Synthetic test data only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import schema as s
from qualcode.errors import ConflictError, MemoError, PermissionDenied, UndoRefused
from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme
from qualcode.store import Actor, Store

ADMIN = Actor("admin", "admin")
ALICE = Actor("alice", "annotator")
BOB = Actor("bob", "annotator")
SUE = Actor("sue", "supervisor")

TEXT = "Synthetic test transcript. The speaker talks about transit.\n\nA second paragraph."


def codebook() -> Codebook:
    return Codebook(
        themes={"trends": Theme("trends", "Trends")},
        codes={"transit": Code("transit", "Transit country", "trends"), "work": Code("work", "Work", "trends")},
    )


@pytest.fixture
def store(db_url: str) -> Store:
    st = Store(db_url)
    st.sync_codebook(codebook())
    st.upsert_document(
        ADMIN,
        ParsedDocument(
            name="synthetic_A",
            text=TEXT,
            participant=Participant("A", "Synthetic (A)", {}),
            segments=[Segment("sentence", 0, 26)],
        ),
    )
    yield st
    st.dispose()


# ----------------------------------------------------------------------------- schema
def test_schema_checks_kind_and_target(store: Store) -> None:
    base = dict(author="alice", text="x", created_at="t", updated_at="t")
    for bad in (
        dict(kind="coding", document=None, code_id=None),  # not a stored kind
        dict(kind="document", document=None, code_id=None),  # a document memo without a document
        dict(kind="code", document="synthetic_A", code_id=None),
        dict(kind="project", document=None, code_id="transit"),  # a project memo with a target
        dict(kind="document", document="synthetic_A", code_id="transit"),  # two targets
    ):
        with pytest.raises(sa.exc.IntegrityError):
            with store.write() as conn:
                conn.execute(s.memos.insert().values(**base, **bad))
    with pytest.raises(sa.exc.IntegrityError):  # empty text
        with store.write() as conn:
            conn.execute(s.memos.insert().values(kind="project", author="a", text="  ", created_at="t", updated_at="t"))


def test_memo_ids_are_never_reused(store: Store) -> None:
    first = store.add_memo(ALICE, "project", None, "one")
    second = store.add_memo(ALICE, "project", None, "two")
    store.delete_memo(ALICE, second)
    assert store.add_memo(ALICE, "project", None, "three") == second + 1 > first


def test_migration_8_upgrades_an_old_database(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "v2_project.db", db)  # written before migration 3
    store = Store(f"sqlite:///{db}")
    try:
        assert 8 in store.schema_versions()
        assert store.schema_versions() == sorted(v for v, _, _ in s.MIGRATIONS)
        with store.read() as conn:
            assert "AUTOINCREMENT" in s._sqlite_table_sql(conn, "memos").upper()
        memo = store.add_memo(Actor("alice", "annotator"), "document", "expert_A", "Added after the upgrade.")
        assert store.get_memo(ADMIN, memo)["document"] == "expert_A"
    finally:
        store.dispose()


def test_restored_audit_log_keeps_deleted_memo_ids_out_of_reach(store: Store) -> None:
    with store.write() as conn:
        conn.execute(
            s.audit_log.insert().values(at="t", actor="x", action="memo.delete", entity="memo", entity_id="41")
        )
        s.seed_id_sequences(conn)
    assert store.add_memo(ALICE, "project", None, "after a restore") == 42


# ----------------------------------------------------------------------------- store rules
def test_named_errors_for_bad_memos(store: Store) -> None:
    with pytest.raises(MemoError, match="Unknown document 'synthetic_B'.*synthetic_A"):
        store.add_memo(ALICE, "document", "synthetic_B", "text")
    with pytest.raises(MemoError, match="Unknown code 'transt'.*transit"):
        store.add_memo(ALICE, "code", "transt", "text")
    with pytest.raises(MemoError, match="Unknown memo kind 'coding'.*'code', 'document', 'project'"):
        store.add_memo(ALICE, "coding", "synthetic_A", "text")
    with pytest.raises(MemoError, match="empty"):
        store.add_memo(ALICE, "project", None, "   ")
    with pytest.raises(MemoError, match="needs the document"):
        store.add_memo(ALICE, "document", None, "text")
    with pytest.raises(MemoError, match="Memo 999 does not exist"):
        store.update_memo(ALICE, 999, text="x")


def test_authors_edit_their_own_supervisors_anyones(store: Store) -> None:
    memo = store.add_memo(ALICE, "code", "transit", "Alice's thought", title="Idea")
    with pytest.raises(PermissionDenied, match="only its author"):
        store.update_memo(BOB, memo, text="Bob's")
    with pytest.raises(PermissionDenied):
        store.delete_memo(BOB, memo)
    with pytest.raises(PermissionDenied, match="as 'alice'"):
        store.add_memo(BOB, "project", None, "x", author="alice")
    assert store.update_memo(SUE, memo, text="Sue's edit") == 2
    with pytest.raises(ConflictError):
        store.update_memo(ALICE, memo, text="stale", expected_version=1)
    assert store.get_memo(ALICE, memo)["text"] == "Sue's edit"
    assert store.get_memo(ALICE, memo)["author"] == "alice"  # an edit keeps the author


def test_every_memo_write_is_audited(store: Store) -> None:
    memo = store.add_memo(ALICE, "document", "synthetic_A", "first")
    store.update_memo(ALICE, memo, text="second")
    store.delete_memo(ALICE, memo)
    log = store.audit_frame()
    mine = log[log["entity"] == "memo"]
    assert list(mine["action"]) == ["memo.add", "memo.update", "memo.delete"]
    assert mine.iloc[1]["before"]["text"] == "first" and mine.iloc[1]["after"]["text"] == "second"
    assert mine.iloc[2]["before"]["text"] == "second"


def test_blind_mode_hides_other_coders_memos(store: Store) -> None:
    store.add_memo(ALICE, "project", None, "alice's")
    store.add_memo(BOB, "project", None, "bob's")
    store.set_setting(ADMIN, "blind_mode", "true")
    assert [r["text"] for r in store.memo_rows(ALICE)] == ["alice's"]
    assert len(store.memo_rows(SUE)) == 2


# ----------------------------------------------------------------------------- undo
def test_undo_brings_a_deleted_memo_back_with_its_id(store: Store) -> None:
    memo = store.add_memo(ALICE, "document", "synthetic_A", "keep me", title="Keep")
    store.delete_memo(ALICE, memo)
    assert store.get_memo(ALICE, memo) is None
    result = store.undo_last(ALICE)
    assert result["undone"] == "memo.delete" and result["memo_id"] == memo
    back = store.get_memo(ALICE, memo)
    assert (back["text"], back["title"], back["document"], back["author"]) == (
        "keep me",
        "Keep",
        "synthetic_A",
        "alice",
    )
    assert store.undo_last(ALICE)["undone"] == "memo.add"  # versions follow the undo chain
    assert store.get_memo(ALICE, memo) is None


def test_undo_of_an_edit_and_refusal_when_changed_since(store: Store) -> None:
    memo = store.add_memo(ALICE, "project", None, "v1")
    store.update_memo(ALICE, memo, text="v2")
    assert store.undo_last(ALICE)["undone"] == "memo.update"
    assert store.get_memo(ALICE, memo)["text"] == "v1"
    store.update_memo(ALICE, memo, text="v3")
    store.update_memo(SUE, memo, text="sue's")
    with pytest.raises(UndoRefused, match="sue changed it since"):
        store.undo_last(ALICE)
    assert store.get_memo(ALICE, memo)["text"] == "sue's"


def test_undo_takes_the_newest_step_codings_and_memos_alike(store: Store) -> None:
    coding = store.add_coding(ALICE, Coding("synthetic_A", 0, 9, "transit", "alice"))
    memo = store.add_memo(ALICE, "project", None, "after the coding")
    assert store.undo_last(ALICE)["memo_id"] == memo
    assert store.undo_last(ALICE)["coding_id"] == coding


def test_coding_memos_are_listed_and_counted(store: Store) -> None:
    store.add_coding(ALICE, Coding("synthetic_A", 0, 9, "transit", "alice", memo="why transit"))
    store.add_coding(BOB, Coding("synthetic_A", 10, 14, "work", "bob"))
    store.add_memo(BOB, "document", "synthetic_A", "about the interview")
    rows = store.coding_memo_rows(SUE)
    assert [(r["document"], r["code_id"], r["memo"], r["quote"]) for r in rows] == [
        ("synthetic_A", "transit", "why transit", "Synthetic")
    ]
    assert store.memo_counts(SUE, "synthetic_A") == {"document": 1, "coding": 1}
    store.set_setting(ADMIN, "blind_mode", "true")
    assert store.memo_counts(BOB, "synthetic_A") == {"document": 1, "coding": 0}
