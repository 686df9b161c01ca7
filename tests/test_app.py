"""The Streamlit workbench through AppTest: every page for every role, coding without the
mouse, blind mode in team mode, hostile transcripts, readable errors, safe uploads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from qualcode.auth import hash_password
from qualcode.errors import InputFileError
from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN, Actor

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
      - id: border_checks
        label: Border checks
  - id: labour
    label: Labour
    color: "#e15759"
    codes:
      - id: shortage
        label: Labour shortage
      - id: recruitment
        label: Recruitment of workers through private employment agencies abroad
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
PASSWORDS = {
    "alice": "alice-password-1",
    "bob": "bob-password-22",
    "sam": "sam-password-333",
    "root": "root-password-4444",
}


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
    """Everything the page shows as text (markdown, text, captions, messages), markdown escapes removed."""
    parts = []
    for kind in ("markdown", "text", "caption", "error", "warning", "info", "success", "header", "subheader", "title"):
        parts += [str(el.value) for el in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def components(at: AppTest, name: str = "qualcode_transcript") -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == name]


def component_data(at: AppTest, name: str = "qualcode_transcript") -> dict:
    """The data a custom component received (its JavaScript does not run in AppTest)."""
    import json

    elements = components(at, name)
    assert elements, f"the component {name} is missing"
    data = json.loads(elements[0].proto.json)
    if name == "qualcode_transcript":  # spans compacted, spans and segments as JSON text
        from qualcode.app.components import transcript
        from qualcode.app.components.transcript import decoded

        # The highlights travel only when they change (the browser keeps them by key): when
        # left out, they are the ones this session encoded last, under the same key.
        sent = data.get("spans") is not None
        if not sent:
            _spans, styles, encoded, key = at.session_state[transcript.SPANS_JSON_KEY]
            assert key == data["spans_key"], "highlights left out that are not the ones encoded last"
            data = {**data, "styles": styles, "spans": encoded}
        data = decoded(data)
        data["spans_sent"] = sent
    return data


def picker(at: AppTest, key: str) -> dict:
    """The type-ahead picker that sets ``st.session_state[key]``, as the browser gets it:
    ``options`` as (value, label) pairs and the chosen ``value``."""
    import json

    for element in components(at, "qualcode_picker"):
        data = json.loads(element.proto.json)
        if data.get("key") == key:
            data["options"] = [tuple(pair) for pair in json.loads(data["options"])]
            return data
    raise AssertionError(f"no picker for {key!r} on the page")


def popovers(at: AppTest) -> list[str]:
    """The labels of the page's popovers as shown (markdown escapes removed): a filter's button
    says what it chose."""
    found: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "popover":
            found.append(re.sub(r"\\(.)", r"\1", proto.popover.label))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def choose(at: AppTest, key: str, value: str) -> AppTest:
    """Choose ``value`` in the picker ``key`` as a pick in the browser ends (the choice in the
    session, then a rerun; ``picker.chosen``, which the pick event runs, has its own tests)."""
    offered = [v for v, _label in picker(at, key)["options"]]
    assert value in offered, f"{value!r} is not offered by the picker {key!r}: {offered}"
    at.session_state[key] = value
    return at.run()


def stored(project: Project, annotator: str | None = None):
    frame = project.store.codings_frame(LOCAL_ADMIN)
    return frame if annotator is None else frame.loc[frame["annotator"] == annotator]


# --------------------------------------------------------------------------- pages × roles
PAGES = {
    "code": "annotator",
    "codebook": "annotator",
    "browser": "annotator",
    "reports": "annotator",
    "framework": "annotator",
    "agreement": "supervisor",
    "adjudicate": "supervisor",
    "interviews": "annotator",
    "suggestions": "annotator",
    "admin": "admin",
}
HEADINGS = {
    "codebook": "App test codebook",
    "browser": "Code browser",
    "reports": "Reports",
    "framework": "Framework matrix",
    "agreement": "Inter-coder agreement",
    "adjudicate": "Adjudicate disagreements",
    "interviews": "Interviews",
    "suggestions": "Suggestions: evaluation",
    "admin": "Admin",
}
RANK = {"annotator": 0, "supervisor": 1, "admin": 2}


@pytest.mark.parametrize("role", ["annotator", "supervisor", "admin"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_for_every_role(project: Project, page: str, role: str) -> None:
    add_codings(project)
    at = app(page, role=role).run()
    assert_no_exception(at)
    shown = texts(at)
    assert "Single-machine mode" in shown
    allowed = RANK[role] >= RANK[PAGES[page]]
    if page == "code" or not allowed:
        # Pages above the role are not in the navigation at all: the Code page opens instead.
        assert component_data(at)["document"] == "expert_A"
        for heading in HEADINGS.values():
            assert heading not in [h.value for h in at.header]
    else:
        assert HEADINGS[page] in shown


def test_local_mode_asks_for_a_name_first(project: Project) -> None:
    at = app(name=None).run()
    assert_no_exception(at)
    assert "Pick or type your annotator name" in texts(at)
    assert not components(at)


def test_local_mode_preselects_nobody_when_annotators_exist(project: Project) -> None:
    """A new browser session is asked who codes; it no longer gets the alphabetically first
    annotator (a supervisor coded as the student without noticing)."""
    add_codings(project)  # alice and bob have codings
    at = app(name=None).run()
    assert_no_exception(at)
    assert at.selectbox(key="qc_local_name_box").value is None
    assert set(at.selectbox(key="qc_local_name_box").options) >= {"alice", "bob"}
    assert "Who is coding?" in texts(at)
    assert not components(at)
    at.selectbox(key="qc_local_name_box").select("bob").run()
    assert_no_exception(at)
    assert component_data(at)["document"] == "expert_A"
    assert component_data(at, "qualcode_annotator_cookie")["value"] == "bob"  # remembered in this browser
    assert at.session_state["qc_actor"].name == "bob"


# --------------------------------------------------------------------------- Code page
def pick_segment(at: AppTest, containing: str, text: str, segments: list[list[int]]) -> tuple[int, int]:
    at_index = text.index(containing)
    index = next(i for i, (s, e) in enumerate(segments) if s <= at_index < e)
    if not at.toggle(key="qc_keyboard_select").value:
        at.toggle(key="qc_keyboard_select").set_value(True).run()
    at.selectbox(key="qc_segment_pick").select(index).run()
    return tuple(segments[index])  # type: ignore[return-value]


def test_apply_codes_without_the_mouse_stores_and_highlights(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    data = component_data(at)
    start, end = pick_segment(at, "Factories", data["text"], data["segments"])
    assert "Selected" in texts(at)
    assert component_data(at)["selection"] == [start, end]
    at.multiselect(key="qc_codes").select("shortage").select("visas").run()
    at.text_input(key="qc_memo").input("two codes at once").run()
    at.button(key="qc_apply").click().run()
    assert_no_exception(at)
    mine = stored(project, "carol")
    assert sorted(mine["code"]) == ["shortage", "visas"]
    assert set(mine["start"]) == {start} and set(mine["end"]) == {end}
    assert set(mine["memo"]) == {"two codes at once"} and set(mine["origin"]) == {"manual"}
    spans = component_data(at)["spans"]
    assert {(s[0], s[1], s[3]) for s in spans} == {(start, end, "Labour shortage"), (start, end, "Visa rules")}
    assert [s[2] for s in spans if s[3] == "Labour shortage"] == ["#e15759"]  # the theme's colour
    assert component_data(at)["selection"] is None
    assert "Coded 1 passage with *Labour shortage* and *Visa rules*." in texts(at)  # plain words, labels in italics
    # the recent code comes first in the type-ahead
    first = at.multiselect(key="qc_codes").options[0].replace("\u200b", "")
    assert first in ("Labour shortage  ·  in Labour", "Visa rules  ·  in Borders")


def test_apply_needs_a_selection_and_a_code(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    data = component_data(at)  # the text and segments travel in the first run of a session only
    at.button(key="qc_apply").click().run()
    assert "Select some text first" in texts(at)
    pick_segment(at, "Factories", data["text"], data["segments"])
    at.button(key="qc_apply").click().run()
    assert "Choose at least one code" in texts(at)
    assert stored(project, "carol").empty


def test_duplicate_coding_is_a_readable_error_and_nothing_half_saved(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    data = component_data(at)
    start, end = pick_segment(at, "Factories", data["text"], data["segments"])
    project.as_user(Actor("carol", "annotator", local=True)).add_coding("expert_A", start, end, "visas")
    at.multiselect(key="qc_codes").select("shortage").select("visas").run()
    at.button(key="qc_apply").click().run()
    assert_no_exception(at)
    assert "already coded this span" in "\n".join(e.value for e in at.error)
    assert list(stored(project, "carol")["code"]) == ["visas"]  # 'shortage' was not stored either


def test_undo_edit_and_delete(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    data = component_data(at)
    pick_segment(at, "Factories", data["text"], data["segments"])
    at.multiselect(key="qc_codes").select("shortage").run()
    at.button(key="qc_apply").click().run()
    assert len(stored(project, "carol")) == 1
    at.button(key="qc_undo").click().run()
    assert stored(project, "carol").empty
    assert "Undid add" in texts(at)
    # add again, then edit its memo and code, then delete it
    pick_segment(at, "Factories", data["text"], data["segments"])
    at.multiselect(key="qc_codes").select("shortage").run()
    at.button(key="qc_apply").click().run()
    coding_id = int(stored(project, "carol")["coding_id"].iloc[0])
    at.session_state["qc_panel"] = "Codings"  # the panel is drawn while chosen
    at.run()
    at.selectbox(key="qc_edit_coding").select(coding_id).run()
    at.text_area(key=f"qc_edit_memo_{coding_id}").input("edited memo").run()
    at.selectbox(key=f"qc_edit_code_{coding_id}").select("visas").run()
    at.button(key="qc_edit_save").click().run()
    assert_no_exception(at)
    row = stored(project, "carol").iloc[0]
    assert (row["memo"], row["code"]) == ("edited memo", "visas")
    at.button(key="qc_edit_delete").click().run()
    assert stored(project, "carol").empty


def test_new_code_on_the_fly(project: Project) -> None:
    at = app(role="supervisor", name="sam").run()
    assert "qc_new_code_label" not in [w.key for w in at.text_input]  # closed: not drawn
    at.session_state["qc_panel"] = "New code"  # the panel is drawn while chosen
    at.run()
    at.text_input(key="qc_new_code_label").input("Border queues").run()
    at.selectbox(key="qc_new_code_theme").select("borders").run()
    at.button(key="qc_create_code").click().run()
    assert_no_exception(at)
    assert "border_queues" in project.refresh_codebook().codes  # the app's edit, read from the file
    assert project.codebook.codes["border_queues"].theme == "borders"
    assert "border_queues" in at.multiselect(key="qc_codes").value  # ready to apply
    annotator = app(role="annotator", name="carol")
    annotator.session_state["qc_panel"] = "New code"
    assert "Only supervisors change the codebook" in texts(annotator.run())


def test_suggestions_accept_and_reject(project: Project) -> None:
    at = app(role="annotator", name="carol").run()
    choose(at, "qc_document", "expert_B")
    at.session_state["qc_panel"] = "Suggestions"  # the panel is drawn while chosen
    at.run()
    at.button(key="qc_suggest_patterns").click().run()
    assert_no_exception(at)
    assert "Transit country" in texts(at)
    at.button(key="qc_sg_accept_0").click().run()
    assert_no_exception(at)
    mine = stored(project, "carol")
    assert list(mine["origin"]) == ["suggestion-accepted"] and list(mine["code"]) == ["transit"]
    decisions = project.store.suggestion_decisions_frame(Actor("carol"))
    assert list(decisions["decision"]) == ["accepted"]
    assert "0 open suggestion(s)" in texts(at)


def test_participant_metadata_and_progress(project: Project) -> None:
    add_codings(project)
    at = app(role="annotator", name="alice")
    at.session_state["qc_panel"] = "Participant"  # the panel is drawn while chosen
    at.run()
    assert "**organisation\\_type**: company" in "\n".join(md.value for md in at.markdown)  # the Participant panel
    assert "2 of 3 sentences coded, 1 uncoded" in str(at.get("progress")[0].proto.text)


# --------------------------------------------------------------------------- hostile text
def test_hostile_transcript_is_passed_and_shown_as_text(project: Project) -> None:
    text = project.store.document_text("hostile")
    start = text.index("<script>")
    project.as_user(Actor("carol", "annotator", local=True)).add_coding("hostile", start, len(text) - 1, "visas")
    at = app(role="annotator", name="carol").run()
    choose(at, "qc_document", "hostile")
    data = component_data(at)
    assert "<script>alert('pwned')</script>" in data["text"]  # raw text; the component sets textContent
    pick_segment(at, "<script>", data["text"], data["segments"])
    assert any("<img src=x onerror" in t.value for t in at.text)  # st.text: never interpreted
    for md in at.markdown:  # markdown elements only ever get escaped text
        assert "<script>" not in md.value and "<img" not in md.value
    browser = app("browser", role="annotator", name="carol").run()
    cards = [md.value for md in browser.markdown]  # excerpt cards: escaped markdown, never raw HTML
    assert any("pwned" in md for md in cards) and not any("<script>" in md for md in cards)
    browser.toggle(key="qc_br_table_view").set_value(True).run()
    quotes = "\n".join(browser.dataframe[0].value["Excerpt"])  # the table holds the raw text
    assert "<script>alert('pwned')</script>" in quotes


def test_escape_md_neutralises_markdown_and_html() -> None:
    from qualcode.app.state import escape_md

    escaped = escape_md("<img src=x onerror=alert(1)> **bold** [a](http://x)\nline 2")
    import re

    assert re.search(r"(?<!\\)[<>*\[\]()]", escaped) is None  # every special character escaped
    assert escaped.endswith("  \nline 2")


# --------------------------------------------------------------------------- team mode
def team_project(project: Project, *, blind: bool) -> None:
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("sam", "supervisor"), ("root", "admin")):
        project.store.add_user(LOCAL_ADMIN, name, role, hash_password(PASSWORDS[name], n=2**10))
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.store.set_setting(LOCAL_ADMIN, "blind_mode", "true" if blind else "false")
    add_codings(project)


def signed_in(name: str, page: str = "code", password: str | None = None) -> AppTest:
    at = app(page, name=None).run()
    at.text_input(key="qc_sign_in_name").input(name)
    at.text_input(key="qc_sign_in_password").input(password or PASSWORDS[name])
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def test_team_mode_requires_sign_in(project: Project) -> None:
    team_project(project, blind=False)
    at = app(name=None).run()
    assert_no_exception(at)
    assert "Team mode: sign in" in texts(at)
    assert not components(at)
    wrong = signed_in("alice", password="not-the-password")
    assert "Unknown user name or wrong password" in "\n".join(e.value for e in wrong.error)
    assert not components(wrong)
    ok = signed_in("alice")
    assert_no_exception(ok)
    assert "Signed in as **alice** (annotator)" in texts(ok).replace("\\", "")
    assert component_data(ok)["document"] == "expert_A"


def test_blind_mode_annotator_sees_only_own_codings_supervisor_sees_all(project: Project) -> None:
    team_project(project, blind=True)
    alice = signed_in("alice")
    alice.toggle  # noqa: B018 - no "show others" toggle exists for her
    assert not [t for t in alice.toggle if t.key == "qc_show_others"]
    assert "Blind coding" in texts(alice)
    labels = {s[3] for s in component_data(alice)["spans"]}
    assert labels == {"Transit country", "Visa rules"}
    ids = {s[4] for s in component_data(alice)["spans"]}
    assert ids == set(stored(project, "alice")["coding_id"])
    browser = signed_in("alice", "browser")
    browser.toggle(key="qc_br_table_view").set_value(True).run()
    assert set(browser.dataframe[0].value["Coded by"]) == {"alice"}
    sam = signed_in("sam")
    sam.toggle(key="qc_show_others").set_value(True).run()
    spans = component_data(sam)["spans"]
    assert {s[4] for s in spans} == set(stored(project).loc[lambda f: f["document"] == "expert_A", "coding_id"])
    assert any(s[3].startswith("bob: ") for s in spans)
    browser = signed_in("sam", "browser")
    browser.toggle(key="qc_br_table_view").set_value(True).run()
    assert set(browser.dataframe[0].value["Coded by"]) == {"alice", "bob"}


def test_team_roles_choose_pages_and_store_enforces(project: Project) -> None:
    team_project(project, blind=False)
    alice = signed_in("alice", "agreement")  # not in her navigation: the Code page opens
    assert "Inter-coder agreement" not in texts(alice)
    sam = signed_in("sam", "agreement")
    assert "Inter-coder agreement" in texts(sam)
    assert "Unit: sentence" in texts(sam).replace("\\", "")
    assert "Admin" not in [h.value for h in sam.header]
    root = signed_in("root", "admin")
    assert_no_exception(root)
    root.toggle(key="qc_admin_blind_mode").set_value(True).run()
    assert project.store.blind_mode()


# --------------------------------------------------------------------------- other pages
def test_reports_excel_and_csv(project: Project) -> None:
    import io

    import openpyxl

    add_codings(project)
    at = app("reports", role="supervisor")
    at.session_state["qc_rep_tab"] = "Download"  # only the open tab runs
    at.run()
    assert_no_exception(at)
    at.button(key="qc_build_excel").click().run()
    assert_no_exception(at)
    assert at.get("download_button")
    workbook = openpyxl.load_workbook(io.BytesIO(project.xlsx_bytes(annotators=None, unit="sentence", bootstrap=200)))
    assert "Codings" in workbook.sheetnames


def test_reports_workbook_goes_through_the_export_role_check(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's workbook is Project.xlsx_bytes, so it is refused whenever 'export the whole
    project' is (before, the page built it from the analysis bundle without any check)."""
    from qualcode.errors import PermissionDenied

    add_codings(project)
    checked: list[str] = []
    real_require = Project.require

    def require(self: Project, role: str, what: str) -> None:
        checked.append(what)
        if what == "export the whole project":
            raise PermissionDenied(f"User '{self.actor.name}' may not {what} (refused by the test).")
        real_require(self, role, what)

    monkeypatch.setattr(Project, "require", require)
    at = app("reports", role="supervisor")
    at.session_state["qc_rep_tab"] = "Download"  # only the open tab runs
    at.run()
    at.button(key="qc_build_excel").click().run()
    assert_no_exception(at)
    assert "export the whole project" in checked
    assert "may not export the whole project" in texts(at)
    assert "qc_download_excel" not in [button.key for button in at.get("download_button")]


