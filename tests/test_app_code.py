"""The Code page's own features through AppTest: the find box, the coding keys' legend, memo
marks on coded spans, the interview picker's participant labels, opening an interview at a
span (``?doc=&start=&end=``), plain-word messages, and the transcript's text sent once per
session.  The keys themselves (JavaScript) are tested in tests/test_browser.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import app, assert_no_exception, choose, component_data, make_project, pick_segment, picker, texts

from qualcode.app.pages.code import recent_codes, search_hits
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


def test_search_hits_are_case_insensitive_code_points() -> None:
    text = "🙂 Visa rules. New visa rules."
    assert search_hits(text, "visa") == [(2, 6), (18, 22)]  # the emoji is one code point
    assert search_hits(text, "  ") == []
    assert search_hits(text, "(") == []  # not a pattern
    assert len(search_hits("a" * 50, "a", limit=7)) == 7


def test_find_box_counts_hits_and_steps_through_them(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    at.text_input(key="qc_search").input("a").run()
    assert_no_exception(at)
    data = component_data(at)
    text = project.store.document_text("expert_A")
    expected = search_hits(text, "a")
    assert data["search"]["hits"] == [list(h) for h in expected] and len(expected) >= 2
    assert data["search"]["focus"] == 0
    assert f"1 of {len(expected)} matches" in texts(at)
    assert [text[s:e].casefold() for s, e in expected] == ["a"] * len(expected)
    at.button(key="qc_search_next").click().run()
    assert component_data(at)["search"]["focus"] == 1
    assert f"2 of {len(expected)} matches" in texts(at)
    at.button(key="qc_search_prev").click().run()
    at.button(key="qc_search_prev").click().run()  # wraps round to the last hit
    assert component_data(at)["search"]["focus"] == len(expected) - 1
    at.text_input(key="qc_search").input("no such words").run()
    assert "No matches" in texts(at)
    assert component_data(at)["search"]["hits"] == []


def test_messages_in_plain_words_and_the_keys_legend(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    assert "apply them again" in texts(at)  # the legend before any code was applied
    data = component_data(at)
    pick_segment(at, "Factories", data["text"], data["segments"])
    at.multiselect(key="qc_codes").select("shortage").run()
    at.button(key="qc_apply").click().run()
    assert "Coded 1 passage with *Labour shortage*." in texts(at)
    legend = [c.value for c in at.caption if "Keys (with text selected)" in c.value]
    assert legend and "**1** Labour shortage" in legend[0] and "**U** undo" in legend[0]
    assert at.session_state["qc_shortcut_codes"][0] == "shortage"


def test_recent_codes_put_this_sessions_codes_first() -> None:
    import pandas as pd
    from test_app import CODEBOOK

    from qualcode.codebook import parse_codebook

    codebook = parse_codebook(CODEBOOK)
    mine = pd.DataFrame({"code": ["transit", "visas", "transit", "gone"]})
    assert recent_codes(codebook, ["shortage"], mine) == ["shortage", "transit", "visas"]
    assert recent_codes(codebook, [], mine.iloc[0:0]) == []


def test_memo_is_sent_with_its_span(project: Project) -> None:
    text = project.store.document_text("expert_A")
    s = text.index("Factories")
    carol = project.as_user(Actor("carol", "annotator", local=True))
    carol.add_coding("expert_A", s, s + 9, "shortage", memo="Ask about seasons")
    carol.add_coding("expert_A", 0, 10, "transit")
    at = app(role="annotator", name="carol").run()
    spans = {tuple(x[:2]): x for x in component_data(at)["spans"]}
    assert spans[(s, s + 9)][5] == "Ask about seasons"
    assert spans[(0, 10)][5] == ""


def test_interview_picker_shows_participant_labels(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    box = picker(at, "qc_document")
    assert box["label"] == "Interview" and box["value"] == "expert_A"
    assert box["options"][:2] == [("expert_A", "Expert (A) · expert_A"), ("expert_B", "Expert (B) · expert_B")]
    choose(at, "qc_document", "expert_B")
    assert component_data(at)["document"] == "expert_B"
    assert picker(at, "qc_document")["value"] == "expert_B"


@pytest.mark.parametrize(
    ("event", "current", "changed", "after"),
    [
        ({"pick": "b"}, "a", True, "b"),  # a pick in the browser chooses that option
        ({"pick": "a"}, "a", False, "a"),  # the current one again: nothing to do
        ({"pick": "zzz"}, "a", False, "a"),  # not offered (a stale page): ignored
        ({"pick": None}, "a", False, "a"),
        (None, "a", False, "a"),  # no event at all
        ("not a mapping", "a", False, "a"),
    ],
)
def test_picker_takes_a_pick_only_of_an_offered_option(event: object, current: str, changed: bool, after: str) -> None:
    from qualcode.app.components.picker import chosen, element_key

    calls: list[str] = []
    session: dict[str, object] = {"doc": current, element_key("doc"): event}
    assert chosen(session, "doc", ["a", "b"], lambda: calls.append("changed")) is changed
    assert session["doc"] == after and calls == (["changed"] if changed else [])


def test_open_in_context_from_the_address_selects_and_reveals_the_span(project: Project) -> None:
    text = project.store.document_text("expert_B")
    s = text.index("Employers")
    at = app(role="annotator", name="carol")
    at.query_params["document"] = "expert_B"
    at.query_params["start"] = str(s)
    at.query_params["end"] = str(s + 9)
    at.run()
    assert_no_exception(at)
    data = component_data(at)
    assert data["document"] == "expert_B"
    assert data["selection"] == [s, s + 9] and data["reveal"] == [s, s + 9]
    assert "Selected" in texts(at)
    at.run()  # used once: the next run does not jump back
    assert "document" not in at.query_params


def test_open_in_context_from_session_state(project: Project) -> None:
    at = app(role="annotator", name="carol")
    at.session_state["qc_open_in_context"] = {"document": "expert_B", "start": 0, "end": 8}
    at.run()
    data = component_data(at)
    assert (data["document"], data["selection"]) == ("expert_B", [0, 8])


def test_text_and_segments_are_sent_once_per_session(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    first = component_data(at)
    assert first["text"] and first["segments"]
    at.text_input(key="qc_search").input("visa").run()  # any rerun of the page
    again = component_data(at)
    assert again["text"] is None and again["segments"] is None
    assert again["text_key"] == first["text_key"]
    at.selectbox(key="qc_unit").select("paragraph").run()  # other segments: sent again, text not
    data = component_data(at)
    assert data["text"] is None and data["segments"] and data["segments_key"] != first["segments_key"]
    choose(at, "qc_document", "expert_B")  # another interview: its text is sent
    assert component_data(at)["text"] == project.store.document_text("expert_B")
    choose(at, "qc_document", "expert_A")  # back: the browser still holds that text
    assert component_data(at)["text"] is None and component_data(at)["document"] == "expert_A"
    fresh = app(role="annotator", name="carol").run()  # a new session (a reload) gets everything
    assert component_data(fresh)["text"] == project.store.document_text("expert_A")


def test_suggestions_evaluation_reports_progress_per_participant(project: Project) -> None:
    from test_app import add_codings

    add_codings(project)
    seen: list[tuple[int, int]] = []
    from qualcode.assist import evaluate_tables

    evaluate_tables(project.analysis_data(), unit="sentence", progress=lambda d, n: seen.append((d, n)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] >= 2
    at = app("suggestions", role="annotator", name="alice").run()
    at.button(key="qc_eval_run").click().run()
    assert_no_exception(at)
    assert "Summary" in [h.value for h in at.subheader]


@pytest.mark.parametrize("show_others", [False, True])
def test_blind_mode_still_hides_other_coders_on_the_fast_read(project: Project, show_others: bool) -> None:
    from test_app import add_codings

    from qualcode.store import LOCAL_ADMIN

    add_codings(project)
    project.store.set_setting(LOCAL_ADMIN, "blind_mode", "true")
    alice = project.as_user(Actor("alice", "annotator", local=True))
    frame = alice.document_codings_view("expert_A", None if show_others else ["alice"])
    assert set(frame["annotator"]) == {"alice"}
    sam = project.as_user(Actor("sam", "supervisor", local=True))
    both = sam.document_codings_view("expert_A", None if show_others else ["alice", "bob"])
    import pandas as pd

    pd.testing.assert_frame_equal(
        both, sam.document_codings("expert_A", None if show_others else ["alice", "bob"]).reset_index(drop=True)
    )
    assert set(both["annotator"]) == {"alice", "bob"}


def test_uploads_and_rescans_report_progress(project: Project) -> None:
    seen: list[tuple[str, int, int]] = []
    files = [(f"up_{i}.md", f"---\nparticipant: U{i}\n---\nUploaded interview {i}.\n".encode()) for i in range(3)]
    results = project.add_interview_files(files, progress=lambda *a: seen.append(a))
    assert [r["status"] for r in results] == ["added"] * 3
    assert ("Saving files", 3, 3) in seen and seen[-1][1] == seen[-1][2]
    at = app("interviews", role="supervisor", name="sam").run()
    at.button(key="qc_rescan").click().run()
    assert_no_exception(at)


def test_a_browser_that_lost_the_text_asks_and_gets_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from qualcode.app.components import transcript

    fake: dict = {transcript.SENT_KEY: {"text": ["doc:sha"], "segments": ["doc:sha:sentence"], "spans": ["ab12"]}}
    monkeypatch.setattr(st, "session_state", fake)
    fake["qc_transcript"] = {"need": {"text": True, "segments": False, "spans": False}}
    transcript._on_need("qc_transcript")
    assert fake[transcript.SENT_KEY] == {"text": [], "segments": ["doc:sha:sentence"], "spans": ["ab12"]}
    fake["qc_transcript"] = {"need": {"text": False, "segments": False, "spans": True}}
    transcript._on_need("qc_transcript")  # the highlights go again
    assert fake[transcript.SENT_KEY] == {"text": [], "segments": ["doc:sha:sentence"], "spans": []}
    fake["qc_transcript"] = {"need": None}
    transcript._on_need("qc_transcript")
    assert fake[transcript.SENT_KEY] == {"text": [], "segments": [], "spans": []}
    fake["qc_transcript"] = {"key": {"key": "3", "n": 1}}
    assert transcript.key_event("qc_transcript") == "3"
    fake["qc_transcript"] = {"key": {"key": "x", "n": 2}}
    assert transcript.key_event("qc_transcript") is None


def test_a_coding_from_another_session_shows_on_the_next_rerun(project: Project) -> None:
    """The page keeps the interview's codings per data version: a write elsewhere changes it."""
    at = app(role="annotator", name="carol").run()
    assert component_data(at)["spans"] == []
    at.text_input(key="qc_search").input("visa").run()  # a rerun with nothing changed reads nothing new
    carol = project.as_user(Actor("carol", "annotator", local=True))
    carol.add_coding("expert_A", 0, 10, "transit")  # another browser session of carol's
    at.text_input(key="qc_search").input("").run()
    assert [s[:2] for s in component_data(at)["spans"]] == [[0, 10]]
    choose(at, "qc_document", "expert_B")
    carol.delete_coding(int(project.store.codings_frame(carol.actor)["coding_id"].iloc[0]))
    choose(at, "qc_document", "expert_A")  # back to an interview read before
    assert component_data(at)["spans"] == []


