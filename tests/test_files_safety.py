"""Files from a hostile neighbour: symlinks in interviews/, planted symlinks at upload time,
formula injection in every CSV and every table the app shows, oversized .docx transcripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN

QUALCODE = [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())"]
SECRET = "TOP SECRET: the admin's notes, never to be shown as a transcript.\n"
INTERVIEW = "---\nparticipant: A\nlabel: Expert (A)\n---\nKazakhstan is a transit country for many people.\n"


def qualcode(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QUALCODE, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def linked_project(tmp_path: Path) -> Path:
    """A project whose interviews/ holds one real transcript, symlinks to files outside the
    project (/etc/passwd and a secret), a symlinked folder outside, and one harmless symlink
    to a file inside the project."""
    root = tmp_path / "proj"
    assert qualcode("init", str(root)).returncode == 0
    interviews = root / "interviews"
    (interviews / "expert_A.md").write_text(INTERVIEW, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    (outside / "more.md").write_text(SECRET, encoding="utf-8")
    os.symlink("/etc/passwd", interviews / "passwd.md")
    os.symlink(outside / "secret.md", interviews / "notes.md")
    os.symlink(outside, interviews / "linked_folder")
    (root / "drafts").mkdir()
    (root / "drafts" / "expert_B.md").write_text(INTERVIEW.replace("A", "B"), encoding="utf-8")
    os.symlink("../drafts/expert_B.md", interviews / "expert_B.md")  # inside the project: fine
    return root


# ------------------------------------------------------------------------------ e. symlinks
def test_import_never_reads_symlinks_pointing_outside_and_says_so(linked_project: Path, db_url: str) -> None:
    res = qualcode("--project", str(linked_project), "--database-url", db_url, "import")
    assert res.returncode == 0, res.stderr
    for entry in ("interviews/passwd.md -> /etc/passwd", "interviews/notes.md -> ", "interviews/linked_folder"):
        assert entry in res.stderr, res.stderr
    assert "Warning:" in res.stderr and "outside the project" in res.stderr
    project = Project.open(linked_project, database_url=db_url)
    try:
        names = set(project.store.documents_frame()["document"])
        assert names == {"expert_A", "expert_B"}
        texts = "".join(project.store.document_text(n) for n in names)
        assert "TOP SECRET" not in texts and "root:" not in texts
    finally:
        project.close()


def test_explicit_symlinked_path_in_the_project_is_skipped_too(linked_project: Path) -> None:
    res = qualcode("--project", str(linked_project), "import", str(linked_project / "interviews"))
    assert res.returncode == 0, res.stderr
    assert "interviews/passwd.md -> /etc/passwd" in res.stderr
    project = Project.open(linked_project)
    try:
        assert "passwd" not in set(project.store.documents_frame()["document"])
    finally:
        project.close()


def test_app_says_which_entries_were_skipped(linked_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QUALCODE_PROJECT", str(linked_project))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=60)
    at.session_state["qc_start_page"] = "interviews"
    at.session_state["qc_local_name"] = "alice"
    at.session_state["qc_local_role"] = "annotator"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = "\n".join(w.value for w in at.warning).replace("\\", "")
    assert "point outside the project" in warnings
    assert "interviews/passwd.md -> /etc/passwd" in warnings
    shown = "\n".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "passwd" not in shown and "notes" not in shown


def test_upload_does_not_write_through_a_planted_symlink(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import

    project = Project.init(tmp_path / "proj")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    interviews = project.interviews_dir
    # Every temporary name the old code (and a naive fix) would use, pointing at the victim.
    for name in (".expert_C.md.upload.tmp", "expert_C.md.tmp", ".expert_C.md.tmp"):
        os.symlink(victim, interviews / name)
    docs = save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=False)
    assert [d["document"] for d in docs] == ["expert_C"]
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (interviews / "expert_C.md").read_text(encoding="utf-8") == INTERVIEW
    assert not (interviews / "expert_C.md").is_symlink()
    assert not [p for p in interviews.iterdir() if p.name.startswith(".upload-")]  # no temporary file left
    project.close()


def test_upload_refuses_a_symlink_planted_under_the_upload_name(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import
    from qualcode.errors import InputFileError

    project = Project.init(tmp_path / "proj")
    victim = tmp_path / "victim.md"
    victim.write_text("precious\n", encoding="utf-8")
    os.symlink(victim, project.interviews_dir / "expert_C.md")
    with pytest.raises(InputFileError, match="outside the interviews folder"):
        save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=True)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert project.store.documents_frame().empty
    project.close()


def test_upload_refuses_a_symlinked_interviews_folder(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import
    from qualcode.errors import InputFileError

    project = Project.init(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.interviews_dir.rmdir()
    os.symlink(elsewhere, project.interviews_dir)
    with pytest.raises(InputFileError, match="interviews/ points outside the project"):
        save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=False)
    assert list(elsewhere.iterdir()) == []
    assert project.store.codings_frame(LOCAL_ADMIN).empty
    project.close()