def test_codebook_page_edits_land_in_the_file(project: Project) -> None:
    at = app("codebook", role="supervisor")
    at.session_state["qc_cb_table_open"] = True  # the table runs only while its expander is open
    at.run()
    assert "Kazakhstan as a corridor" in "\n".join(str(df.value.to_dict()) for df in at.dataframe)
    at.text_input(key="qc_cb_filter").input("corridor").run()
    assert len(at.dataframe[0].value) == 1
    annotator = app("codebook", role="annotator").run()
    assert "Supervisors edit the codebook" in texts(annotator)


def test_adjudicate_page_lists_disagreements(project: Project) -> None:
    add_codings(project)
    at = app("adjudicate", role="supervisor").run()
    assert_no_exception(at)
    # bob coded expert_B, alice did not: only expert_A (both coded it) is compared (issue 17)
    assert "0 of 1 decided" in texts(at) and "expert_B (coded only by bob)" in texts(at)
    at.button(key="qc_adj_save").click().run()
    assert_no_exception(at)
    consensus = stored(project, "consensus")
    assert list(consensus["code"]) == ["transit"]  # the unit both coders coded alike


# --------------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    "name, expected",
    [
        ("interview_A.md", "interview_A.md"),
        ("../../etc/evil.md", "evil.md"),
        ("C:\\Users\\x\\Int A?.docx", "Int A_.docx"),
        ("..hidden..srt", "hidden.srt"),
        ("Интервью 1.txt", "Интервью 1.txt"),
    ],
)
def test_safe_file_name(name: str, expected: str) -> None:
    from qualcode.app.pages.interviews import safe_file_name

    assert safe_file_name(name) == expected


