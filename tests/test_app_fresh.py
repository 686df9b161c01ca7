"""The pages cache what they compute per data version (``state.derived``): a write made anywhere
(another browser session, the CLI) shows on the next visit of every page, in the session that
already showed the page and in a new one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from test_app import add_codings, app, assert_no_exception, component_data, make_project, pick_segment, texts

from qualcode.project import Project
from qualcode.store import Actor


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = make_project(root, hostile=True)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def shown(at: AppTest) -> str:
    """What the page shows: its texts, every table's cells and every picker's options (on the
    Codebook page the themes' lines with their counts: AppTest does not carry an opened
    expander from one run to the next)."""
    if at.session_state["qc_start_page"] == "codebook":
        return "\n".join(str(box.label) for box in at.expander)
    parts = [texts(at)]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [str(box.options) for box in at.selectbox]
    return "\n".join(parts)


def write_elsewhere(project: Project) -> None:
    """Another user codes a passage and writes a memo (through Project, as another session would)."""
    text = project.store.document_text("expert_B")
    start = text.index("Transit")
    alice = project.as_user(Actor("alice", "annotator", local=True))
    alice.add_coding("expert_B", start, start + len("Transit through the country grew."), "visas")
    alice.add_memo("project", None, "A memo written in another session.", title="Fresh memo")


@pytest.mark.parametrize("page", ["reports", "framework", "agreement", "adjudicate", "interviews", "memos", "codebook"])
def test_a_write_elsewhere_shows_on_the_next_visit(project: Project, page: str) -> None:
    add_codings(project)
    first = app(page, role="supervisor").run()
    assert_no_exception(first)
    before = shown(first)
    first.run()  # a rerun with nothing written: the same page (from the caches)
    assert shown(first) == before
    write_elsewhere(project)
    first.run()
    assert_no_exception(first)
    after = shown(first)
    assert after != before, page
    second = app(page, role="supervisor").run()  # a new browser session
    assert_no_exception(second)
    again = shown(second)
    if again != after:  # say what differs
        import difflib

        diff = "\n".join(difflib.unified_diff(after.splitlines(), again.splitlines(), lineterm="", n=0))
        raise AssertionError(f"{page}:\n{diff}")


def test_code_browser_counts_follow_a_write(project: Project) -> None:
    add_codings(project)
    at = app("browser", role="supervisor").run()
    before = at.selectbox(key="qc_br_node").options
    write_elsewhere(project)
    at.run()
    after = at.selectbox(key="qc_br_node").options
    assert before != after
    assert any("Visa rules" in line and "2 excerpts" in line for line in after), after


def _spans(project: Project, name: str, document: str) -> list[list]:
    frame = project.as_user(Actor(name, "supervisor", local=True)).document_codings_view(document, [name])
    return sorted([int(c), int(s), int(e)] for c, s, e in zip(frame["coding_id"], frame["start"], frame["end"]))


def _shown_spans(at: AppTest) -> list[list]:
    return sorted([int(s[4]), int(s[0]), int(s[1])] for s in component_data(at)["spans"])


def _apply(at: AppTest, first: dict, containing: str, code: str) -> None:
    """Select the sentence holding ``containing`` and apply ``code`` (``first``: the component's
    data of the first run, which carries the text and segments)."""
    pick_segment(at, containing, first["text"], first["segments"])
    at.multiselect(key="qc_codes").select(code).run()
    at.button(key="qc_apply").click().run()
    assert_no_exception(at)


def _count_document_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a whole interview's codings by the Code page (the app runs in this process)."""
    from qualcode.project.workbench import WorkbenchMixin

    reads: list[str] = []
    real = WorkbenchMixin.document_codings_view

    def counted(self, document, annotators=None):  # type: ignore[no-untyped-def]
        reads.append(document)
        return real(self, document, annotators)

    monkeypatch.setattr(WorkbenchMixin, "document_codings_view", counted)
    return reads


def test_apply_carries_the_cached_codings_forward_and_they_equal_a_fresh_read(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apply appends the new coding to the interview's cached codings (no re-read) when nothing
    else was written: what the transcript shows is what the database holds."""
    at = app(name="carol", role="annotator").run()
    first = component_data(at)
    _apply(at, first, "Factories", "shortage")
    reads = _count_document_reads(monkeypatch)
    _apply(at, first, "Kazakhstan", "visas")
    assert reads == []  # the interview was not read again
    assert len(_shown_spans(at)) == 2
    assert _shown_spans(at) == _spans(project, "carol", first["document"])
    from qualcode.app.pages.code import _span_rows  # colours, labels and memos as a fresh build gives them

    carol = project.as_user(Actor("carol", "annotator", local=True))
    fresh = carol.document_codings_view(first["document"], ["carol"])
    assert component_data(at)["spans"] == [list(r) for r in _span_rows(carol.codebook, fresh, "carol", False)]


def test_apply_after_a_write_elsewhere_shows_both(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A coding stored by another session of the same annotator (or an import) between two
    Applies is not hidden by the carried-forward cache: the page reads the interview afresh."""
    at = app(name="carol", role="annotator").run()
    first = component_data(at)
    _apply(at, first, "Factories", "shortage")
    start = first["text"].index("visa rules")
    project.as_user(Actor("carol", "annotator", local=True)).add_coding(first["document"], start, start + 10, "visas")
    reads = _count_document_reads(monkeypatch)
    _apply(at, first, "Kazakhstan", "shortage")
    assert reads  # read afresh
    shown_now = _shown_spans(at)
    assert len(shown_now) == 3
    assert shown_now == _spans(project, "carol", first["document"])
