"""The consolidation trail: merges recorded per surviving code (migration 5), the three numbers
"applications → unique codes → codes used", `qualcode report consolidation`, and "Number of
codes" of Appendix B after merges."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import schema
from qualcode.consolidation import trail_of
from qualcode.export import appendix as ap
from qualcode.project import Project

CODEBOOK = """\
title: Small study
themes:
  - id: work
    label: Work
    codes:
      - id: pay
        label: Pay
        applications: {count: 4, source: "paper codebook, p. 3"}
      - id: wages
        label: Wages
        applications: {count: 2, source: "paper codebook, p. 3"}
      - id: salary
        label: Salary
      - id: unused
        label: Unused
"""


def _project(root: Path) -> Project:
    root.mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    (root / "interviews" / "p1.md").write_text("---\nparticipant: P1\n---\nLow pay. Late wages.\n", encoding="utf-8")
    (root / "interviews" / "p2.md").write_text("---\nparticipant: P2\n---\nSalary is fine.\n", encoding="utf-8")
    project = Project.open(root)
    project.sync()
    project.add_coding("p1", 0, 8, "pay", annotator="ann1")
    project.add_coding("p1", 0, 8, "pay", annotator="ann2")
    project.add_coding("p1", 9, 20, "wages", annotator="ann1")
    project.add_coding("p1", 0, 8, "wages", annotator="ann2")  # same span and coder as a 'pay' coding
    project.add_coding("p2", 0, 15, "salary", annotator="ann1")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return _project(tmp_path / "p")


def test_migration_5_creates_the_trail_table(project: Project) -> None:
    assert 5 in project.status()["schema_versions"]
    with project.store.read() as conn:
        assert sa.inspect(conn).has_table("code_merges")
    assert (5, "consolidation trail") in [(v, n) for v, n, _ in schema.MIGRATIONS]


def test_before_any_merge(project: Project) -> None:
    info = project.consolidation_summary()
    assert (info["applications"], info["unique_codes"], info["codes_used"]) == (5, 4, 3)
    assert info["merged"] == 0 and len(project.consolidation_trail()) == 0


def test_merge_records_who_when_and_how_many(project: Project) -> None:
    project.merge_codes("wages", "pay")
    trail = project.consolidation_trail()
    assert len(trail) == 1
    row = trail.iloc[0]
    assert (row["code"], row["code_label"], row["merged_code"], row["merged_label"]) == ("pay", "Pay", "wages", "Wages")
    assert (row["applications"], row["collapsed"], row["recorded_applications"]) == (2, 1, 2)
    assert row["merged_by"] == project.actor.name and row["merged_at"].startswith("20")
    info = project.consolidation_summary()
    # 4 codings now + 1 collapsed = 5 applications before; 4 codes before, 3 after; 2 used
    assert (info["applications"], info["codings"], info["collapsed"]) == (5, 4, 1)
    assert (info["codes_before"], info["unique_codes"], info["codes_used"]) == (4, 3, 2)
    # the recorded counts add up in codebook.yaml
    pay = project.codebook.codes["pay"]
    assert pay.applications == 6 and "+ 2 of merged 'wages'" in pay.applications_source


def test_recorded_count_becomes_unknown_when_one_side_is_unknown(project: Project) -> None:
    project.merge_codes("salary", "pay")
    assert project.codebook.codes["pay"].applications is None
    assert project.consolidation_trail().iloc[0]["recorded_applications"] is None


def test_chains_and_renames_keep_the_trail(project: Project) -> None:
    project.merge_codes("wages", "salary")
    project.merge_codes("salary", "pay")
    project.rename_code("pay", new_id="income", new_label="Income")
    trail = project.consolidation_trail()
    assert trail[["code", "merged_code"]].values.tolist() == [["salary", "wages"], ["income", "salary"]]
    assert trail_of(trail, "income")["merged_code"].tolist() == ["wages", "salary"]
    assert trail_of(trail, "unused").empty


def test_number_of_codes_after_merges(project: Project) -> None:
    project.merge_codes("wages", "pay")
    data = project.analysis_data()
    trail = project.consolidation_trail()
    codings = ap.codebook_frame(data, ap.settings_from({}), trail)
    # Pay: its 2 codings + the 2 Wages carried (one of them collapsed onto a Pay coding of the same span)
    assert dict(zip(codings["Code"], codings["Number of codes"])) == {"Pay": 4, "Salary": 1, "Unused": 0}
    assert ap.codebook_frame(data, ap.settings_from({}))["Number of codes"].tolist() == [3, 1, 0]  # codings only
    recorded = ap.codebook_frame(data, ap.settings_from({"number_of_codes": "recorded"}))
    assert dict(zip(recorded["Code"], recorded["Number of codes"])) == {"Pay": 6, "Salary": None, "Unused": None}


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    code = "import sys; from qualcode.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "--project", str(root), *args], capture_output=True, text=True, timeout=300
    )


def test_report_consolidation_cli(project: Project) -> None:
    project.merge_codes("wages", "pay")
    res = _cli(project.root, "report", "consolidation")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("5 code applications → 3 unique codes → 2 codes used\n")
    assert "wages" in res.stdout and "Wages" in res.stdout
    res = _cli(project.root, "report", "consolidation", "--format", "json")
    out = json.loads(res.stdout)
    assert out["summary"]["merged"] == 1 and out["merges"][0]["merged_code"] == "wages"
    res = _cli(project.root, "report", "consolidation", "--code", "salary")
    assert res.returncode == 0 and "No merges recorded into 'salary'." in res.stdout
    res = _cli(project.root, "report", "consolidation", "--code", "salery")
    assert res.returncode == 2 and "'--code'" in res.stderr and "Did you mean" in res.stderr


def test_bad_applications_in_the_codebook_are_named(tmp_path: Path) -> None:
    from qualcode.codebook import parse_codebook
    from qualcode.errors import CodebookError

    for bad, says in (
        ("applications: 3", "must be a mapping"),
        ("applications: {count: -1, source: x}", "whole number"),
        ("applications: {count: 3}", "source"),
        ("applications: {count: 3, source: x, page: 2}", "unknown key 'page'"),
    ):
        text = f"themes:\n  - id: t\n    label: T\n    codes:\n      - id: a\n        label: A\n        {bad}\n"
        with pytest.raises(CodebookError) as err:
            parse_codebook(text, "codebook.yaml")
        problem = err.value.problems[0]
        assert says in problem.message and problem.field == "themes[0].codes[0].applications" and problem.hint


def test_forget_merge_drops_only_the_latest_matching_row(project: Project) -> None:
    from qualcode.consolidation import forget_merge

    project.merge_codes("wages", "pay")
    project.merge_codes("salary", "pay")
    with project.store.write() as conn:
        assert forget_merge(conn, "salary", "pay")
        assert not forget_merge(conn, "salary", "unused")
    assert project.consolidation_trail()["merged_code"].tolist() == ["wages"]


def test_trail_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "pg"
    root.mkdir()
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    (root / "interviews" / "p1.md").write_text("---\nparticipant: P1\n---\nLow pay. Late wages.\n", encoding="utf-8")
    project = Project.open(root, database_url=pg_url)
    try:
        project.sync()
        project.add_coding("p1", 0, 8, "pay", annotator="ann1")
        project.add_coding("p1", 0, 8, "wages", annotator="ann1")
        project.merge_codes("wages", "pay")
        trail = project.consolidation_trail()
        assert trail[["merged_code", "applications", "collapsed"]].values.tolist() == [["wages", 1, 1]]
        assert 5 in project.status()["schema_versions"]
    finally:
        project.close()


def test_two_codebook_edits_in_a_row_are_not_a_conflict(project: Project) -> None:
    """The same user's second edit follows their own first one (it was a ConflictError)."""
    project.rename_code("salary", new_label="Salary level")
    project.rename_code("unused", new_label="Not used")
    assert project.codebook.codes["unused"].label == "Not used"