@pytest.mark.parametrize("name", ["", "...", "/", "notes.exe", "a/b/.md", ".bashrc"])
def test_unusable_file_names_are_refused(name: str) -> None:
    from qualcode.app.pages.interviews import safe_file_name

    with pytest.raises(InputFileError):
        safe_file_name(name)


def test_upload_refuses_overwrite_and_rolls_back_bad_imports(project: Project) -> None:
    from qualcode.app.pages.interviews import save_and_import

    supervisor = project.as_user(Actor("sam", "supervisor", local=True))
    original = (project.interviews_dir / "expert_A.md").read_bytes()
    with pytest.raises(InputFileError, match="already exists"):
        save_and_import(supervisor, [("expert_A.md", b"new text")], overwrite=False)
    assert (project.interviews_dir / "expert_A.md").read_bytes() == original
    result = save_and_import(supervisor, [("../new one.md", INTERVIEW_B.replace("B", "C").encode())], overwrite=False)
    assert [r["document"] for r in result] == ["new one"]
    assert (project.interviews_dir / "new one.md").is_file() and not (project.root / "new one.md").exists()
    with pytest.raises(InputFileError):
        save_and_import(supervisor, [("broken.docx", b"not a zip file")], overwrite=False)
    assert not (project.interviews_dir / "broken.docx").exists()
    from qualcode.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        save_and_import(project.as_user(Actor("carol", "annotator")), [("x.md", b"x")], overwrite=False)


