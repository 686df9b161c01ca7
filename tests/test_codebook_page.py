"""The Codebook page with two supervisors at once (two AppTest sessions on one project):
an edit acts on the code the supervisor chose, or is refused when the codebook changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from test_app import APP, add_codings, make_project

from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = make_project(root)
    add_codings(p)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def supervisor(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["qc_start_page"] = "codebook"
    at.session_state["qc_local_name"] = name
    at.session_state["qc_local_role"] = "supervisor"
    at.session_state["qc_cb_more"] = True  # "More changes" open: its forms run only while open
    return at.run()


def messages(at: AppTest) -> str:
    return "\n".join(str(m.value) for kind in ("error", "success") for m in getattr(at, kind)).replace("\\", "")


def add_code_as(at: AppTest, label: str) -> None:
    at.text_input(key="qc_cb_add_label").input(label)
    next(b for b in at.button if b.label == "Add").click().run()
    assert "Added code" in messages(at), messages(at)


def archived(project: Project) -> int:
    return int(project.status()["archived"])


def test_delete_acts_on_the_chosen_code_or_is_refused(project: Project) -> None:
    first_code = next(iter(project.codebook.codes))
    assert first_code == "transit" and len(project.store.codings_frame(LOCAL_ADMIN).query("code == 'transit'")) == 2
    b = supervisor("bea")
    b.selectbox(key="qc_cb_delete_node").select("visas")
    b.checkbox(key="qc_cb_delete_force").check()
    a = supervisor("ann")
    add_code_as(a, "A brand new code")  # meanwhile, in another browser
    next(btn for btn in b.button if btn.label == "Delete").click().run()
    assert not b.exception
    shown = messages(b)
    assert "changed since you loaded it" in shown and "Deleted." not in shown, shown
    codes = set(project.as_of(None).codebook.codes)
    assert {"transit", "visas", "shortage", "a_brand_new_code"} <= codes
    assert archived(project) == 0  # nobody's codings were archived
    # B now sees the current codebook; choosing again deletes exactly that code.
    b.selectbox(key="qc_cb_delete_node").select("visas")
    b.checkbox(key="qc_cb_delete_force").check()
    next(btn for btn in b.button if btn.label == "Delete").click().run()
    assert "Deleted." in messages(b)
    codes = set(project.as_of(None).codebook.codes)
    assert "visas" not in codes and {"transit", "shortage", "a_brand_new_code"} <= codes
    assert archived(project) == 1  # alice's one visas coding, not transit's two


def test_rename_acts_on_the_chosen_code_or_is_refused(project: Project) -> None:
    b = supervisor("bea")
    b.selectbox(key="qc_cb_rename_node").select("shortage")
    b.text_input(key="qc_cb_rename_label").input("Shortage of workers")
    a = supervisor("ann")
    add_code_as(a, "Another new code")
    next(btn for btn in b.button if btn.label == "Rename").click().run()
    assert "changed since you loaded it" in messages(b)
    book = project.as_of(None).codebook
    assert book.codes["transit"].label == "Transit country" and book.codes["shortage"].label == "Labour shortage"
    b.selectbox(key="qc_cb_rename_node").select("shortage")
    b.text_input(key="qc_cb_rename_label").input("Shortage of workers")
    next(btn for btn in b.button if btn.label == "Rename").click().run()
    assert "Renamed" in messages(b)
    book = project.as_of(None).codebook
    assert book.codes["shortage"].label == "Shortage of workers" and book.codes["transit"].label == "Transit country"


def test_a_code_deleted_by_someone_else_is_refused(project: Project) -> None:
    b = supervisor("bea")
    b.selectbox(key="qc_cb_move_node").select("visas")
    b.selectbox(key="qc_cb_move_parent").select("labour")
    project.as_of(None).delete_code("visas", force=True)  # another supervisor, on the command line
    next(btn for btn in b.button if btn.label == "Move").click().run()
    shown = messages(b)
    assert "Moved." not in shown and ("changed since you loaded it" in shown or "no longer in the codebook" in shown)
    book = project.as_of(None).codebook
    assert book.codes["transit"].theme == "borders" and "visas" not in book.codes
