"""The app's start-up import takes each transcript as its own unit: one bad new file (a date that
does not exist, bytes that are not text) is listed on the Interviews page as not imported, with
its file, line and field, while the good new files next to it are imported and the workbench
keeps working (AppTest, as a user opens it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import INTERVIEW_B, app, assert_no_exception, component_data, make_project, texts

from qualcode.project import Project

GOOD = "---\nparticipant: G\nlabel: Expert (G)\n---\nA good new interview about transit visas.\n"


def test_one_bad_new_transcript_does_not_hold_back_the_good_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    make_project(root).close()
    interviews = root / "interviews"
    (interviews / "expert_C.md").write_text(
        INTERVIEW_B.replace("participant: B", "participant: C\ndate: 2024-02-30"), encoding="utf-8"
    )
    (interviews / "expert_D.txt").write_bytes("Expert D: caf\xe9 au lait\n".encode("latin-1"))  # not UTF-8
    (interviews / "expert_G.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)

    at = app().run()
    assert_no_exception(at)
    assert component_data(at)["document"] == "expert_A"  # the Code page works
    assert "could not be imported" in texts(at)
    page = app("interviews").run()
    assert_no_exception(page)
    refused = next(df.value for df in page.dataframe if "Problem" in df.value.columns)
    assert sorted(set(refused["File"])) == ["interviews/expert_C.md", "interviews/expert_D.txt"]
    problems = dict(zip(refused["File"], refused["Problem"]))
    assert "line 3, field 'date'" in problems["interviews/expert_C.md"]
    assert "line 1" in problems["interviews/expert_D.txt"]
    assert "the other new files were" in texts(page)
    project = Project.open(root)
    try:
        names = project.store.document_names()
        assert "expert_G" in names  # imported at start-up next to the bad ones
        assert "expert_C" not in names and "expert_D" not in names
        assert project.store.import_source_sha("interviews/expert_C.md") is None  # nothing of it stored
    finally:
        project.close()

    # Fixed: a re-scan imports it and the list is gone; the one still broken stays listed.
    (interviews / "expert_C.md").write_text(
        INTERVIEW_B.replace("participant: B", "participant: C\ndate: 2024-02-29"), encoding="utf-8"
    )
    page.button(key="qc_rescan").click().run()
    assert_no_exception(page)
    refused = next(df.value for df in page.dataframe if "Problem" in df.value.columns)
    assert list(set(refused["File"])) == ["interviews/expert_D.txt"]
    assert "documents: 1 added" in texts(page)
    project = Project.open(root)
    try:
        assert "expert_C" in project.store.document_names()
    finally:
        project.close()


@pytest.mark.parametrize("import_status, app_starts", [(0, True), (2, True), (1, False)])
def test_run_app_starts_the_app_when_some_files_were_refused(
    tmp_path: Path, import_status: int, app_starts: bool
) -> None:
    """``./run app`` imports first: exit status 2 (a file refused, the good ones imported) must
    not keep the workbench from starting; a crash of the import (status 1) still stops it."""
    import hashlib
    import os
    import shutil
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    shutil.copy(repo / "run", tmp_path / "run")
    shutil.copy(repo / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    stamp = hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / ".qualcode-setup").write_text(f"{stamp}-base\n")  # set up already
    fake = bin_dir / "qualcode"
    fake.write_text(f'#!/bin/sh\ncase "$3" in import) exit {import_status};; app) echo APP STARTED;; esac\n')
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(tmp_path / "run"), "app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHON=sys.executable),
    )
    assert ("APP STARTED" in result.stdout) == app_starts, result.stderr
    assert result.returncode == (0 if app_starts else import_status)
    if import_status == 2:
        assert "lists them on its Interviews page" in result.stderr
