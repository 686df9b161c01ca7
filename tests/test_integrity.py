"""Data integrity through the command line and the library (#12), on SQLite and PostgreSQL:
re-anchoring that never guesses, reported disappearances, named errors instead of raw ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import schema
from qualcode.errors import CodingError, QualcodeError, UndoRefused
from qualcode.model import Coding
from qualcode.project import Project
from qualcode.store import Actor, Store

CODEBOOK = """\
themes:
  - id: borders
    label: Borders
    codes:
      - id: transit
        label: Transit country
      - id: work
        label: Work
"""

INTERVIEW = """\
---
participant: B
label: Expert (B)
---
Expert B: Kazakhstan is a transit country for many people.

Interviewer: And the employers?

Expert B: Factories lack workers, so they hire migrants from Kazakhstan and Kyrgyzstan.
"""


def qualcode(root: Path, db_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real console entry point, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())", "--project", str(root)]
        + ["--database-url", db_url, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_project(root: Path, db_url: str) -> Project:
    project = Project.init(root, database_url=db_url)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews" / "expert_B.md").write_text(INTERVIEW, encoding="utf-8")
    project.sync()
    return project


# --------------------------------------------------------------------------- re-anchoring
def test_reimport_never_moves_a_short_quote_to_another_sentence(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "proj"
    project = make_project(root, db_url)
    text = project.store.document_text("expert_B")
    first = text.index("Kazakhstan")
    second = text.index("Kazakhstan", first + 1)
    coded = project.add_coding("expert_B", first, first + len("Kazakhstan"), "transit", annotator="alice")
    kept = project.add_coding("expert_B", second, second + len("Kazakhstan"), "work", annotator="alice")
    project.close()
    path = root / "interviews" / "expert_B.md"
    path.write_text(INTERVIEW.replace("Kazakhstan is a transit country", "The republic is a corridor"), "utf-8")
    res = qualcode(root, db_url, "import")
    assert res.returncode == 0, res.stderr
    assert "1 codings detached" in res.stdout
    project = Project.open(root, database_url=db_url)
    codings = project.store.codings_frame(project.actor)
    # the coding of the second 'Kazakhstan' moved with its sentence; the first was not moved onto it
    assert list(codings["coding_id"]) == [kept]
    assert list(codings["code"]) == ["work"]
    detached = project.store.detached_frame()
    assert list(detached["id"]) == [coded] and list(detached["status"]) == ["detached"]
    project.close()
    status = qualcode(root, db_url, "status")
    assert status.returncode == 0, status.stderr
    assert f"#{coded} expert_B [transit] by alice: 'Kazakhstan'" in status.stdout
    assert "not moved to another occurrence" in status.stdout
    info = json.loads(qualcode(root, db_url, "status", "--format", "json").stdout)
    assert info["detached"] == 1 and info["codings"] == 1


# --------------------------------------------------------------------------- ids and undo
ALICE = Actor("alice", "annotator")
BOB = Actor("bob", "annotator")
SUE = Actor("sue", "supervisor")


@pytest.fixture
def store(tmp_path: Path, db_url: str) -> Store:
    project = make_project(tmp_path / "proj", db_url)
    yield project.store
    project.close()


def span(store: Store, quote: str, occurrence: int = 0) -> tuple[int, int]:
    text = store.document_text("expert_B") or ""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def test_a_deleted_codings_id_is_never_given_to_another_coding(store: Store) -> None:
    s1, e1 = span(store, "Kazakhstan")
    first = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    last = store.add_coding(ALICE, Coding("expert_B", s1, e1, "work", "alice"))
    store.delete_coding(ALICE, last)  # the highest id: SQLite without AUTOINCREMENT hands it out again
    bobs = store.add_coding(BOB, Coding("expert_B", s1, e1, "transit", "bob"))
    assert bobs > last > first


def test_undo_of_a_delete_whose_id_was_taken_is_not_a_raw_error(store: Store) -> None:
    """The old failure: alice deletes her newest coding, bob's next coding got its id, and alice's
    undo crashed with a raw IntegrityError, every time."""
    s1, e1 = span(store, "Kazakhstan")
    mine = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    store.delete_coding(ALICE, mine)
    bobs = store.add_coding(BOB, Coding("expert_B", s1, e1, "transit", "bob"))
    assert store.undo_last(ALICE)["undone"] == "coding.delete"
    rows = store.codings_frame(SUE).set_index("coding_id")
    assert rows.loc[mine, "annotator"] == "alice" and rows.loc[bobs, "annotator"] == "bob"


def test_undo_refuses_a_coding_changed_by_someone_else_and_moves_on(store: Store) -> None:
    s1, e1 = span(store, "Kazakhstan")
    s2, e2 = span(store, "Factories")
    earlier = store.add_coding(ALICE, Coding("expert_B", s2, e2, "work", "alice"))
    mine = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    store.update_coding(SUE, mine, memo="supervisor's note")
    with pytest.raises(UndoRefused, match=rf"your add of coding {mine}: sue \(update\) changed it since"):
        store.undo_last(ALICE)
    assert store.get_coding(SUE, mine)["memo"] == "supervisor's note"  # untouched
    assert store.undo_last(ALICE)["coding_id"] == earlier  # the refused step is passed over
    assert store.get_coding(SUE, earlier) is None
    assert store.undo_last(ALICE) is None


def test_undo_refuses_a_coding_changed_outside_the_audit_log(store: Store) -> None:
    s1, e1 = span(store, "Kazakhstan")
    mine = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    with store.write() as conn:  # e.g. a merge or a re-import bumping the version
        conn.execute(sa.update(schema.codings).where(schema.codings.c.id == mine).values(version=7))
    with pytest.raises(UndoRefused, match="version 7, your change left version 1"):
        store.undo_last(ALICE)
    assert store.get_coding(SUE, mine) is not None


def test_undo_of_a_delete_refuses_when_the_span_was_coded_again(store: Store) -> None:
    s1, e1 = span(store, "Kazakhstan")
    mine = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    store.delete_coding(ALICE, mine)
    store.add_coding(SUE, Coding("expert_B", s1, e1, "transit", "alice"))  # a supervisor re-adds it for alice
    with pytest.raises(UndoRefused, match="alice has coded that span with 'transit' again since"):
        store.undo_last(ALICE)
    assert len(store.codings_frame(SUE)) == 1


def test_undo_of_an_edit_restores_the_quote_of_the_old_span(store: Store) -> None:
    s1, e1 = span(store, "Kazakhstan")
    mine = store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    store.update_coding(ALICE, mine, end=e1 + 3)
    store.undo_last(ALICE)
    row = store.get_coding(ALICE, mine)
    assert (row["start_pos"], row["end_pos"], row["quote"]) == (s1, e1, "Kazakhstan")
    assert store.undo_last(ALICE)["undone"] == "coding.add"  # versions follow the undo chain


def test_migration_3_keeps_every_row_of_an_old_sqlite_database(tmp_path: Path) -> None:
    import shutil
    import sqlite3

    db = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "v2_project.db", db)  # written before migration 3
    tables = ("codings", "audit_log", "segments", "documents", "users")
    columns = {t: [r[1] for r in _query(db, f"PRAGMA table_info({t})")] for t in tables}
    before = {t: _rows(db, t, columns[t]) for t in tables}
    store = Store(f"sqlite:///{db}")
    try:
        assert store.schema_versions() == [v for v, _, _ in schema.MIGRATIONS]
        for table in ("codings", "audit_log", "segments", "suggestion_decisions"):
            with store.read() as conn:
                assert "AUTOINCREMENT" in schema._sqlite_table_sql(conn, table).upper()
        after = {t: _rows(db, t, columns[t]) for t in tables}  # the old columns (later migrations add some)
        assert after == before
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        # coding 3 was deleted (its id only in the audit log): a new coding gets a fresh id
        new = store.add_coding(BOB, Coding("expert_A", 0, 10, "work", "bob"))
        assert new == 4
        assert store.undo_last(Actor("alice", "annotator"))["coding_id"] == 3  # alice's delete, undone
    finally:
        store.dispose()


def test_migration_3_on_an_old_postgresql_database(pg_url: str) -> None:
    store = Store(pg_url)
    store.sync_codebook(load_codebook_text(CODEBOOK))
    store.dispose()
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # the schema as migrations 1-2 left it
        conn.exec_driver_sql("DROP INDEX ix_audit_log_entity")
        conn.exec_driver_sql("DROP INDEX ix_audit_log_step")
        conn.exec_driver_sql("ALTER TABLE audit_log DROP COLUMN step")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 3")
        conn.exec_driver_sql(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id) VALUES ('x', 'a', 'coding.delete', 'coding', '41')"
        )
    engine.dispose()
    store = Store(pg_url)
    try:
        assert 3 in store.schema_versions()
        with store.read() as conn:
            assert "step" in {c["name"] for c in sa.inspect(conn).get_columns("audit_log")}
            next_id = conn.exec_driver_sql("SELECT nextval(pg_get_serial_sequence('codings', 'id'))").scalar()
        assert next_id == 42  # past the deleted coding the audit log still names
    finally:
        store.dispose()


def _query(db: Path, sql: str) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _rows(db: Path, table: str, columns: list[str]) -> list[tuple]:
    return _query(db, f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")


def load_codebook_text(text: str):  # type: ignore[no-untyped-def]
    from qualcode.codebook import parse_codebook

    return parse_codebook(text)


def test_a_restored_project_never_reuses_an_id_its_audit_log_names(tmp_path: Path, db_url: str) -> None:
    from qualcode.backup import backup, restore

    project = make_project(tmp_path / "proj", db_url)
    s1, e1 = span(project.store, "Kazakhstan")
    kept = project.store.add_coding(ALICE, Coding("expert_B", s1, e1, "transit", "alice"))
    gone = project.store.add_coding(ALICE, Coding("expert_B", s1, e1, "work", "alice"))
    project.store.delete_coding(ALICE, gone)
    backup(project, tmp_path / "b.qcbackup")
    project.close()
    fresh = Project.init(tmp_path / "fresh", database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        restore(fresh, tmp_path / "b.qcbackup")
        new = fresh.store.add_coding(BOB, Coding("expert_B", s1, e1, "transit", "bob"))
        assert new > gone > kept
        assert fresh.store.undo_last(ALICE)["coding_id"] == gone  # alice's delete can still be undone
    finally:
        fresh.close()


# --------------------------------------------------------------------------- codebook.yaml and the database
@pytest.mark.slow
@pytest.mark.parametrize("point", ["codebook-between-writes", "codebook-after-file"])
@pytest.mark.parametrize(
    "command, moved_to",
    [
        (("codebook", "rename", "transit", "--id", "transit_route"), "transit_route"),
        (("codebook", "merge", "transit", "work"), "work"),
    ],
    ids=["rename", "merge"],
)
def test_a_kill_between_the_codebook_file_and_the_database_leaves_them_agreeing(
    tmp_path: Path, db_url: str, point: str, command: tuple[str, ...], moved_to: str
) -> None:
    import os
    import signal

    root = tmp_path / "proj"
    project = make_project(root, db_url)
    s1, e1 = span(project.store, "Kazakhstan")
    coded = project.add_coding("expert_B", s1, e1, "transit", annotator="alice")
    project.close()
    killed = subprocess.run(
        [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())", "--project", str(root)]
        + ["--database-url", db_url, *command],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, QUALCODE_CRASH_AT=point),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # died at the crash point
    res = qualcode(root, db_url, "import")  # the next start completes the change
    assert res.returncode == 0, res.stderr
    project = Project.open(root, database_url=db_url)
    try:
        codebook = project.codebook
        assert "transit" not in codebook.codes and moved_to in codebook.codes
        assert codebook.resolve("transit") == moved_to  # the old id is an alias
        rows = project.store.codings_frame(project.actor)
        assert list(zip(rows["coding_id"], rows["code"])) == [(coded, moved_to)]
        assert project.store.orphan_codes() == []  # no coding under an id the file lacks
        assert project.store.pending_codebook_write() is None
    finally:
        project.close()
    status = qualcode(root, db_url, "status")
    assert "missing from codebook.yaml" not in status.stdout


def test_a_failed_commit_leaves_codebook_yaml_unchanged(tmp_path: Path, db_url: str) -> None:
    """The database connection dies at COMMIT (PostgreSQL: the server ends the session; SQLite:
    the disk fills): the change is refused with a named error and the file is as before."""
    root = tmp_path / "proj"
    project = make_project(root, db_url)
    s1, e1 = span(project.store, "Kazakhstan")
    project.add_coding("expert_B", s1, e1, "transit", annotator="alice")
    before = (root / "codebook.yaml").read_bytes()
    fail_next_commit(project.store, db_url)
    with pytest.raises(QualcodeError) as refused:
        project.rename_code("transit", new_id="transit_route")
    assert not isinstance(refused.value, sa.exc.SQLAlchemyError)
    assert "nothing was saved" in str(refused.value).lower()
    assert (root / "codebook.yaml").read_bytes() == before
    project.close()
    project = Project.open(root, database_url=db_url)
    try:
        assert (root / "codebook.yaml").read_bytes() == before  # and stays so
        assert list(project.store.codings_frame(project.actor)["code"]) == ["transit"]
        assert project.store.orphan_codes() == []
    finally:
        project.close()


def fail_next_commit(store: Store, db_url: str) -> None:
    """Make the next COMMIT fail as it does in real life."""
    fired = []

    @sa.event.listens_for(store.engine, "commit")
    def _fail(conn: sa.engine.Connection) -> None:
        if fired or not conn.info.get("qualcode_write"):
            return
        fired.append(True)
        if store.is_sqlite:
            import sqlite3

            raise sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))
        pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        admin = sa.create_engine(db_url)
        with admin.begin() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        admin.dispose()


# --------------------------------------------------------------------------- named errors, not raw ones
def on_a_small_disk(folder: Path, size_kb: int, script: str) -> subprocess.CompletedProcess:
    """Run the shell ``script`` with a tmpfs of ``size_kb`` mounted at ``folder``, in a private mount
    namespace: writes there hit a real ENOSPC / SQLITE_FULL."""
    import os
    import shutil

    ok = shutil.which("unshare") is not None and subprocess.run(["unshare", "-rm", "true"]).returncode == 0
    if not ok:  # as conftest.require_service: a failure in CI, a skip with the reason elsewhere
        why = "'unshare -rm' (util-linux, user and mount namespaces) is needed to fill a real disk"
        if os.environ.get("CI"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size={size_kb}k none '{folder}' && {script}"],
        capture_output=True,
        text=True,
        timeout=600,
    )


QUALCODE = f"'{sys.executable}' -c 'import sys; from qualcode.cli import main; sys.exit(main())'"


@pytest.mark.parametrize("name", ["b.qcbackup", "b.db"])
def test_a_backup_on_a_full_disk_is_a_named_error_and_leaves_nothing(tmp_path: Path, copy_demo, name: str) -> None:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path / "demo")
    Project.open(root).sync()
    disk = tmp_path / "disk"
    res = on_a_small_disk(disk, 64, f"{QUALCODE} --project '{root}' backup '{disk}/{name}'; echo rc=$?; ls -A '{disk}'")
    assert "rc=2" in res.stdout, res.stdout + res.stderr
    assert "Cannot write the output" in res.stderr and "the disk is full" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout.strip().endswith("rc=2")  # ls printed nothing: no .tmp (or anything else) left


def test_a_full_disk_under_the_database_is_a_named_error(tmp_path: Path, copy_demo) -> None:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path / "demo")
    disk = tmp_path / "disk"
    res = on_a_small_disk(
        disk, 400, f"{QUALCODE} --project '{root}' --database-url 'sqlite:///{disk}/q.db' import; echo rc=$?"
    )
    assert "rc=2" in res.stdout, res.stdout + res.stderr
    assert "Database error: The disk holding the database is full; nothing was saved." in res.stderr
    assert "Free some space" in res.stderr and "Traceback" not in res.stderr and "sqlite3" not in res.stderr


def test_postgresql_disk_full_and_lost_connections_get_named_errors() -> None:
    from qualcode.errors import ConflictError, DatabaseError, from_database

    class Driver(Exception):
        def __init__(self, message: str, sqlstate: str) -> None:
            super().__init__(message)
            self.sqlstate = sqlstate

    full = from_database(sa.exc.OperationalError("INSERT", {}, Driver("could not extend file", "53100")))
    assert isinstance(full, DatabaseError) and "disk holding the database is full" in str(full)
    lost = from_database(sa.exc.OperationalError("COMMIT", {}, Driver("terminating connection", "57P01")))
    assert "connection to the database server was lost" in str(lost)
    dup = from_database(sa.exc.IntegrityError("INSERT", {}, Driver("duplicate key value", "23505")))
    assert isinstance(dup, ConflictError) and "at the same moment" in str(dup)


def test_concurrent_duplicate_codings_on_postgresql_get_a_named_error(tmp_path: Path, pg_url: str) -> None:
    """Two sessions add the same coding at the same instant: both pass the duplicate check, one
    commits first, the other hits the unique constraint (a raw UniqueViolation before)."""
    project = make_project(tmp_path / "proj", pg_url)
    other = Store(pg_url)
    s1, e1 = span(project.store, "Kazakhstan")
    s2, e2 = span(project.store, "Factories")
    first = project.store.add_coding(ALICE, Coding("expert_B", s2, e2, "work", "alice"))  # alice exists
    coding = Coding("expert_B", s1, e1, "transit", "alice")
    raced: list[int] = []

    @sa.event.listens_for(project.store.engine, "before_cursor_execute")
    def _other_session_first(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO codings") and not raced:
            raced.append(other.add_coding(ALICE, coding))  # commits while this one is between check and insert

    try:
        with pytest.raises(CodingError, match="already coded this span with 'transit'.*at the same moment"):
            project.store.add_codings(ALICE, [coding, Coding("expert_B", s1, e1, "work", "alice")], skip_existing=False)
        rows = project.store.codings_frame(SUE)
        # the other row of the losing batch was not saved either
        assert list(zip(rows["coding_id"], rows["code"])) == [(first, "work"), (raced[0], "transit")]
    finally:
        other.dispose()
        project.close()


# --------------------------------------------------------------------------- disappeared transcripts
def test_import_and_status_say_when_a_coded_transcript_file_disappeared(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "proj"
    project = make_project(root, db_url)
    (root / "interviews" / "other.md").write_text("---\nparticipant: C\n---\nNothing coded here.\n", "utf-8")
    project.sync()
    s1, e1 = span(project.store, "Kazakhstan")
    project.add_coding("expert_B", s1, e1, "transit", annotator="alice")
    project.add_coding("expert_B", s1, e1, "work", annotator="alice")
    project.close()
    (root / "interviews" / "expert_B.md").unlink()
    res = qualcode(root, db_url, "import")
    assert res.returncode == 0, res.stderr
    expected = "1 imported transcript file is missing from the project folder: interviews/expert_B.md (document 'expert_B', 2 codings)"
    assert expected in res.stdout
    assert "The 2 codings on them are kept in the database" in res.stdout and "Put the file back" in res.stdout
    status = qualcode(root, db_url, "status")
    assert expected in status.stdout
    info = json.loads(qualcode(root, db_url, "status", "--format", "json").stdout)
    assert info["missing_transcripts"] == [{"document": "expert_B", "file": "interviews/expert_B.md", "codings": 2}]
    assert info["codings"] == 2  # nothing was deleted
    (root / "interviews" / "other.md").unlink()  # an uncoded one is named too, without the codings line
    assert "interviews/other.md (document 'other', 0 codings)" in qualcode(root, db_url, "import").stdout


# --------------------------------------------------------------------------- undo of codebook edits and imports
@pytest.mark.parametrize(
    "command",
    [
        ("codebook", "merge", "transit", "work"),
        ("codebook", "rename", "transit", "--id", "transit_route"),
        ("codebook", "delete", "transit", "--force"),
    ],
    ids=["merge", "rename", "delete"],
)
def test_undo_reverts_a_codebook_edit_as_one_step_then_the_whole_import(
    tmp_path: Path, db_url: str, command: tuple[str, ...]
) -> None:
    root = tmp_path / "proj"
    make_project(root, db_url).close()
    (root / "interviews" / "team.csv").write_text(
        "document,quote,code,annotator,memo\n"
        "expert_B,Kazakhstan is a transit country,transit,alice,\n"
        "expert_B,Kazakhstan is a transit country,work,alice,same span\n"  # collapses into 'work' on merge
        "expert_B,Factories lack workers,work,alice,\n"
        "expert_B,hire migrants,transit,bob,\n",
        encoding="utf-8",
    )
    assert qualcode(root, db_url, "import").returncode == 0
    codebook_before = (root / "codebook.yaml").read_bytes()

    def codings() -> list[tuple[int, str, str, str]]:
        project = Project.open(root, database_url=db_url)
        try:
            frame = project.store.codings_frame(project.actor)
            return sorted(zip(frame["coding_id"], frame["code"], frame["annotator"], frame["memo"]))
        finally:
            project.close()

    imported = codings()
    assert len(imported) == 4
    edit = qualcode(root, db_url, *command)
    assert edit.returncode == 0, edit.stderr
    assert codings() != imported and (root / "codebook.yaml").read_bytes() != codebook_before
    undo = qualcode(root, db_url, "undo")
    assert undo.returncode == 0, undo.stderr
    assert f"Undid the codebook {command[1]}" in undo.stdout
    assert (root / "codebook.yaml").read_bytes() == codebook_before
    assert codings() == imported  # every coding back, nothing of the import lost
    project = Project.open(root, database_url=db_url)
    assert project.store.orphan_codes() == [] and project.store.detached_frame().empty
    assert project.consolidation_trail().empty
    project.close()
    again = qualcode(root, db_url, "undo")
    assert "Undid one step: 4 codings" in again.stdout, again.stdout + again.stderr
    assert codings() == []
    assert "Nothing to undo." in qualcode(root, db_url, "undo").stdout


def test_undo_of_a_merge_is_refused_when_a_moved_coding_changed_since(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "proj", db_url)
    s1, e1 = span(project.store, "Kazakhstan")
    moved = project.add_coding("expert_B", s1, e1, "transit", annotator="alice")
    project.merge_codes("transit", "work")
    merged = project.codebook_path.read_bytes()
    project.store.update_coding(ALICE, moved, memo="alice's note after the merge")
    with pytest.raises(UndoRefused, match="alice \\(update\\) changed it since"):
        project.as_user(Actor("local", "admin", local=True)).undo()
    assert project.codebook_path.read_bytes() == merged  # nothing undone: file and codings as they are
    assert project.store.get_coding(SUE, moved)["code_id"] == "work"
    project.close()


def test_any_database_failure_left_over_reaches_the_cli_user_as_a_named_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qualcode.cli import main

    root = tmp_path / "proj"
    make_project(root, f"sqlite:///{tmp_path / 'q.db'}").close()

    def clash(self: Project) -> None:
        raise sa.exc.IntegrityError("INSERT INTO x", {}, Exception("UNIQUE constraint failed: users.name"))

    monkeypatch.setattr(Project, "status", clash)
    assert main(["--project", str(root), "--database-url", f"sqlite:///{tmp_path / 'q.db'}", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Conflict: Someone else saved the same entry at the same moment (users.name)")
    assert "INSERT INTO" not in err and "Traceback" not in err
