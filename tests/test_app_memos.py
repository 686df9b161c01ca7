"""The Memos page and the interview memos on the Interviews page, through AppTest (synthetic
test transcripts from tests/test_app.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from qualcode.errors import PermissionDenied  # noqa: E402
from qualcode.project import Project  # noqa: E402
from qualcode.store import Actor  # noqa: E402


def _load_app_helpers():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_qualcode_app_helpers", Path(__file__).with_name("test_app.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load_app_helpers()
app, texts, assert_no_exception = helpers.app, helpers.texts, helpers.assert_no_exception
choose, picker = helpers.choose, helpers.picker


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = helpers.make_project(root)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def _some_memos(project: Project) -> int:
    text = project.store.document_text("expert_A")
    start = text.index("Kazakhstan")
    alice = project.as_user(Actor("alice", "annotator", local=True))
    cid = alice.add_coding("expert_A", start, start + len("Kazakhstan"), "transit", memo="Synthetic coding memo")
    alice.add_memo("document", "expert_A", "Synthetic interview memo", title="First read")
    project.as_user(Actor("bob", "annotator", local=True)).add_memo("code", "visas", "Synthetic code memo by bob")
    alice.add_memo("project", None, "Synthetic project memo")
    return cid


def test_memo_browser_lists_every_kind_and_filters(project: Project) -> None:
    cid = _some_memos(project)
    at = app("memos", name="alice", role="annotator").run()
    assert_no_exception(at)
    shown = texts(at)
    assert "Memos" in [h.value for h in at.header]
    for text in (
        "Synthetic coding memo",
        "Synthetic interview memo",
        "Synthetic code memo by bob",
        "Synthetic project memo",
    ):
        assert text in shown
    assert "Coding memo · Transit country in expert_A" in shown and "Code memo · Visa rules" in shown
    assert "4 memo(s)" in shown
    assert at.button(key=f"qc_memo_open_coding_{cid}")  # open in context
    at.multiselect(key="qc_memo_kinds").select("code").run()
    assert_no_exception(at)
    shown = texts(at)
    assert "Synthetic code memo by bob" in shown and "Synthetic project memo" not in shown
    at.multiselect(key="qc_memo_kinds").unselect("code").run()
    choose(at, "qc_memo_document", "expert_A")
    shown = texts(at)
    assert "Synthetic interview memo" in shown and "Synthetic coding memo" in shown
    assert "Synthetic code memo by bob" not in shown


def test_write_edit_delete_and_undo_a_memo_on_the_memos_page(project: Project) -> None:
    at = app("memos", name="alice", role="annotator").run()
    at.radio(key="qc_memo_new_kind").set_value("code").run()
    at.selectbox(key="qc_memo_new_target").select("transit").run()
    at.text_input(key="qc_memo_new_title").input("Boundary")
    at.text_area(key="qc_memo_new_text").input("Only when a route is named (synthetic).")
    at.button(key="qc_memo_new_save").click().run()
    assert_no_exception(at)
    memos = project.memos_frame()
    assert list(zip(memos["kind"], memos["code"], memos["author"], memos["title"])) == [
        ("code", "transit", "alice", "Boundary")
    ]
    memo_id = int(memos["memo_id"].iloc[0])
    assert "Saved memo" in texts(at)
    at.toggle(key=f"qc_memo_editing_memo_{memo_id}").set_value(True).run()
    at.text_area(key=f"qc_memo_edit_text_memo_{memo_id}").input("Edited (synthetic).")
    at.button(key=f"qc_memo_save_memo_{memo_id}").click().run()
    assert project.memo(memo_id)["text"] == "Edited (synthetic)."
    at.toggle(key=f"qc_memo_editing_memo_{memo_id}").set_value(True).run()
    at.button(key=f"qc_memo_delete_memo_{memo_id}").click().run()
    assert project.memo(memo_id) is None
    at.button(key="qc_memo_undo").click().run()
    assert_no_exception(at)
    assert project.memo(memo_id)["text"] == "Edited (synthetic)."
    assert "Undid delete of memo" in texts(at)


def test_an_interview_memo_names_its_interview_in_the_type_ahead_picker(project: Project) -> None:
    """The interview of a new memo is chosen in a type-ahead picker (every interview of the
    project, none chosen at first): Save waits for a choice, then the memo is on that interview."""
    at = app("memos", name="alice", role="annotator").run()
    offered = picker(at, "qc_memo_new_interview")
    assert offered["options"][0] == ("", "Choose an interview")
    assert [v for v, _ in offered["options"][1:]] == project.document_names()
    assert at.button(key="qc_memo_new_save").disabled  # no interview chosen yet
    choose(at, "qc_memo_new_interview", "expert_B")
    at.text_area(key="qc_memo_new_text").input("Talks about transit first (synthetic).")
    at.button(key="qc_memo_new_save").click().run()
    assert_no_exception(at)
    memos = project.memos_frame()
    assert list(zip(memos["kind"], memos["document"], memos["author"])) == [("document", "expert_B", "alice")]


def test_others_memos_cannot_be_edited_by_an_annotator(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _some_memos(project)
    memo_id = int(project.memos_frame(kinds=["code"])["memo_id"].iloc[0])  # bob's
    from qualcode.app.pages.memos import may_change

    assert not may_change(Actor("alice", "annotator"), "bob")
    assert may_change(Actor("sue", "supervisor"), "bob")
    with pytest.raises(PermissionDenied, match="only its author"):
        project.as_user(Actor("alice", "annotator")).edit_memo(memo_id, text="x")


def test_interview_memos_on_the_interviews_page(project: Project) -> None:
    _some_memos(project)
    at = app("interviews", name="alice", role="annotator")
    at.session_state["qc_int_tab"] = "Interview memos"  # only the open tab runs
    at.run()
    assert_no_exception(at)
    assert "Interview memos" in texts(at)
    assert "Synthetic interview memo" in texts(at)
    choose(at, "qc_int_memo_document", "expert_B")
    assert "No memo on this interview yet." in texts(at)
    at.text_area(key="qc_int_memo_new_text").input("A synthetic memo on B")
    at.button(key="qc_int_memo_new_save").click().run()
    assert_no_exception(at)
    assert [r["text"] for r in project.document_memos("expert_B")] == ["A synthetic memo on B"]
    assert "A synthetic memo on B" in texts(at)
