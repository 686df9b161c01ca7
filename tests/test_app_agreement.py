"""The Agreement page as a reliability lab and the Adjudicate page's document filter, through
AppTest: partial double-coding compares only common documents (issue 17), the forest plot,
human column names, the plain-words method, one code's table, worst-first disagreements sent
to Adjudicate in one click."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import popovers  # noqa: E402

from qualcode.project import Project
from qualcode.store import Actor

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "streamlit_app.py")

CODEBOOK = """\
title: Agreement page test
themes:
  - id: borders
    label: Borders
    codes:
      - id: transit
        label: Transit country
      - id: visas
        label: Visa rules
"""


def _interview(pid: str) -> str:
    return (
        f"---\nparticipant: {pid}\nlabel: Expert ({pid})\n---\n"
        "Interviewer: Tell me about the route.\n\n"
        "Expert: Kazakhstan is a transit country for many people. The visa rules changed in 2022. "
        "People stay longer now.\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "proj"
    p = Project.init(root)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for pid in ("A", "B", "C"):
        (root / "interviews" / f"expert_{pid}.md").write_text(_interview(pid), encoding="utf-8")
    p.sync()
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    text = p.store.document_text("expert_A")
    s, e = text.index("Kazakhstan"), text.index("people.") + len("people.")
    v = text.index("The visa")
    alice, bob = (p.as_user(Actor(n, "annotator", local=True)) for n in ("alice", "bob"))
    for doc in ("expert_A", "expert_B", "expert_C"):  # alice codes all three
        alice.add_coding(doc, s, e, "transit")
    alice.add_coding("expert_A", v, v + 20, "visas")
    bob.add_coding("expert_A", s, e, "transit")  # bob codes only expert_A
    yield p
    p.close()


def app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["qc_start_page"] = page
    at.session_state["qc_local_name"] = "sam"
    at.session_state["qc_local_role"] = "supervisor"
    return at


def drawn(at: AppTest, key: str):
    """The table a page drew under ``key`` (only the open tab of the Agreement page draws)."""
    return next(frame for frame in at.dataframe if frame.key == key).value


def open_tab(at: AppTest, tab: str) -> AppTest:
    """The Agreement page with ``tab`` open (only the open tab runs)."""
    at.session_state["qc_agr_tab"] = tab
    return at.run()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [t.value for t in at.text]
    return "\n".join(str(p) for p in parts)


def test_agreement_page_compares_common_documents_and_explains(project: Project) -> None:
    at = app("agreement").run()
    assert not at.exception, at.exception
    shown = texts(at)
    # bob coded only expert_A: expert_B and expert_C are left out, and the page says so
    assert "the 1 document\\(s\\) every chosen coder coded" in shown
    assert "expert\\_B \\(coded only by alice\\)" in shown
    assert "units were resampled with replacement" in shown
    table = at.dataframe[0].value
    assert "Krippendorff's alpha" in table.columns and "Percent agreement" in table.columns
    assert "percent_agreement" not in table.columns
    transit = table.loc[table["Code or theme"] == "Transit country"].iloc[0]
    assert transit["Percent agreement"] == 1.0  # not "disagreeing" on the documents bob never coded
    assert not (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))  # only the open tab is drawn
    open_tab(at, "Forest plot")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "forest plot missing"
    open_tab(at, "Confusion")
    matrix = at.dataframe[0].value  # the only table of the Confusion tab
    assert list(matrix.columns) == ["bob: absent", "bob: present"]


def test_including_partial_documents_is_a_choice(project: Project) -> None:
    at = app("agreement").run()
    assert "Interval: 200 bootstrap samples (Resample units)" in popovers(at)  # the method's button says it
    at.checkbox(key="qc_agr_all").check().run()
    assert not at.exception
    assert "Documents: all 3 any chosen coder coded" in popovers(at)
    table = at.dataframe[0].value
    transit = table.loc[table["Code or theme"] == "Transit country"].iloc[0]
    assert transit["Percent agreement"] < 1.0
    assert "at least one chosen coder coded" in texts(at)


def test_disagreements_worst_first_and_sent_to_adjudicate(project: Project) -> None:
    at = open_tab(app("agreement"), "Disagreements")
    dis = drawn(at, "qc_agr_dis")
    assert list(dis["Code"]) == ["Visa rules"] and "Codes by alice" in dis.columns
    at.button(key="qc_agr_send").click().run()
    assert not at.exception, at.exception
    focus = at.session_state["qc_adj_focus"]
    assert focus["code"] == "visas" and focus["document"] == "expert_A"
    adj = app("adjudicate")
    for k in ("qc_adj_focus", "qc_adj_coders", "qc_adj_docs", "qc_adj_unit"):
        adj.session_state[k] = at.session_state[k]
    adj.run()
    assert not adj.exception, adj.exception
    assert "Sent from the Agreement page\\: Visa rules in expert\\_A" in texts(adj)
    assert "1 chosen document" in texts(adj)


def test_adjudicate_document_filter(project: Project) -> None:
    at = app("adjudicate").run()
    assert not at.exception
    assert "every chosen coder coded" in texts(at)
    assert "0 of 1 decided" in texts(at)
    assert "Documents: the 1 every chosen coder coded" in popovers(at)  # the filter's button says which
    at.multiselect(key="qc_adj_docs").select("expert_B").run()
    assert not at.exception
    assert "Documents: expert_B" in popovers(at)
    assert "No document was coded by every chosen coder" in "\n".join(e.value for e in at.error)


def test_a_partial_document_sent_to_adjudicate_keeps_its_scope(project: Project) -> None:
    """With "Include documents only some coders coded" on, a disagreement in a document only
    alice coded must still be found on the Adjudicate page (it used to open in 'common' scope,
    where that document is left out)."""
    at = open_tab(app("agreement"), "Disagreements")
    at.checkbox(key="qc_agr_all").check().run()
    dis = drawn(at, "qc_agr_dis")
    picks = [i for i, d in enumerate(dis["Document"]) if d == "expert_B"]
    assert picks, list(dis["Document"])
    at.selectbox(key="qc_agr_pick").set_value(picks[0]).run()
    at.button(key="qc_agr_send").click().run()
    assert not at.exception, at.exception
    assert at.session_state["qc_adj_all"] is True
    adj = app("adjudicate")
    for k in ("qc_adj_focus", "qc_adj_coders", "qc_adj_docs", "qc_adj_unit", "qc_adj_all", "qc_adj_interviewer"):
        adj.session_state[k] = at.session_state[k]
    adj.run()
    assert not adj.exception, adj.exception
    shown = texts(adj)
    assert "Sent from the Agreement page\\: Transit country in expert\\_B" in shown
    assert "Kazakhstan is a transit country for many people." in shown  # the passage itself
    editor = adj.get("arrow_data_frame") or adj.dataframe
    assert editor


def test_adjudicate_columns_are_in_plain_words(project: Project) -> None:
    at = app("adjudicate").run()
    assert not at.exception
    from qualcode.app.pages import adjudicate

    assert adjudicate.COLUMN_NAMES["accept"] == "In the consensus?"
    assert "0 of 1 decided" in texts(at)


def test_the_table_speaks_plainly_and_a_code_pair_has_its_confusion_matrix(project: Project) -> None:
    at = app("agreement").run()
    table = at.dataframe[0].value
    assert {"Unit", "Kappa type", "Units coded by anyone"} <= set(table.columns)
    assert set(table["Kappa type"]) <= {"Cohen's", ""}
    assert not {"unit", "kappa_kind", "n_units"} & set(table.columns)
    assert "Cohen's kappa, and Krippendorff's alpha on present/absent" in texts(at)
    open_tab(at, "Confusion")
    at.selectbox(key="qc_agr_code").set_value("transit").run()
    at.selectbox(key="qc_agr_code2").set_value("visas").run()
    assert not at.exception, at.exception
    matrix = at.dataframe[0].value  # the only table of the Confusion tab
    assert list(matrix.columns) == ["bob: neither", "bob: Transit country only", "bob: Visa rules only", "bob: both"]
    # sentence 2 (the visa rules): alice coded visas, bob nothing
    assert matrix.loc["alice: Visa rules only", "bob: neither"] == 1


def test_a_scale_theme_gets_a_row_in_the_plot_and_the_table(project: Project) -> None:
    root = Path(project.root)
    scale = CODEBOOK.replace("    label: Borders\n", "    label: Borders\n    scale: nominal\n")
    (root / "codebook.yaml").write_text(scale, encoding="utf-8")
    project.sync()
    at = app("agreement").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert "Borders (nominal scale)" in set(table["Code or theme"])
    assert "Scales.** Borders\\: nominal alpha on transit, visas" in texts(at)
    from qualcode.app.pages.agreement import forest_plot
    from qualcode.reliability import intercoder_agreement

    chart = forest_plot(intercoder_agreement(project.analysis_data(), bootstrap=0))
    assert chart is not None


@pytest.mark.parametrize("unit", ["document", "span"])
def test_the_default_unit_setting_may_be_any_agreement_unit(project: Project, unit: str) -> None:
    """The admin's agreement_unit setting (now accepting document and span) opens the page on it."""
    from qualcode.store import LOCAL_ADMIN

    project.store.set_setting(LOCAL_ADMIN, "agreement_unit", unit)
    at = app("agreement").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="qc_agr_unit").value == unit
    assert "Coefficients.**" in texts(at)


