"""The Streamlit workbench through AppTest: every page for every role, coding without the
mouse, blind mode in team mode, hostile transcripts, readable errors, safe uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from qualcode.auth import hash_password  # noqa: E402
from qualcode.errors import InputFileError  # noqa: E402
from qualcode.project import Project  # noqa: E402
from qualcode.store import LOCAL_ADMIN, Actor  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "streamlit_app.py")
TIMEOUT = 60

CODEBOOK = """\
title: App test codebook
themes:
  - id: borders
    label: Borders
    color: "#4e79a7"
    codes:
      - id: transit
        label: Transit country
        description: Kazakhstan as a corridor.
        include: Mentions of passing through.
        patterns: [transit]
      - id: visas
        label: Visa rules
  - id: labour
    label: Labour
    color: "#e15759"
    codes:
      - id: shortage
        label: Labour shortage
  - id: uncategorised
    label: Uncategorised
    codes: []
cross_cutting:
  - id: policy
    label: Policy
    codes: [visas, shortage]
"""

INTERVIEW_A = """\
---
participant: A
label: Expert (A)
organisation_type: company
---
Kazakhstan is a transit country for many people. The visa rules changed in 2022.

Factories lack workers 🙂 and employers hire migrants.
"""

INTERVIEW_B = """\
---
participant: B
label: Expert (B)
organisation_type: government
---
Transit through the country grew. Employers complain about a labour shortage.
"""

HOSTILE = """\
---
participant: H
label: Hostile (H)
---
Look: <script>alert('pwned')</script> and <img src=x onerror="alert(1)"> and **bold** [link](http://evil.example).
"""

# Passwords for the team-mode tests; a low scrypt cost keeps the tests fast.
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-22", "sam": "sam-password-333",
             "root": "root-password-4444"}


def make_project(root: Path, *, hostile: bool = False) -> Project:
    project = Project.init(root)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews" / "expert_A.md").write_text(INTERVIEW_A, encoding="utf-8")
    (root / "interviews" / "expert_B.md").write_text(INTERVIEW_B, encoding="utf-8")
    if hostile:
        (root / "interviews" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    project.sync()
    return project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = make_project(root, hostile=True)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def add_codings(project: Project) -> None:
    """alice and bob code expert_A / expert_B, partly differently."""
    text_a = project.store.document_text("expert_A")
    text_b = project.store.document_text("expert_B")
    s = text_a.index("Kazakhstan is")
    e = text_a.index("people.") + len("people.")
    for who, code in (("alice", "transit"), ("bob", "transit")):
        project.as_user(Actor(who, "annotator", local=True)).add_coding("expert_A", s, e, code)
    v = text_a.index("The visa")
    project.as_user(Actor("alice", "annotator", local=True)).add_coding("expert_A", v, v + 20, "visas")
    t = text_b.index("Employers")
    project.as_user(Actor("bob", "annotator", local=True)).add_coding("expert_B", t, len(text_b) - 1, "shortage")


def app(page: str = "code", *, name: str | None = "alice", role: str = "supervisor") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["qc_start_page"] = page
    if name is not None:
        at.session_state["qc_local_name"] = name
        at.session_state["qc_local_role"] = role
    return at


def texts(at: AppTest) -> str:
    """Everything the page shows as text (markdown, text, captions, messages)."""
    parts = []
    for kind in ("markdown", "text", "caption", "error", "warning", "info", "success", "header", "subheader",
                 "title"):
        parts += [str(el.value) for el in getattr(at, kind)]
    return "\n".join(parts)


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