def test_interviews_page_shows_progress_per_interview(project: Project) -> None:
    add_codings(project)
    at = app("interviews", role="annotator", name="alice").run()
    assert_no_exception(at)
    progress = next(df.value for df in at.dataframe if "Coded" in df.value.columns)  # human column names
    row = progress.set_index("Interview").loc["expert_A"]
    assert (row["Sentences"], row["Coded"], row["Uncoded"]) == (3, 2, 1)
    assert "Supervisors add interviews" in texts(at)


def test_codebook_form_adds_a_code_to_the_file(project: Project) -> None:
    at = app("codebook", role="supervisor")
    at.session_state["qc_cb_more"] = True  # "More changes" open: its forms run only while open
    at.run()
    form_inputs = [t for t in at.text_input if t.label == "Label"]
    form_inputs[0].input("Queue at the border")
    next(t for t in at.text_area if t.label == "Description").input("Waiting at crossings.")
    next(b for b in at.button if b.label == "Add").click().run()
    assert_no_exception(at)
    assert "queue_at_the_border" in project.refresh_codebook().codes  # the app's edit, read from the file
    assert "Queue at the border" in (project.root / "codebook.yaml").read_text(encoding="utf-8")
    assert "Added code" in texts(at)


def test_qualcode_app_script_runs_directly(project: Project) -> None:
    """``qualcode app`` runs qualcode/app/entry/workbench.py as a script (not as a package module)."""
    from qualcode.app.server import MAIN_SCRIPT

    assert MAIN_SCRIPT == REPO / "qualcode" / "app" / "entry" / "workbench.py"
    assert not (MAIN_SCRIPT.parent / "pages").exists()  # else Streamlit makes it a version-1 multi-page app
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=TIMEOUT)
    at.session_state["qc_local_name"] = "alice"
    at.run()
    assert_no_exception(at)
    assert component_data(at)["document"] == "expert_A"