def test_the_scale_level_can_be_changed_on_the_page(project: Project) -> None:
    root = Path(project.root)
    scale = CODEBOOK.replace("    label: Borders\n", "    label: Borders\n    order: [visas, transit]\n")
    (root / "codebook.yaml").write_text(scale, encoding="utf-8")
    project.sync()
    at = app("agreement").run()
    assert not at.exception, at.exception
    assert "Borders (ordinal scale)" in set(at.dataframe[0].value["Code or theme"])
    at.selectbox(key="qc_agr_scale_level").set_value("nominal").run()
    assert not at.exception, at.exception
    assert "Borders (nominal scale)" in set(at.dataframe[0].value["Code or theme"])


def test_a_decision_on_page_two_is_stored_for_that_row_only(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decisions editor shows one page of rows; a decision made on page 2 is kept under that
    row's identity (document, unit, code), not its position, and Save stores exactly that row."""
    from qualcode.app.pages import adjudicate

    monkeypatch.setattr(adjudicate, "PAGE_ROWS", 1)
    at = app("adjudicate")
    at.session_state["qc_adj_all"] = True  # three disagreements: visas in A, transit in B and in C
    at.run()
    assert not at.exception, at.exception
    assert "Rows 1–1 of 3" in texts(at) and "0 of 3 decided" in texts(at)
    first = at.data_editor[0].value
    at.number_input(key="qc_adj_page").set_value(2).run()
    assert not at.exception, at.exception
    assert "Rows 2–2 of 3" in texts(at)
    editor = at.data_editor[0]
    second = editor.value
    assert len(second) == 1 and second["document"].iloc[0] != first["document"].iloc[0]
    assert editor.key and editor.key.startswith("qc_adj_editor_")
    # the reviewer says "yes" to the one row of page 2 (its position there is 0)
    at.session_state[editor.key] = {"edited_rows": {0: {"accept": "yes"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    assert "1 of 3 decided" in texts(at)
    decided = at.session_state[adjudicate.DECISIONS_KEY]
    assert [(d[1], d[4], v) for d, v in decided.items()] == [(second["document"].iloc[0], "transit", "yes")]
    at.number_input(key="qc_adj_page").set_value(1).run()  # page 1's row at that position stays undecided
    assert list(at.data_editor[0].value["accept"]) == [""]
    at.button(key="qc_adj_save").click().run()
    assert not at.exception, at.exception
    consensus = project.store.codings_frame(Actor("sam", "supervisor", local=True))
    consensus = consensus.loc[consensus["annotator"] == "consensus"]
    # that row, and the unit both coders coded alike (transit in expert_A); nothing of page 1 or 3
    assert sorted(zip(consensus["document"], consensus["code"])) == sorted(
        [(second["document"].iloc[0], "transit"), ("expert_A", "transit")]
    )
