"""Smaller defects found in the thesis check: `report codes --theme <cross-cutting id>` printed
a spurious `index` column; a blank c-coefficient in the co-occurrence sheet had no explanation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.project import Project

CODEBOOK = """\
themes:
  - id: work
    label: Work
    codes:
      - id: pay
        label: Pay
      - id: hours
        label: Hours
      - id: rent
        label: Rent
      - id: tips
        label: Tips
cross_cutting:
  - id: money
    label: Money
    codes: [pay, rent, tips]  # rows 0, 2, 3 of the code table: not a range
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "p"
    root.mkdir()
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    text = "Low pay. High rent. Bad hours."
    (root / "interviews" / "p1.md").write_text(f"---\nparticipant: P1\n---\n{text}\n", encoding="utf-8")
    project = Project.open(root)
    project.sync()
    project.add_coding("p1", 0, 8, "pay", annotator="ann1")
    project.add_coding("p1", 20, 30, "hours", annotator="ann1")
    project.add_coding("p1", 0, len(text), "rent", annotator="ann1")  # spans all three sentences
    project.add_coding("p1", 0, len(text), "hours", annotator="ann1")
    return project


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    code = "import sys; from qualcode.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "--project", str(root), *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("fmt", ["csv", "table", "markdown"])
def test_report_codes_of_a_cross_cutting_theme_has_no_index_column(project: Project, fmt: str) -> None:
    res = _cli(project.root, "report", "codes", "--theme", "money", "--format", fmt)
    assert res.returncode == 0, res.stderr
    # skip the report's header lines (and their wrapped, indented continuations) before the table
    lines = [line for line in res.stdout.splitlines() if not re.match(r"^(Unit|Codings counted):|^  \S", line)]
    cells = [c for c in re.split(r"[,|\s]+", lines[0]) if c]
    assert "index" not in cells and cells[0] == "code", cells
    assert "pay" in res.stdout and "rent" in res.stdout and "hours" not in res.stdout.split("\n", 2)[-1]


def test_blank_c_coefficient_is_explained_in_its_cell_note(project: Project, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = project.export_xlsx(tmp_path / "w.xlsx", unit="sentence")
    ws = load_workbook(path)["Co-occurrence"]
    header = [c.value for c in ws[1]]
    col = header.index("c_coefficient") + 1
    rows = {(r[header.index("code_a")].value, r[header.index("code_b")].value): r for r in ws.iter_rows(min_row=2)}
    # hours x rent: both cover all 3 sentences (n12 = 3) with 2 and 1 excerpts -> 2 + 1 - 3 = 0
    blank = rows[("hours", "rent")][col - 1]
    assert blank.value is None
    assert blank.comment is not None and "undefined" in blank.comment.text
    assert "2 + 1 - 3 = 0" in blank.comment.text
    defined = rows[("pay", "rent")][col - 1]
    assert defined.value == pytest.approx(1.0) and defined.comment is None
    assert "blank" in ws["A1"].comment.text