def test_sign_out_returns_to_the_sign_in_form(project: Project) -> None:
    team_project(project, blind=False)
    from qualcode.auth import resume_session

    at = signed_in("alice")
    token = at.session_state["qc_session_token"]
    assert resume_session(project.store, token) is not None
    # The token never goes to the browser's JavaScript (the server sets an HttpOnly cookie: test_browser_security.py).
    assert token not in str([e.proto for e in at.get("bidi_component")])
    at.button(key="qc_sign_out").click().run()
    assert_no_exception(at)
    assert "Team mode: sign in" in texts(at)
    assert not components(at)
    assert resume_session(project.store, token) is None  # ended in the database


def test_oidc_button_only_when_auth_is_configured(project: Project) -> None:
    team_project(project, blind=False)
    plain = app(name=None).run()
    assert not [b for b in plain.button if b.label == "Sign in with your organisation"]
    configured = app(name=None)
    configured.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "qualcode",
        "client_secret": "secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
    configured.run()
    assert_no_exception(configured)
    assert [b for b in configured.button if b.label == "Sign in with your organisation"]


def test_admin_adds_a_user_with_a_password(project: Project) -> None:
    from qualcode.auth import sign_in

    at = app("admin", role="admin").run()
    next(t for t in at.text_input if t.label == "User name").input("dana")
    next(s for s in at.selectbox if s.label == "Role").select("supervisor")
    next(t for t in at.text_input if t.label.startswith("Password")).input("dana-password-1")
    next(b for b in at.button if b.label == "Save user").click().run()
    assert_no_exception(at)
    assert sign_in(project.store, "dana", "dana-password-1").role == "supervisor"
    short = app("admin", role="admin").run()
    next(t for t in short.text_input if t.label == "User name").input("eve")
    next(t for t in short.text_input if t.label.startswith("Password")).input("short")
    next(b for b in short.button if b.label == "Save user").click().run()
    assert "shorter than" in "\n".join(e.value for e in short.error)
    assert project.store.get_user("eve") is None


