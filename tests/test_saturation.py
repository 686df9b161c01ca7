"""Saturation (Guest, Bunce & Johnson 2006; Guest, Namey & Chen 2020) on hand-built projects
with known answers, through the library, the CLI and the workbook."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import QualcodeError
from qualcode.project import Project
from qualcode.saturation import (
    assess_saturation,
    cumulative_curve,
    first_seen,
    new_per_interview,
    order_distribution,
)

CODES = [f"c{i:02d}" for i in range(1, 13)]
CODEBOOK = "themes:\n" + "".join(
    f"  - id: t{t}\n    label: Theme {t}\n    codes:\n"
    + "".join(f"      - id: {c}\n        label: Code {c}\n" for c in CODES[t * 4 : t * 4 + 4])
    for t in range(3)
)

# Interview -> codes it uses.  Dates run opposite to the file names, so that "date" and "name"
# orders differ.  REACHED: the base (first 4 by date) holds 10 codes, interviews 5-6 add 1 (10 %),
# 6-7 add none -> saturation at interview 5, confirmed by interviews 6-7.
REACHED = {
    "p8": ("2024-01-01", ["c01", "c02", "c03"]),
    "p7": ("2024-01-02", ["c02", "c04", "c05"]),
    "p6": ("2024-01-03", ["c06", "c07", "c01"]),
    "p5": ("2024-01-04", ["c08", "c09", "c10"]),
    "p4": ("2024-01-05", ["c01", "c11"]),
    "p3": ("2024-01-06", ["c02", "c03"]),
    "p2": ("2024-01-07", ["c04", "c05"]),
    "p1": ("2024-01-08", ["c06"]),
}
# NOT_REACHED: every run of two adds at least 2 codes against a base of 4 (>= 50 %).
NOT_REACHED = {
    "p1": ("2024-02-01", ["c01"]),
    "p2": ("2024-02-02", ["c02"]),
    "p3": ("2024-02-03", ["c03"]),
    "p4": ("2024-02-04", ["c04"]),
    "p5": ("2024-02-05", ["c05", "c06"]),
    "p6": ("2024-02-06", ["c07", "c08"]),
    "p7": ("2024-02-07", ["c09", "c10"]),
    "p8": ("2024-02-08", ["c11", "c12"]),
}


def _project(root: Path, interviews: dict[str, tuple[str, list[str]]]) -> Project:
    root.mkdir()
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    text = "We talked about work. It was long."
    for name, (date, _) in interviews.items():
        (root / "interviews" / f"{name}.md").write_text(
            f"---\nparticipant: {name.upper()}\ndate: {date}\n---\n{text}\n", encoding="utf-8"
        )
    project = Project.open(root)
    project.sync()
    for name, (_, codes) in interviews.items():
        for code in codes:
            project.add_coding(name, 0, len(text), code, annotator="ann1")
    return project


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from qualcode.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "--project", str(root), *args], capture_output=True, text=True, timeout=300
    )


# ------------------------------------------------------------------------------- pure functions
def test_published_worked_example_first_run_is_19_percent() -> None:
    # Guest, Namey & Chen (2020): a base of 4 interviews with 37 unique codes; the first run of
    # two interviews adds 7 new codes -> 7/37 = 19 % new information, above <= 5 %.
    result = assess_saturation([20, 9, 5, 3, 4, 3], base_size=4, run_length=2, threshold=0.05)
    assert result.base_codes == 37
    first = result.runs.iloc[0]
    assert (int(first["run_first"]), int(first["run_last"]), int(first["new_codes"])) == (5, 6, 7)
    assert round(float(first["ratio"]), 2) == 0.19
    assert not result.reached


@pytest.mark.parametrize(
    ("new", "params", "at", "confirmed"),
    [
        ([5, 4, 3, 2, 1, 1, 0, 0], {}, 6, 8),  # 0 new in interviews 7-8
        ([5, 4, 3, 2, 0, 1, 0, 0], {}, 6, 8),  # runs 5-6 and 6-7 add 1 of 14 (7 %); 7-8 add none
        ([10, 5, 3, 2, 1, 0, 0, 0], {}, 4, 6),  # 1/20 = 5 % is "at or below" 5 %
        ([10, 5, 3, 2, 1, 0, 0, 0], {"threshold": 0.0}, 5, 7),  # the stricter 0 % rule waits for 6-7
        ([10, 5, 3, 2, 1, 1, 0, 0], {"step": 2}, 6, 8),  # non-overlapping runs: 5-6 (10 %), 7-8 (0 %)
        ([4, 3, 2, 1, 0, 0, 0], {"base_size": 3, "run_length": 3}, 4, 7),  # 4-6 add 1 of 9; 5-7 none
    ],
)
def test_assessment_table(new: list[int], params: dict[str, float], at: int, confirmed: int) -> None:
    result = assess_saturation(new, **params)  # type: ignore[arg-type]
    assert (result.saturation_at, result.confirmed_at) == (at, confirmed)
    assert result.reached


def test_not_reached_and_too_few_interviews_say_why() -> None:
    never = assess_saturation([5, 4, 3, 2, 2, 2, 2, 2])
    assert not never.reached and "not reached" in never.sentence()
    short = assess_saturation([5, 4, 3])
    assert not short.reached and "at least 6 interviews" in short.reason
    empty_base = assess_saturation([0, 0, 0, 0, 1, 0])
    assert "no codes" in empty_base.reason


@pytest.mark.parametrize(
    "params", [{"base_size": 0}, {"run_length": 0}, {"threshold": 1.5}, {"threshold": -0.1}, {"step": 0}]
)
def test_bad_parameters_are_named_errors(params: dict[str, float]) -> None:
    with pytest.raises(QualcodeError) as info:
        assess_saturation([3, 2, 1, 0, 0, 0], **params)  # type: ignore[arg-type]
    assert next(iter(params)) in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=5, max_size=5), min_size=1, max_size=12))
def test_new_codes_agree_with_a_brute_force_count(rows: list[list[bool]]) -> None:
    m = np.array(rows, dtype=bool)
    seen: set[int] = set()
    expected = []
    for row in m:
        fresh = {j for j in np.flatnonzero(row)} - seen
        expected.append(len(fresh))
        seen |= fresh
    assert new_per_interview(m).tolist() == expected
    curve = cumulative_curve(new_per_interview(m))
    assert curve["cumulative_codes"].iloc[-1] == m.any(axis=0).sum()
    if m.any():
        assert curve["share_of_codes"].iloc[-1] == pytest.approx(1.0)
    assert all(first_seen(m)[j] == (np.flatnonzero(m[:, j])[0] if m[:, j].any() else -1) for j in range(5))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=6, max_size=20), st.integers(1, 4), st.integers(1, 3))
def test_saturation_point_matches_a_direct_reading_of_the_rule(new: list[int], base: int, run: int) -> None:
    result = assess_saturation(new, base_size=base, run_length=run)
    base_codes = sum(new[:base])
    if len(new) < base + run or base_codes == 0:
        assert not result.reached
        return
    direct = next(
        (s for s in range(base, len(new) - run + 1) if sum(new[s : s + run]) / base_codes <= 0.05 + 1e-12), None
    )
    assert result.saturation_at == direct


def test_random_orders_are_seeded_and_reproducible() -> None:
    m = np.random.default_rng(3).random((10, 15)) < 0.3
    a = order_distribution(m, orders=200, seed=7)
    b = order_distribution(m, orders=200, seed=7)
    c = order_distribution(m, orders=200, seed=8)
    assert np.array_equal(a.saturation_at, b.saturation_at, equal_nan=True)
    assert not np.array_equal(a.saturation_at, c.saturation_at, equal_nan=True)
    summary = a.summary()
    assert summary["orders"].sum() == int(np.sum(~np.isnan(a.saturation_at)))
    if len(summary):
        assert summary["cumulative_share"].iloc[-1] == pytest.approx(a.share_reached)


# ------------------------------------------------------------------------------- on projects
def test_project_where_saturation_is_reached(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", REACHED)
    report = project.saturation(orders=100, seed=1)
    table = report.table
    assert table["document"].tolist() == ["p8", "p7", "p6", "p5", "p4", "p3", "p2", "p1"]  # by date
    assert table["new_codes"].tolist() == [3, 2, 2, 3, 1, 0, 0, 0]
    assert table["cumulative_codes"].tolist() == [3, 5, 7, 10, 11, 11, 11, 11]
    assert report.assessment.base_codes == 10
    assert (report.assessment.saturation_at, report.assessment.confirmed_at) == (5, 7)
    assert "reached at interview 5" in report.assessment.sentence()
    assert table.loc[4, "new_code_ids"] == "c11"
    assert "ann1" in report.pooled
    assert report.distribution is not None and report.distribution.orders == 100


def test_project_where_saturation_is_not_reached(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", NOT_REACHED)
    report = project.saturation(orders=50)
    assert report.table["new_codes"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert not report.assessment.reached
    assert report.distribution is not None and report.distribution.share_reached == 0.0
    assert any("reached in none" in line for line in report.lines())


def test_per_theme_rows_count_new_codes_within_each_theme(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", REACHED)
    by_theme = project.saturation(orders=0).by_theme
    theme0 = by_theme[by_theme["theme"] == "Theme 0"]
    # Theme 0 holds c01-c04: p8 brings c01-c03, p7 brings c04.
    assert theme0["new_codes"].tolist()[:3] == [3, 1, 0]
    assert theme0["cumulative_codes"].iloc[-1] == 4


def test_cli_report_saturation_orders_and_errors(tmp_path: Path) -> None:
    root = tmp_path / "p"
    _project(root, REACHED)
    by_date = _cli(root, "report", "saturation", "--format", "csv", "--orders", "20")
    assert by_date.returncode == 0, by_date.stderr
    rows = list(csv.DictReader(io.StringIO(by_date.stdout)))
    assert [r["document"] for r in rows][:2] == ["p8", "p7"]
    assert "Saturation was reached at interview 5" in by_date.stderr
    assert "Guest, Namey & Chen 2020" in by_date.stderr
    by_name = _cli(root, "report", "saturation", "--format", "csv", "--order", "name", "--orders", "0")
    assert [r["document"] for r in csv.DictReader(io.StringIO(by_name.stdout))][:2] == ["p1", "p2"]
    table = _cli(root, "report", "saturation", "--orders", "0")
    assert table.returncode == 0 and "Interview order: date" in table.stdout + table.stderr
    bad = _cli(root, "report", "saturation", "--order", "dat")
    assert bad.returncode == 2
    assert "Unknown interview order 'dat'" in bad.stderr and "date" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad_threshold = _cli(root, "report", "saturation", "--threshold", "5")
    assert bad_threshold.returncode == 2 and "threshold" in bad_threshold.stderr


def test_workbook_has_a_saturation_sheet(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", REACHED)
    path = project.export_xlsx(tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["Saturation"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["interview", "document", "participant"]
    new_codes = [r[header.index("new_codes")] for r in rows[1:]]
    assert new_codes == [3, 2, 2, 3, 1, 0, 0, 0]


def test_without_dates_the_order_is_by_name_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    for name in ("b", "a"):
        (root / "interviews" / f"{name}.md").write_text("Some words here.\n", encoding="utf-8")
    project = Project.open(root)
    project.sync()
    project.add_coding("b", 0, 4, "c01", annotator="ann1")
    report = project.saturation(orders=0)
    assert report.table["document"].tolist() == ["a", "b"]
    assert "no interview has a date" in report.order
    assert "too few" not in report.assessment.sentence() and "at least 6 interviews" in report.assessment.sentence()
