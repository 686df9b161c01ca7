"""The workbench shows the content (issue #17), through AppTest: the Code browser's excerpts and
"Open in context", the Codebook page's tree, cards and in-place edits, tables with human column
names, the charts' colours and labels.

Data: the app tests' small labelled project (tests/test_app.py: make_project, add_codings)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from test_app import add_codings, app, assert_no_exception, component_data, make_project, picker, popovers, texts

from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN, Actor


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = make_project(root, hostile=True)
    add_codings(p)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def codings(project: Project):  # type: ignore[no-untyped-def]
    return project.store.codings_frame(LOCAL_ADMIN)


def cards(at: AppTest) -> list[str]:
    return sorted(
        k.removeprefix("qc_br_open_") for k in (b.key for b in at.button) if k and k.startswith("qc_br_open_")
    )


# --------------------------------------------------------------------------- Code browser
def test_browser_lists_a_themes_excerpts_in_full_with_path_participant_coder_and_memo(project: Project) -> None:
    frame = codings(project)
    memo_id = int(frame.loc[frame["code"] == "shortage", "coding_id"].iloc[0])
    project.update_coding(memo_id, memo="Employers, not workers, say so.")
    at = app("browser").run()
    assert_no_exception(at)
    spans = frame.drop_duplicates(["document", "start", "end", "code"])
    assert len(cards(at)) == len(spans)  # all codes by default; one card per excerpt and code
    at.selectbox(key="qc_br_node").select("borders").run()
    shown = texts(at)
    borders = frame.loc[frame["code"].isin(["transit", "visas", "border_checks"])]
    first = borders.sort_values("coding_id").drop_duplicates(["document", "start", "end", "code"])
    assert cards(at) == sorted(str(i) for i in first["coding_id"])
    assert "Borders › Transit country" in shown and "Borders › Visa rules" in shown
    assert "Expert (A)" in shown and "Coded by alice, bob" in shown  # the same span, coded alike by two
    assert "Kazakhstan is a transit country for many people." in shown  # the whole excerpt
    assert "2 excerpts (3 codings) from 1 participant" in shown  # alice and bob coded one span alike
    at.selectbox(key="qc_br_node").select("shortage").run()
    assert "Employers, not workers, say so." in texts(at)
    # The picker shows the tree: themes marked and their codes indented below them.
    options = at.selectbox(key="qc_br_node").options
    assert options.index("▸ Borders  ·  2 excerpts") < options.index("\u2003\u2003Transit country  ·  1 excerpt")


def test_browser_participant_filter_sits_in_a_popover_that_names_the_choice(project: Project) -> None:
    """The Participants filter (a thousand on a large project) is in a popover, laid out in the
    browser only when opened; its button says who is chosen, and the excerpts keep to them."""
    frame = codings(project)
    at = app("browser").run()
    assert "Participants: all" in popovers(at)
    at.multiselect(key="qc_br_participants").select("A").run()
    assert_no_exception(at)
    assert "Participants: Expert (A)" in popovers(at)
    of = dict(zip(frame["coding_id"].astype(str), frame["participant"]))
    assert cards(at) and {of[c] for c in cards(at)} == {"A"}
    assert {of[c] for c in cards(app("browser").run())} > {"A"}  # without the filter: others too


def test_browser_shows_a_hostile_transcript_as_text(project: Project) -> None:
    text = project.store.document_text("hostile") or ""
    project.as_user(Actor("alice", "annotator", local=True)).add_coding("hostile", 0, len(text) - 1, "visas")
    at = app("browser").run()
    at.selectbox(key="qc_br_node").select("visas").run()
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in shown and "<script>" not in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown and "<img" not in shown


def test_browser_table_view_has_human_columns_and_technical_ones_on_request(project: Project) -> None:
    at = app("browser").run()
    at.toggle(key="qc_br_table_view").set_value(True).run()
    columns = list(at.dataframe[0].value.columns)
    assert columns == ["Participant", "Code", "Excerpt", "Coded by", "Memo"]
    at.toggle(key="qc_br_technical").set_value(True).run()
    columns = list(at.dataframe[0].value.columns)
    assert "Coding id" in columns and "Interview file" in columns
    assert not [c for c in columns if "_" in c]


def test_open_in_context_lands_on_the_code_page_at_the_span(project: Project) -> None:
    frame = codings(project)
    row = frame.loc[(frame["code"] == "shortage")].iloc[0]  # bob's coding in expert_B
    at = app("browser", name="bob", role="annotator").run()
    at.selectbox(key="qc_br_node").select("shortage").run()
    at.button(key=f"qc_br_open_{int(row['coding_id'])}").click().run()
    assert_no_exception(at)
    assert picker(at, "qc_document")["value"] == "expert_B"
    data = component_data(at)
    assert data["document"] == "expert_B" and data["selection"] == [int(row["start"]), int(row["end"])]
    assert at.session_state["qc_edit_coding"] == int(row["coding_id"])
    assert at.selectbox(key="qc_edit_coding").value == int(row["coding_id"])  # the Codings panel opened on it
    scroll = [e for e in at.get("bidi_component") if e.proto.component_name == "qualcode_open_in_context"]
    assert json.loads(scroll[0].proto.json) == {
        "document": "expert_B",
        "start": int(row["start"]),
        "end": int(row["end"]),
    }
    at.run()  # the request is used once: a later rerun does not move the user again
    assert not [e for e in at.get("bidi_component") if e.proto.component_name == "qualcode_open_in_context"]


def test_open_in_context_from_a_link(project: Project) -> None:
    at = app("code")
    at.query_params["document"] = "expert_A"
    at.query_params["start"] = "0"
    at.query_params["end"] = "10"
    at.run()
    assert_no_exception(at)
    assert picker(at, "qc_document")["value"] == "expert_A"
    assert component_data(at)["selection"] == [0, 10]


# --------------------------------------------------------------------------- Codebook page
def test_codebook_tree_shows_counts_and_a_codes_card_with_excerpts(project: Project) -> None:
    at = app("codebook", role="annotator").run()
    assert_no_exception(at)
    labels = [e.label for e in at.expander]
    borders = next(label for label in labels if label.startswith("**Borders**"))
    assert "3 codes · 3 codings · 2 excerpts · 1 participant" in borders  # alice and bob coded one span alike
    labour = next(label for label in labels if label.startswith("**Labour**"))
    assert "2 codes · 1 coding · 1 excerpt · 1 participant" in labour
    at.button(key="qc_cb_node_transit").click().run()
    shown = texts(at)
    assert "Kazakhstan as a corridor." in shown and "Mentions of passing through." in shown
    assert "2 codings · 1 excerpt · 1 participant" in shown.replace("*", "")
    assert "Kazakhstan is a transit country for many people." in shown and "Expert (A)" in shown
    assert not [f for f in at.text_area if f.key and f.key.startswith("qc_cb_edit_")]  # annotators do not edit


def test_codebook_card_edits_the_code_in_place_as_one_undoable_change(project: Project) -> None:
    before = project.codebook_path.read_bytes()
    at = app("codebook", role="supervisor").run()
    at.button(key="qc_cb_node_visas").click().run()
    at.text_input(key="qc_cb_edit_label_visas").input("Visa regime")
    at.text_area(key="qc_cb_edit_description_visas").input("Rules for entering and staying.")
    at.text_area(key="qc_cb_edit_examples_visas").input("Expert (A): 'The visa rules changed in 2022.'")
    next(b for b in at.button if b.label == "Save").click().run()
    assert_no_exception(at)
    assert "Saved 'Visa regime'" in texts(at)
    code = project.refresh_codebook().codes["visas"]
    assert code.label == "Visa regime" and code.description == "Rules for entering and staying."
    assert code.examples == ("Expert (A): 'The visa rules changed in 2022.'",) and "Visa rules" in code.aliases
    # A theme's card sets its colour (the Code page's highlights follow).
    at.button(key="qc_cb_node_labour").click().run()
    at.color_picker(key="qc_cb_edit_color_labour").pick("#123456")
    next(b for b in at.button if b.label == "Save").click().run()
    assert project.refresh_codebook().themes["labour"].color == "#123456"
    code_page = app("code").run()
    code_page.button(key="qc_undo").click().run()
    code_page.button(key="qc_undo").click().run()
    assert project.codebook_path.read_bytes() == before


def test_a_theme_card_adds_a_code_under_the_theme(project: Project) -> None:
    at = app("codebook", role="supervisor").run()
    at.button(key="qc_cb_node_labour").click().run()
    at.text_input(key="qc_cb_add_here_label_labour").input("Seasonal work")
    at.text_area(key="qc_cb_add_here_description_labour").input("Work for part of the year.")
    next(b for b in at.button if b.label == "Add under Labour").click().run()
    assert_no_exception(at)
    code = project.refresh_codebook().codes["seasonal_work"]
    assert code.theme == "labour" and code.description == "Work for part of the year."


def test_codebook_filter_shows_matching_codes_and_their_themes(project: Project) -> None:
    at = app("codebook").run()
    at.text_input(key="qc_cb_filter").input("shortage").run()
    node_buttons = {b.key for b in at.button if b.key and b.key.startswith("qc_cb_node_")}
    assert "qc_cb_node_shortage" in node_buttons and "qc_cb_node_transit" not in node_buttons


def test_theme_pickers_show_the_hierarchy(project: Project) -> None:
    at = app("codebook")
    at.session_state["qc_cb_more"] = True  # "More changes" open: its forms run only while open
    at.run()
    parent = at.selectbox(key="qc_cb_add_parent")
    assert parent.options[0] == "(top level)" and "Borders" in parent.options
    at.button(key="qc_cb_node_transit").click().run()
    move_to = at.selectbox(key="qc_cb_move_to_transit")
    assert move_to.options[:2] == ["(top level)", "Borders"]


# --------------------------------------------------------------------------- tables and charts
TECHNICAL_NAMES = {"doc_id", "percent_agreement", "theme_id", "experts_n", "code_list", "coding_id", "document"}


@pytest.mark.parametrize("page", ["reports", "interviews", "codebook", "browser"])
def test_tables_have_human_column_names(project: Project, page: str) -> None:
    from qualcode.app.pages.reports import TAB_KEY, TABS

    at = app(page).run()
    assert_no_exception(at)
    frames = list(at.dataframe)
    if page == "reports":  # only the open tab runs: open each in turn
        for tab in TABS[1:]:
            at.session_state[TAB_KEY] = tab
            at.run()
            assert_no_exception(at)
            frames += list(at.dataframe)
        assert len(frames) >= 5
    for frame in frames:
        columns = {str(c) for c in frame.value.columns}
        assert not columns & TECHNICAL_NAMES, (page, columns)
        assert not [c for c in columns if "_" in c and "=" not in c], (page, columns)


def test_reports_tables_lead_with_labels_and_hide_ids(project: Project) -> None:
    at = app("reports").run()
    themes = at.dataframe[0].value
    assert list(themes.columns[:4]) == ["Theme", "Excerpts", "Codings", "Participants"]
    assert "Theme id" not in themes.columns
    assert themes["Theme"].tolist()[0] == "Borders"
    # Only the open tab runs (lazy tabs): open Codes as a click on the tab would.
    at.session_state["qc_rep_tab"] = "Codes"
    at.run()
    codes = at.dataframe[0].value
    assert list(codes.columns[:2]) == ["Code", "Theme"] and "Code id" not in codes.columns
    at.toggle(key="qc_rep_codes_technical").set_value(True).run()
    assert "code" in [str(c).lower() for c in at.dataframe[0].value.columns]


def test_one_colour_rule_for_the_code_page_and_the_charts(project: Project) -> None:
    from qualcode import reports
    from qualcode.app.components import colours
    from qualcode.app.pages import code as code_page
    from qualcode.app.pages.reports import frequency_bars

    book = project.codebook
    for cid in book.codes:
        assert code_page.code_colour(book, cid) == colours.code_colour(book, cid)
    freq = reports.code_frequencies(project.analysis_data())
    spec = frequency_bars(freq, 10, book).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"])) == {"Borders": "#4e79a7", "Labour": "#e15759"}


def test_charts_label_every_bar_whole_with_integer_ticks_and_white_zeros(project: Project) -> None:
    import pandas as pd

    from qualcode.app.pages.reports import frequency_bars, heatmap, wrap_label

    long_label = "Recruitment of workers through private employment agencies abroad"
    freq = pd.DataFrame(
        {
            "code": ["recruitment", "transit"],
            "label": [long_label, "Transit country"],
            "theme": ["labour", "borders"],
            "theme_path": ["Labour", "Borders"],
            "codings": [3, 1],
            "excerpts": [3, 1],
            "experts_n": [2, 1],
        }
    )
    spec = frequency_bars(freq, 10, project.codebook).to_dict()
    y = spec["layer"][0]["encoding"]["y"]
    assert y["axis"]["labelLimit"] == 0 and "split" in y["axis"]["labelExpr"]  # wrapped, never cut
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == "d"
    assert wrap_label(long_label, 42).replace("\n", " ") == long_label
    matrix = pd.DataFrame({"Borders": [2, 0], "Labour": [0, 1]}, index=["Expert (A)", "Expert (B)"])
    hm = heatmap(matrix, "excerpts").to_dict()
    colour = hm["layer"][0]["encoding"]["color"]
    assert colour["value"] == "white" and "datum.excerpts > 0" in json.dumps(colour["condition"])
    assert hm["layer"][0]["encoding"]["x"]["axis"]["labelOverlap"] is False