def test_panels_are_one_control_and_only_the_chosen_one_is_drawn(project: Project) -> None:
    """The Codings, Participant, Suggestions and New code panels are one pills control: none is
    drawn until chosen, then only that one (each closed expander was three more blocks that
    the browser drew again on every Apply)."""
    at = app(role="supervisor", name="carol").run()
    panels = at.pills(key="qc_panel")
    assert panels.options == ["Codings", "Participant", "Suggestions", "New code"] and panels.value is None
    assert not at.expander
    assert "qc_new_code_label" not in [t.key for t in at.text_input]
    at.pills(key="qc_panel").set_value("New code").run()
    assert_no_exception(at)
    assert "qc_new_code_label" in [t.key for t in at.text_input]
    assert "qc_edit_coding" not in [s.key for s in at.selectbox]
    at.pills(key="qc_panel").set_value("Codings").run()
    assert "qc_new_code_label" not in [t.key for t in at.text_input]
    assert "No codings here yet." in texts(at)
    at.pills(key="qc_panel").set_value(None).run()
    assert "No codings here yet." not in texts(at)


def test_the_highlights_are_encoded_and_sent_once_while_they_do_not_change(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun that changes no highlight (a search, a selection, coming back) neither encodes
    nor sends them again (the browser keeps them by ``spans_key``); a new coding does both.  A
    browser that lost them asks for them: test_a_browser_that_lost_the_text_asks_and_gets_it_again."""
    from qualcode.app.components import transcript

    calls: list[int] = []
    original = transcript.compact_spans

    def counting(spans):  # type: ignore[no-untyped-def]
        calls.append(len(spans))
        return original(spans)

    monkeypatch.setattr(transcript, "compact_spans", counting)
    carol = project.as_user(Actor("carol", "annotator", local=True))
    carol.add_coding("expert_A", 0, 10, "transit")
    at = app(role="annotator", name="carol").run()
    first = component_data(at)
    assert first["spans_sent"] and [s[:2] for s in first["spans"]] == [[0, 10]]
    at.text_input(key="qc_search").input("visa").run()
    at.text_input(key="qc_search").input("").run()
    again = component_data(at)
    assert calls == [1] and not again["spans_sent"] and again["spans_key"] == first["spans_key"]
    carol.add_coding("expert_A", 20, 30, "transit")
    at.text_input(key="qc_search").input("visa").run()
    changed = component_data(at)
    assert calls == [1, 2] and changed["spans_sent"] and changed["spans_key"] != first["spans_key"]
    assert [s[:2] for s in changed["spans"]] == [[0, 10], [20, 30]]
