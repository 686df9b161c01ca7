"""Data integrity through the workbench (#12): what a user's browser shows when something
unexpected fails, undo with two annotators in blind mode, confirmed codebook merges."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from qualcode.project import Project

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "streamlit_app.py")

CODEBOOK = """\
title: Integrity test codebook
themes:
  - id: borders
    label: Borders
    codes:
      - id: transit
        label: Transit country
      - id: visas
        label: Visa rules
  - id: labour
    label: Labour
    codes:
      - id: shortage
        label: Labour shortage
"""

INTERVIEW = """\
---
participant: A
label: Expert (A)
---
Kazakhstan is a transit country for many people. The visa rules changed in 2022.

Factories lack workers and employers hire migrants.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = Project.init(root)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews" / "expert_A.md").write_text(INTERVIEW, encoding="utf-8")
    p.sync()
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def app(name: str = "alice", role: str = "annotator", page: str = "code") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["qc_start_page"] = page
    at.session_state["qc_local_name"] = name
    at.session_state["qc_local_role"] = role
    return at


# --------------------------------------------------------------------------- no tracebacks
def test_an_unexpected_error_shows_no_traceback_or_raw_message(project: Project, monkeypatch) -> None:
    def broken(self: Project) -> None:
        raise RuntimeError('(psycopg.errors.InternalError) SECRET-DETAIL in "codings"')

    monkeypatch.setattr(Project, "undo", broken)
    at = app().run()
    assert not at.exception
    at.button(key="qc_undo").click().run()
    assert at.exception, "the failure should reach Streamlit's error display"
    shown = at.exception[0]
    assert "SECRET-DETAIL" not in shown.message and "psycopg" not in shown.message
    assert list(shown.stack_trace) == []
    assert "RuntimeError" not in (shown.proto.type or "")


def test_every_way_of_starting_the_app_hides_error_details(monkeypatch, tmp_path: Path) -> None:
    import subprocess

    from qualcode import cli

    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda args, **kw: calls.append(list(args)) or 0)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        cli.main(["--project", str(tmp_path), "app"])
    assert exited.value.code == 0
    [args] = calls
    assert args[args.index("--client.showErrorDetails") + 1] == "none"
    run_script = (REPO / "run").read_text(encoding="utf-8")
    assert "--client.showErrorDetails none" in run_script
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
