"""Data integrity through the command line and the library (#12), on SQLite and PostgreSQL:
re-anchoring that never guesses, reported disappearances, named errors instead of raw ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qualcode.project import Project

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
