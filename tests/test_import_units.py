"""``qualcode import``: each transcript is its own unit, down to the store.  A Word file whose
comment codings the store refuses is left out whole (no document without its codings), and the
other new files are imported; the command prints the summary, names the refused file and exits 2."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from qualcode.cli import main
from qualcode.errors import CodingError, Problem

DATA = Path(__file__).parent / "data"
GDOCS = DATA / "importers" / "gdocs_D.docx"
GOOD = "---\nparticipant: G\n---\nInterviewer: And then?\n\nExpert G: Kazakhstan is a transit country.\n"


def names(root: Path) -> list[str]:
    conn = sqlite3.connect(root / ".qualcode" / "qualcode.db")
    try:
        return sorted(n for (n,) in conn.execute("SELECT name FROM documents"))
    finally:
        conn.close()


def test_a_file_whose_comment_codings_are_refused_is_left_out_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualcode.store.codings import CodingsRoom

    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    shutil.copy(GDOCS, root / "interviews" / GDOCS.name)
    (root / "interviews" / "expert_G.md").write_text(GOOD, encoding="utf-8")
    (root / "interviews" / "expert_Z.md").write_text(GOOD.replace("G", "Z"), encoding="utf-8")
    real = CodingsRoom._check_codings

    def refuse_gdocs(self, conn, actor, items, rows, source):  # type: ignore[no-untyped-def]
        if any(c.document == "gdocs_D" for c in items):
            raise CodingError(Problem("the span of this comment is refused (injected).", field="comment"))
        return real(self, conn, actor, items, rows, source)

    monkeypatch.setattr(CodingsRoom, "_check_codings", refuse_gdocs)
    capsys.readouterr()
    status = main(["--project", str(root), "import", "--create-codes"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert "Traceback" not in captured.err
    assert captured.err.startswith("Input file error: interviews/gdocs_D.docx, field 'comment'"), captured.err
    assert "documents: 2 added" in captured.out and "not imported: 1 file (interviews/gdocs_D.docx" in captured.out
    assert names(root) == ["expert_G", "expert_Z"]  # gdocs_D is not stored without its codings
    monkeypatch.undo()
    assert main(["--project", str(root), "import", "--create-codes"]) == 0  # and comes in whole once accepted
    assert names(root) == ["expert_G", "expert_Z", "gdocs_D"]