# --------------------------------------------------------------------------- broken transcripts
def test_impossible_date_in_one_transcript_leaves_the_app_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``date: 2024-02-30`` in one file: the app opens, the file is listed as not imported with its
    line and field, and a re-scan after the fix imports it."""
    root = tmp_path / "proj"
    make_project(root).close()
    broken = root / "interviews" / "expert_C.md"
    broken.write_text(INTERVIEW_B.replace("participant: B", "participant: C\ndate: 2024-02-30"), encoding="utf-8")
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = app().run()
    assert_no_exception(at)
    assert component_data(at)["document"] == "expert_A"  # the Code page works
    assert "could not be imported" in texts(at)
    page = app("interviews").run()
    assert_no_exception(page)
    refused = next(df.value for df in page.dataframe if "Problem" in df.value.columns)
    assert list(refused["File"]) == ["interviews/expert_C.md"]
    assert "line 3, field 'date'" in refused["Problem"][0] and "not a real date" in refused["Problem"][0]
    broken.write_text(INTERVIEW_B.replace("participant: B", "participant: C\ndate: 2024-02-29"), encoding="utf-8")
    page.button(key="qc_rescan").click().run()
    assert_no_exception(page)
    assert not [df for df in page.dataframe if "Problem" in df.value.columns]
    assert "documents: 1 added" in texts(page)
    project = Project.open(root)
    assert "expert_C" in project.store.document_names()
    project.close()


def test_interviews_page_removes_an_interview_and_undo_restores_it(project: Project) -> None:
    add_codings(project)
    at = app("interviews", role="supervisor", name="sam")
    at.session_state["qc_int_remove_open"] = True  # the panel runs only while its expander is open
    at.run()
    at.selectbox(key="qc_int_remove_name").select("expert_B")
    at.checkbox(key="qc_int_remove_confirm").check().run()
    at.button(key="qc_int_remove").click().run()
    assert_no_exception(at)
    assert "Removed the interview expert_B: 1 coding(s) archived" in texts(at)
    assert project.store.document_names() == ["expert_A", "hostile"]
    assert "expert_B" not in set(stored(project)["document"])
    at.button(key="qc_int_remove_undo").click().run()
    assert_no_exception(at)
    assert "Restored the interview expert_B with 1 coding(s)" in texts(at)
    assert "expert_B" in project.store.document_names()
    (project.interviews_dir / "expert_A.md").unlink()
    at = app("interviews", role="annotator", name="alice").run()
    missing = next(df.value for df in at.dataframe if "Missing file" in df.value.columns)
    assert list(missing["Interview"]) == ["expert_A"] and list(missing["Codings"]) == [3]
    assert "disappeared from the project folder" in texts(at)
    assert not [b for b in at.button if b.key == "qc_int_remove"]  # annotators do not remove


def test_guard_sees_a_write_into_the_repository_database(tmp_path: Path) -> None:
    """The conftest guard (no test may touch the repository's .qualcode/) detects a new or changed file."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import repository_state_snapshot

    folder = tmp_path / ".qualcode"
    assert repository_state_snapshot(folder) == {}
    folder.mkdir()
    (folder / "qualcode.db").write_bytes(b"x")
    first = repository_state_snapshot(folder)
    assert set(first) == {"qualcode.db"}
    (folder / "qualcode.db").write_bytes(b"xy")
    assert repository_state_snapshot(folder) != first
    import os

    assert os.environ.get("QUALCODE_PROJECT"), "tests run with a temporary default project"
