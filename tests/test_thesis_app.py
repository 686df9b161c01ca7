"""The workbench's thesis additions through AppTest: the Reports page builds the paste-ready
appendices, the Codebook page shows a code's consolidation trail."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import add_codings, app, assert_no_exception, make_project, texts  # noqa: E402

from qualcode.project import Project  # noqa: E402


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = make_project(root)
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def test_reports_page_builds_the_thesis_appendices(project: Project) -> None:
    from docx import Document
    from openpyxl import load_workbook

    add_codings(project)
    at = app("reports", role="supervisor")
    at.session_state["qc_rep_tab"] = "Download"  # only the open tab runs
    at.run()
    assert_no_exception(at)
    at.button(key="qc_build_appendix.docx").click().run()
    assert_no_exception(at)
    at.button(key="qc_build_appendix.xlsx").click().run()
    assert_no_exception(at)
    built = at.session_state["qc_appendix_files"]
    doc = Document(io.BytesIO(built[".docx"]))
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Date", "Name", "Organisation", "Location"]
    assert [c.text for c in doc.tables[1].rows[0].cells] == ["Theme", "Code", "Example of a code", "Number of codes"]
    ws = load_workbook(io.BytesIO(built[".xlsx"]))["Appendix B"]
    assert [ws.cell(row=3, column=j).value for j in (1, 2, 4)] == ["Borders", "Transit country", 2]
    labels = [b.label for b in at.get("download_button")]
    assert "Download thesis_appendix.docx" in labels and "Download thesis_appendix.xlsx" in labels


def test_codebook_page_shows_the_consolidation_trail(project: Project) -> None:
    add_codings(project)
    project.merge_codes("visas", "transit")
    at = app("codebook", role="supervisor").run()
    assert_no_exception(at)
    at.button(key="qc_cb_node_transit").click().run()  # the code's card in the tree
    assert_no_exception(at)
    shown = texts(at)
    assert "Consolidation trail" in shown
    assert "1 code(s) merged into it, carrying 1 application(s)." in shown
    at.toggle(key="qc_cb_trail_technical").set_value(True).run()  # the merged code's id
    trail = next(df for df in at.dataframe if "Merged code id" in df.value.columns).value
    assert trail["Merged code id"].tolist() == ["visas"] and trail["Merged by"].tolist() == [project.actor.name]
    at.button(key="qc_cb_node_shortage").click().run()
    assert "No codes were merged into this code." in texts(at)
