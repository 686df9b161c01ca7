"""The Agreement page as a reliability lab and the Adjudicate page's document filter, through
AppTest: partial double-coding compares only common documents (issue 17), the forest plot,
human column names, the plain-words method, one code's table, worst-first disagreements sent
to Adjudicate in one click."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

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
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "forest plot missing"
    matrix = at.dataframe[1].value
    assert list(matrix.columns) == ["bob: absent", "bob: present"]


def test_including_partial_documents_is_a_choice(project: Project) -> None:
    at = app("agreement").run()
    at.checkbox(key="qc_agr_all").check().run()
    assert not at.exception
    table = at.dataframe[0].value
    transit = table.loc[table["Code or theme"] == "Transit country"].iloc[0]
    assert transit["Percent agreement"] < 1.0
    assert "at least one chosen coder coded" in texts(at)


def test_disagreements_worst_first_and_sent_to_adjudicate(project: Project) -> None:
    at = app("agreement").run()
    dis = at.dataframe[2].value
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
    at.multiselect(key="qc_adj_docs").select("expert_B").run()
    assert not at.exception
    assert "No document was coded by every chosen coder" in "\n".join(e.value for e in at.error)
