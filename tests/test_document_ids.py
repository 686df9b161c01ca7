"""Document ids are never reused (migration 10): a removed interview keeps its id, so undo can put
it back and nothing that names it (the audit log, .qualcode/removed/<id>-file) points at a new one.

SQLite hands out max(id) + 1 unless the table is AUTOINCREMENT, so before migration 10 removing
the newest interview and importing another gave the new one the removed one's id."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from qualcode import schema
from qualcode.cli import main

DATA = Path(__file__).parent / "data"
CODEBOOK = """themes:
  - id: t
    label: T
    codes:
      - id: transit
        label: Transit
      - id: work
        label: Work
"""
NEW = "---\nparticipant: N\n---\nInterviewer: And then?\n\nExpert N: Kazakhstan is a transit country.\n"


def cli(root: Path, db: Path, *args: str | Path) -> int:
    return main(["--project", str(root), "--database-url", f"sqlite:///{db}", *map(str, args)])


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def document_ids(db: Path) -> dict[str, int]:
    return dict(query(db, "SELECT name, id FROM documents"))


def project_folder(root: Path) -> Path:
    (root / "interviews").mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return root


def assert_intact(db: Path) -> None:
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    tables = dict(query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    assert "AUTOINCREMENT" in tables["documents"].upper()
    assert not [t for t in tables if "__" in t]  # no copy left behind
    for child in ("segments", "codings"):  # still tied to documents, not to a renamed copy
        assert "REFERENCES documents" in tables[child].replace('"', "")


def test_an_old_database_upgrades_and_a_new_interview_gets_a_new_id(tmp_path: Path) -> None:
    """tests/data/v2_project.db (written before migration 3): upgraded, every row kept; its only
    interview removed, a new one imported: the new one gets id 2, not the removed one's 1."""
    db = tmp_path / "old.db"
    shutil.copy(DATA / "v2_project.db", db)
    before = {t: query(db, f"SELECT * FROM {t} ORDER BY 1") for t in ("documents", "segments", "participants")}
    root = project_folder(tmp_path / "proj")
    assert cli(root, db, "status") == 0
    assert [v for (v,) in query(db, "SELECT version FROM schema_migrations ORDER BY 1")] == [
        v for v, _, _ in schema.MIGRATIONS
    ]
    assert {t: query(db, f"SELECT * FROM {t} ORDER BY 1") for t in before} == before
    assert_intact(db)
    assert document_ids(db) == {"expert_A": 1}
    assert cli(root, db, "remove", "expert_A", "--yes") == 0
    (root / "interviews" / "expert_N.md").write_text(NEW, encoding="utf-8")
    assert cli(root, db, "import") == 0
    assert document_ids(db) == {"expert_N": 2}
    assert cli(root, db, "undo") == 0  # the removal is undone under the old id
    assert document_ids(db) == {"expert_A": 1, "expert_N": 2}
    assert_intact(db)


def _as_before_migration_10(db: Path) -> None:
    """Make ``db`` what qualcode wrote before migration 10: documents without AUTOINCREMENT."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN")
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'documents'").fetchone()
        head, rest = sql.split("(", 1)
        assert head.replace('"', "").strip() == "CREATE TABLE documents"
        conn.execute("CREATE TABLE documents_old (" + rest.replace(" AUTOINCREMENT", ""))
        conn.execute("INSERT INTO documents_old SELECT * FROM documents")
        conn.execute("DROP TABLE documents")
        conn.execute("ALTER TABLE documents_old RENAME TO documents")
        conn.execute("CREATE INDEX ix_documents_participant_id ON documents (participant_id)")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'documents'")
        conn.execute("DELETE FROM schema_migrations WHERE version = 10")
        conn.execute("COMMIT")
    finally:
        conn.close()
    assert "AUTOINCREMENT" not in query(db, "SELECT sql FROM sqlite_master WHERE name = 'documents'")[0][0]


def test_the_upgrade_passes_an_id_only_the_removal_archive_names(tmp_path: Path) -> None:
    """Removed before the upgrade: the newest interview's id lives only in the removal's audit
    entry; migration 10 seeds the counter past it, so undo can still bring it back."""
    root = project_folder(tmp_path / "proj")
    db = tmp_path / "q.db"
    for name in ("A", "B"):
        (root / "interviews" / f"expert_{name}.md").write_text(NEW.replace("N", name), encoding="utf-8")
    assert cli(root, db, "import") == 0
    assert document_ids(db) == {"expert_A": 1, "expert_B": 2}
    assert cli(root, db, "remove", "expert_B", "--yes") == 0
    _as_before_migration_10(db)
    (root / "interviews" / "expert_N.md").write_text(NEW, encoding="utf-8")
    assert cli(root, db, "import") == 0  # opens (migration 10), then imports
    assert document_ids(db) == {"expert_A": 1, "expert_N": 3}
    assert_intact(db)
    assert cli(root, db, "undo") == 0
    assert document_ids(db) == {"expert_A": 1, "expert_B": 2, "expert_N": 3}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_remove_then_import_never_reuses_the_id(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    """A database created now: the same on SQLite and PostgreSQL."""
    from qualcode.project import Project

    url = f"sqlite:///{tmp_path / 'q.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    root = project_folder(tmp_path / "proj")
    (root / "interviews" / "expert_A.md").write_text(NEW.replace("N", "A"), encoding="utf-8")
    args = ["--project", str(root), "--database-url", url]
    assert main([*args, "import"]) == 0
    assert main([*args, "remove", "expert_A", "--yes"]) == 0
    (root / "interviews" / "expert_N.md").write_text(NEW, encoding="utf-8")
    assert main([*args, "import"]) == 0
    project = Project.open(root, database_url=url)
    try:
        assert project.store.document_row("expert_N")["id"] == 2
    finally:
        project.close()
