"""codebook.yaml and the database change as one unit when an import writes the codebook: a REFI-QDA
project (.qdpx), a REFI-QDA codebook (.qdc) and ``import --create-codes`` (codes named in Word
comments).  The database fails during the import (the disk is full, or the server went away, and
stays so): the command is refused with a named error, and codebook.yaml is byte for byte what it
was, so the file never names codes the database does not have.  Run through the CLI, as a user
would (``qualcode.cli.main``)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode.cli import main
from qualcode.project import Project

DATA = Path(__file__).parent / "data"
QDPX = DATA / "refi" / "atlasti-8.4-with-texts.qdpx"
QDC = DATA / "refi" / "atlasti-23-codebook-0-4.qdc"
GDOCS = DATA / "importers" / "gdocs_D.docx"  # its comments name codes no codebook has


class DatabaseDown:
    """From :meth:`arm` on, every write transaction's COMMIT fails as on a full disk."""

    def __init__(self) -> None:
        self.armed = False
        self.failed = 0

    def arm(self) -> None:
        self.armed = True

    def __call__(self, conn: sa.engine.Connection) -> None:
        if self.armed and conn.info.get("qualcode_write"):
            self.failed += 1
            raise sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.fixture
def database_down() -> Iterator[DatabaseDown]:
    down = DatabaseDown()
    sa.event.listen(sa.engine.Engine, "commit", down)
    try:
        yield down
    finally:
        sa.event.remove(sa.engine.Engine, "commit", down)


def arm_after(monkeypatch: pytest.MonkeyPatch, down: DatabaseDown, module: object, name: str) -> None:
    """Let ``module.name`` (a reader) run, then take the database down."""
    real = getattr(module, name)

    def wrapped(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)
        down.arm()
        return result

    monkeypatch.setattr(module, name, wrapped)


def tables(root: Path) -> dict[str, int]:
    conn = sqlite3.connect(root / ".qualcode" / "qualcode.db")
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names if n != "sqlite_sequence"}
    finally:
        conn.close()


def fresh(root: Path) -> Path:
    """A new project whose starter codebook is mirrored in the database."""
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "import"]) == 0
    return root


def refused(capsys: pytest.CaptureFixture[str], status: int) -> str:
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    assert err.startswith("Database error: The disk holding the database is full; nothing was saved."), err
    return err


def test_refi_project_import_with_the_database_failing_leaves_codebook_yaml_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_down: DatabaseDown
) -> None:
    import qualcode.refi

    root = fresh(tmp_path / "proj")
    before_file, before_db = (root / "codebook.yaml").read_bytes(), tables(root)
    arm_after(monkeypatch, database_down, qualcode.refi, "import_qdpx")
    refused(capsys, main(["--project", str(root), "import", str(QDPX)]))
    assert database_down.failed
    assert (root / "codebook.yaml").read_bytes() == before_file  # it used to be the REFI codebook
    assert tables(root) == before_db
    monkeypatch.undo()  # the disk has room again: the same import goes through
    database_down.armed = False
    assert main(["--project", str(root), "import", str(QDPX)]) == 0
    project = Project.open(root)
    try:
        assert len(project.codebook.codes) == 14 and project.counts()["codings"] == 9
        assert project.store.orphan_codes() == [] and project.store.pending_codebook_write() is None
    finally:
        project.close()


def test_refi_codebook_import_with_the_database_failing_leaves_codebook_yaml_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_down: DatabaseDown
) -> None:
    import qualcode.refi

    root = fresh(tmp_path / "proj")
    before_file, before_db = (root / "codebook.yaml").read_bytes(), tables(root)
    arm_after(monkeypatch, database_down, qualcode.refi, "import_qdc_with_guids")
    refused(capsys, main(["--project", str(root), "import", str(QDC)]))
    assert (root / "codebook.yaml").read_bytes() == before_file
    assert tables(root) == before_db
    monkeypatch.undo()  # the disk has room again: the same import goes through
    database_down.armed = False
    assert main(["--project", str(root), "import", str(QDC)]) == 0
    assert "Imported" in capsys.readouterr().out
    assert (root / "codebook.yaml").read_bytes() != before_file


def test_create_codes_with_the_database_failing_leaves_codebook_yaml_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_down: DatabaseDown
) -> None:
    """``import --create-codes``: the codes its Word comments name go into codebook.yaml only
    together with the database (it used to write the file, then fail to store anything)."""
    import qualcode.codebook

    root = fresh(tmp_path / "proj")
    shutil.copy(GDOCS, root / "interviews" / GDOCS.name)
    capsys.readouterr()
    before_file, before_db = (root / "codebook.yaml").read_bytes(), tables(root)
    arm_after(monkeypatch, database_down, qualcode.codebook, "edit_codebook")
    refused(capsys, main(["--project", str(root), "import", "--create-codes"]))
    assert database_down.failed
    assert (root / "codebook.yaml").read_bytes() == before_file  # it used to hold the new codes
    assert tables(root) == before_db
    monkeypatch.undo()  # the disk has room again: the same import goes through
    database_down.armed = False
    assert main(["--project", str(root), "import", "--create-codes"]) == 0
    project = Project.open(root)
    try:
        created = [c for c in project.codebook.codes.values() if c.theme == "uncategorised"]
        assert created and project.counts()["documents"] == 1 and project.store.orphan_codes() == []
    finally:
        project.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "point, completed", [("codebook-replace-before-commit", False), ("codebook-between-writes", True)]
)
def test_a_kill_during_a_refi_import_leaves_file_and_database_agreeing(
    tmp_path: Path, point: str, completed: bool
) -> None:
    """Killed before the last commit: codebook.yaml is untouched.  Killed after it: the next
    start writes the file from the database's record."""
    import os
    import signal

    root = fresh(tmp_path / "proj")
    before = (root / "codebook.yaml").read_bytes()
    killed = subprocess.run(
        [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())"]
        + ["--project", str(root), "import", str(QDPX)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, QUALCODE_CRASH_AT=point),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (root / "codebook.yaml").read_bytes() == before  # the file is replaced last
    project = Project.open(root)  # reconciles
    try:
        if completed:
            assert len(project.codebook.codes) == 14 and project.counts()["codings"] == 9
        else:
            assert project.codebook_path.read_bytes() == before and not project.codebook.codes
        assert project.store.pending_codebook_write() is None
    finally:
        project.close()
