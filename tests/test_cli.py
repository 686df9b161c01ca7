"""The command line: every command reachable, exit status 2 with a readable message for user errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.cli import cli, main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the thesis demo, imported once."""
    root = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    assert main(["--project", str(root), "import"]) == 0
    return root


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess (exit status and streams as a user sees them)."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _all_commands(group, prefix=()):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        path = prefix + (name,)
        if hasattr(command, "commands"):
            yield from _all_commands(command, path)
        else:
            yield path, command


@pytest.mark.parametrize(
    "path,command", list(_all_commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command) -> None:  # type: ignore[no-untyped-def]
    text = command.help or ""
    assert text.strip(), f"qualcode {' '.join(path)} has no help"
    assert "Example" in text and "qualcode " in text, f"qualcode {' '.join(path)} help lacks an example"


def test_status_json(demo: Path) -> None:
    res = run("--project", str(demo), "status", "--format", "json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert (info["participants"], info["documents"], info["detached"]) == (9, 9, 0)
    assert info["codings_by_annotator"] == {"thesis-team": 195}


@pytest.mark.parametrize("report", ["themes", "codes", "experts", "matrix", "cooccurrence", "quotes"])
@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
def test_every_report_in_every_format(demo: Path, report: str, fmt: str) -> None:
    assert main(["--project", str(demo), "report", report, "--format", fmt]) == 0


def test_theme_csv_columns_and_thesis_notation(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(demo), "report", "themes", "--format", "csv"]) == 0
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    for col in ["theme_id", "theme", "parent", "excerpts", "codings", "experts_n", "experts"]:
        assert col in df.columns
    row = df[df["theme"] == "Human trafficking"].iloc[0]
    assert (row["excerpts"], row["experts"]) == ("7", "F,H")
    assert "transit_migration" in set(df["theme_id"])


def test_agreement_reports_need_two_annotators_and_say_so(demo: Path) -> None:
    res = run("--project", str(demo), "report", "agreement", "--format", "json")
    assert res.returncode == 2
    assert "at least two annotators" in res.stderr and "thesis-team" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "args,needle",
    [
        (["report", "themes", "--format", "xml"], "Invalid value"),
        (["codebook", "merge", "no_such_code", "dactyloscopy"], "no_such_code"),
        (["codebook", "delete", "dactyloscopy"], "used by"),
        (["import", "--codings", "missing.csv"], "not found"),
        (["report", "agreement", "--unit", "word"], "Invalid value"),
    ],
)
def test_user_errors_exit_2_without_traceback(demo: Path, args: list[str], needle: str) -> None:
    res = run("--project", str(demo), *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert needle in res.stderr
    assert "Traceback" not in res.stderr


def test_codebook_check_ok_and_broken(demo: Path, tmp_path: Path) -> None:
    ok = run("--project", str(demo), "codebook", "check")
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - id: a\n    label: A\n    codes:\n      - id: a\n        lable: x\n")
    res = run("codebook", "check", str(bad))
    assert res.returncode == 2
    assert "line 5" in res.stderr and "line 6" in res.stderr and "label" in res.stderr
    assert "Traceback" not in res.stderr


def test_init_import_and_codebook_changes(tmp_path: Path) -> None:
    root = tmp_path / "study"
    assert main(["init", str(root)]) == 0
    (root / "interviews" / "p1.md").write_text("---\nparticipant: P1\nlabel: Participant 1\n---\nHello there.\n")
    assert main(["--project", str(root), "import"]) == 0
    assert main(["--project", str(root), "codebook", "add", "greeting", "Greeting"]) == 0
    sheet = tmp_path / "c.csv"
    sheet.write_text("participant,quote,code\nP1,Hello there.,Greeting\n")
    assert main(["--project", str(root), "import", "--codings", str(sheet)]) == 0
    assert main(["--project", str(root), "codebook", "rename", "greeting", "--id", "salutation"]) == 0
    res = run("--project", str(root), "report", "codes", "--format", "json")
    assert res.returncode == 0
    rows = json.loads(res.stdout)
    assert [r["code"] for r in rows if r["codings"]] == ["salutation"]
    assert main(["--project", str(root), "undo"]) == 0


@pytest.fixture(scope="module")
def three_coders(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plus two more coders who agree with the thesis team on most excerpts."""
    import csv

    root = tmp_path_factory.mktemp("three")
    shutil.copy(demo / "codebook.yaml", root / "codebook.yaml")
    shutil.copytree(demo / "interviews", root / "interviews")
    rows = list(csv.DictReader(open(root / "interviews" / "thesis_team_codings.csv", encoding="utf-8")))
    with open(root / "interviews" / "more_coders.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["participant", "quote", "code", "annotator", "memo"])
        w.writeheader()
        for i, row in enumerate(rows):
            for coder, skip_every in (("coder2", 7), ("coder3", 5)):
                if i % skip_every:  # each coder leaves out a different share of excerpts
                    w.writerow({**row, "annotator": coder})
    assert main(["--project", str(root), "import"]) == 0
    return root


@pytest.mark.parametrize("report", ["agreement", "disagreements"])
@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
def test_agreement_reports_in_every_format(
    three_coders: Path, report: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--project",
        str(three_coders),
        "report",
        report,
        "--format",
        fmt,
        "--annotators",
        "thesis-team,coder2,coder3",
    ]
    if report == "agreement":
        args += ["--bootstrap", "200", "--unit", "paragraph"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if report == "agreement" and fmt == "json":
        rows = json.loads(out)
        theme = next(r for r in rows if r["level"] == "theme" and r["id"] == "human_trafficking_issues")
        assert 0.0 < theme["alpha"] <= 1.0 and theme["kappa_kind"] == "fleiss"
    if report == "agreement" and fmt == "table":
        assert "Unit: paragraph" in out and "Documents: the 9 document(s) every chosen coder coded" in out


@pytest.mark.parametrize(
    "args,needle",
    [
        (["export", "xlsx", "/nonexistent/folder/appendix.xlsx"], "does not exist"),
        (["export", "qdpx", "/nonexistent/folder/p.qdpx"], "does not exist"),
        (["backup", "/nonexistent/folder/b.qcbackup"], "does not exist"),
        (["set", "blind_mode", "maybe"], "not a valid value"),
        (["report", "themes", "--annotators", "thesis-tem"], "Did you mean 'thesis-team'?"),
        (["report", "agreement", "--annotators", "thesis-team,nobody"], "No codings by 'nobody'"),
    ],
)
def test_more_user_errors_exit_2(demo: Path, args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(demo), *args]) == 2
    assert needle in capsys.readouterr().err


def test_report_themes_fits_100_columns_and_wide_shows_every_column(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--project", str(demo), "report", "themes"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100, out
    assert "Theme" in out and "Excerpts" in out and "Human trafficking" in out
    assert "theme_id" not in out
    assert main(["--project", str(demo), "report", "themes", "--wide"]) == 0
    assert "theme_id" in capsys.readouterr().out
