"""Removing an interview: it leaves every report, its codings are archived (not destroyed), its
file leaves the folder so the next import does not bring it back, the step is audited, and
``undo`` restores all of it.  A file that disappeared is listed by ``status``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import add_codings, make_project

from qualcode.cli import main
from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    project = make_project(root)
    add_codings(project)
    project.close()
    return root


def cli(root: Path, *args: str) -> int:
    return main(["--project", str(root), *args])


def test_remove_archives_codings_and_undo_restores_everything(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project.open(root)
    before = project.store.codings_frame(LOCAL_ADMIN)
    b_ids = sorted(before.loc[before["document"] == "expert_B", "coding_id"])
    assert b_ids
    project.close()

    assert cli(root, "remove", "expert_B", "--yes") == 0
    out = capsys.readouterr().out
    assert f"Removed interview 'expert_B': {len(b_ids)} coding(s) archived" in out
    project = Project.open(root)
    assert project.store.document_names() == ["expert_A"]
    data = project.analysis_data()
    assert set(data.documents["document"]) == {"expert_A"}
    assert set(data.participants["participant"]) == {"A"}  # B had no other interview: out of every denominator
    assert "expert_B" not in set(data.codings["document"])
    archived = project.store.detached_frame()
    assert sorted(archived.loc[archived["status"] == "archived", "id"]) == b_ids
    assert not (root / "interviews" / "expert_B.md").exists()
    assert list((root / ".qualcode" / "removed").iterdir())
    audit = project.store.audit_frame()
    assert "document.remove" in set(audit["action"])
    project.close()

    assert cli(root, "import") == 0  # the removed file does not come back
    assert Project.open(root).store.document_names() == ["expert_A"]
    assert cli(root, "status") == 0
    assert f"Archived:      {len(b_ids)}" in capsys.readouterr().out

    assert cli(root, "undo") == 0
    assert "Restored the interview expert_B with" in capsys.readouterr().out
    project = Project.open(root)
    assert project.store.document_names() == ["expert_A", "expert_B"]
    after = project.store.codings_frame(LOCAL_ADMIN)
    assert sorted(after.loc[after["document"] == "expert_B", "coding_id"]) == b_ids  # the same ids
    assert "B" in set(project.analysis_data().participants["participant"])
    assert project.store.detached_frame().empty
    assert (root / "interviews" / "expert_B.md").is_file()
    report = project.sync()
    assert report.documents == []  # nothing to re-import: the file and the database agree again
    project.close()


def test_status_lists_files_that_disappeared_and_remove_takes_them_out(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "interviews" / "expert_A.md").unlink()
    capsys.readouterr()
    assert cli(root, "status") == 0
    out = capsys.readouterr().out
    assert "1 imported transcript file is missing from the project folder: interviews/expert_A.md" in out
    assert "(qualcode remove expert_A)" in out
    project = Project.open(root)
    assert project.status()["missing_transcripts"] == [
        {"document": "expert_A", "file": "interviews/expert_A.md", "codings": 3}
    ]
    project.close()
    assert cli(root, "remove", "expert_A", "--yes") == 0
    capsys.readouterr()
    assert cli(root, "status") == 0
    assert "missing from the project folder" not in capsys.readouterr().out


def test_remove_refuses_unknown_names_and_annotators(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli(root, "remove", "expert_Z", "--yes") == 2
    err = capsys.readouterr().err
    assert "No interview named 'expert_Z'" in err and "Did you mean" in err
    project = Project.open(root)
    from qualcode.errors import PermissionDenied
    from qualcode.store import Actor

    with pytest.raises(PermissionDenied):
        project.as_user(Actor("alice", "annotator", local=True)).remove_interview("expert_A")
    assert project.store.document_names() == ["expert_A", "expert_B"]
    assert (root / "interviews" / "expert_A.md").is_file()  # the file is moved only when removal is allowed
    project.close()
