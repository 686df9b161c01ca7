"""The appendix workbook, read back cell by cell with openpyxl; CSV and text rendering."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.export import tabular
from qualcode.export.xlsx import CODINGS_COLUMNS, SHEETS, codings_table, export_workbook
from qualcode.frames import make_analysis_data
from qualcode.model import Coding, ParsedDocument, Participant, Segment


def _load_report_fixtures():
    """The hand-made corpus of tests/test_reports.py (imported by path: pytest runs with
    --import-mode=importlib, so test modules are not importable by name)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "_qualcode_report_corpus", Path(__file__).with_name("test_reports.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_corpus = _load_report_fixtures()
make_codebook, make_data = _corpus.make_codebook, _corpus.make_data


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def workbook_path(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "appendix.xlsx"
    assert export_workbook(data, path, bootstrap=50) == path
    return path


@pytest.fixture(scope="module")
def wb(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_sheet_names_and_common_layout(wb):
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        header = ws[1]
        # the header row stays in view; the framework matrix keeps its participant column too
        assert ws.freeze_panes == ("B2" if ws.title == "Framework matrix" else "A2"), ws.title
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(c.font.bold for c in header if c.value is not None), ws.title
        assert header[0].fill.fgColor.rgb.endswith("1F4E78"), ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert header[0].comment is not None and header[0].comment.text, ws.title
        assert ws.column_dimensions["A"].width >= 6, ws.title


def test_interviewees_sheet(wb):
    r = rows(wb["Interviewees"])
    assert r[0][:8] == ["Participant", "Label", "Role", "Organisation", "Organisation type", "Date", "Place", "Mode"]
    assert [x[0] for x in r[1:]] == ["A", "B", "C", "D"]
    assert r[4][4] == "international organisation"


def test_codebook_sheet_merges_and_values(wb):
    ws = wb["Codebook"]
    r = rows(ws)
    assert r[0] == ["Theme", "Sub-theme", "Code", "Example of a code", "Number of codings", "Experts"]
    # t1 holds c0, c1, c2, c3 (rows 2-5); sub-theme t1a holds c1, c2 (rows 3-4); t2 holds c4, c5 (rows 6-7)
    assert {str(m) for m in ws.merged_cells.ranges} == {"A2:A5", "B3:B4", "A6:A7"}
    assert r[1][0] == "Evolving Migration Trends" and r[1][2] == "General trend"
    assert r[2][1] == "Characteristics of Migration" and r[2][2] == "No covid effect"
    assert r[2][3].split("\n\n")[0] == "Expert A: 'Covid changed nothing.'"
    assert (r[2][4], r[2][5]) == (4, "Experts (A,B,C)")
    assert r[6][2:] == ["Dactyloscopy", "Expert B: 'Fingerprints are taken at the border now.'", 1, "Expert (B)"]
    assert ws["D3"].alignment.wrap_text and ws["A2"].alignment.wrap_text


def test_codebook_example_falls_back_to_codebook(tmp_path):
    cb = make_codebook()
    d = make_analysis_data(cb, [ParsedDocument("d", "Nothing.", Participant("A", "Expert (A)"))], [])
    wb = openpyxl.load_workbook(export_workbook(d, tmp_path / "empty.xlsx"))
    r = rows(wb["Codebook"])
    assert r[2][2:] == ["No covid effect", "Covid did nothing", 0, "no Experts"]
    note = rows(wb["Inter-coder agreement"])[1][0]
    assert "at least two annotators" in note and "found 0" in note


def test_matrix_sheets(wb):
    ws = wb["Expert × theme"]
    r = rows(ws)
    assert r[0] == [
        "Participant",
        "Evolving Migration Trends",
        "Characteristics of Migration",
        "Reasons for movement",
        "Current Policy",
    ]
    assert r[1] == ["Expert (A)", 1, 2, 1, 1] and r[4] == ["Expert (D)", 0, 0, 0, 0]
    rules = ws.conditional_formatting
    assert any(rule.type == "colorScale" for cf in rules for rule in cf.rules)
    assert rows(wb["Expert × theme (0-1)"])[2] == ["Expert (B)", 0, 1, 0, 1]


def test_frequencies_and_cooccurrence_sheets(wb):
    freq = pd.DataFrame(rows(wb["Code frequencies"])[1:], columns=rows(wb["Code frequencies"])[0])
    assert freq.set_index("code").loc["c1", ["codings", "excerpts", "experts"]].tolist() == [4, 3, "A,B,C"]
    assert "codings:ann2" in freq.columns
    co = rows(wb["Co-occurrence"])
    head = co[0]
    got = {(x[head.index("code_a")], x[head.index("code_b")]): x[head.index("jaccard")] for x in co[1:]}
    assert got[("c3", "c4")] == pytest.approx(0.25)  # sentence units (the export's unit)
    assert wb["Co-occurrence"]["J2"].number_format == "0.000"


def test_agreement_and_disagreement_sheets(wb):
    ws = wb["Inter-coder agreement"]
    head = rows(ws)[0]
    assert len(rows(ws)) > 1 and head[0] != "Note"
    note = ws["A1"].comment.text
    assert "ann1" in note and "ann2" in note and "Unit:" in note and "Method:" in note
    # what was computed: which documents, the interval's method, codings outside the units
    assert "Documents: the" in note and "every chosen coder coded" in note
    assert "bootstrap samples of the units" in note and "Codings outside units:" in note
    assert len(rows(wb["Disagreements"])) > 1
    assert "Documents:" in wb["Disagreements"]["A1"].comment.text


def test_codings_sheet(wb, data):
    ws = wb["Codings"]
    r = rows(ws)
    assert r[0] == CODINGS_COLUMNS
    assert len(r) == 1 + len(data.codings)
    first = dict(zip(r[0], r[1]))
    assert first["participant"] == "Expert (A)" and (first["start"], first["end"]) == (0, 22)
    assert first["code_path"] == "Evolving Migration Trends > Characteristics of Migration > No covid effect"
    transit = [dict(zip(r[0], x)) for x in r[1:] if x[r[0].index("code")] == "c3"]
    assert {t["cross_cutting"] for t in transit} == {"Transit migration"}


def test_formula_looking_text_is_stored_as_text(wb, workbook_path):
    ws = wb["Codings"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    eq = [c for c in cells if c.value.startswith("=")]
    dash = [c for c in cells if c.value.startswith("-")]
    assert eq and dash
    for c in eq + dash:
        assert c.data_type == "s"
        assert c.quotePrefix
    assert eq[0].value == "=1+1 is how they counted transit people."  # text kept exactly
    with zipfile.ZipFile(workbook_path) as z:  # and no <f> formula element anywhere
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.endswith(".xml"))
    cb_cell = wb["Codebook"]["D3"]
    assert cb_cell.data_type == "s"


def test_illegal_characters_and_long_text(tmp_path):
    cb = make_codebook()
    text = "Bad\x07char here. " + "x" * 40000 + "."
    doc = ParsedDocument("d", text, Participant("A", "Expert (A)"), segments=[Segment("sentence", 0, len(text))])
    d = make_analysis_data(cb, [doc], [Coding("d", 0, len(text), "c1", "ann1", memo="@mention")])
    ws = openpyxl.load_workbook(export_workbook(d, tmp_path / "odd.xlsx"))["Codings"]
    quote = ws["E2"].value
    assert quote.startswith("Badchar here.") and len(quote) == 32767 and quote.endswith("…")
    assert ws["L2"].value == "@mention" and ws["L2"].quotePrefix


def test_codings_table_restricted(data):
    df = codings_table(data, annotators=["ann2"])
    assert set(df["annotator"]) == {"ann2"} and len(df) == 4


def test_unknown_annotator_fails_before_writing(data, tmp_path):
    from qualcode.errors import QualcodeError

    with pytest.raises(QualcodeError, match="consensus"):
        export_workbook(data, tmp_path / "x.xlsx", annotators=["consensus"])
    assert not (tmp_path / "x.xlsx").exists()


def test_workbook_converts_to_pdf(workbook_path, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI: apt-get install libreoffice-calc-nogui")
        pytest.skip("LibreOffice not installed: apt-get install libreoffice-calc-nogui")
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(workbook_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "appendix.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr + result.stdout
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2000


# ------------------------------------------------------------------ CSV and text rendering
@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok = fine", "ok = fine"),
        ("", ""),
        (-1, -1),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_neutralise_formula(value, expected):
    assert tabular.neutralise_formula(value) == expected


def test_to_csv_neutralises_text_not_numbers(tmp_path):
    df = pd.DataFrame(
        {"quote": ["=cmd|' /C calc'!A0", "plain", None], "n": [-1, 2, 3], "share": [-0.5, 0.25, float("nan")]}
    )
    path = tmp_path / "out.csv"
    tabular.to_csv(df, path)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["quote"].tolist() == ["'=cmd|' /C calc'!A0", "plain", ""]
    assert back["n"].tolist() == [-1, 2, 3]
    assert tabular.to_csv(df).splitlines()[1].startswith("'=cmd")


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_csv_never_starts_a_cell_with_a_formula_prefix(values):
    buf = io.StringIO()
    tabular.to_csv(pd.DataFrame({"v": values}, dtype=object), buf)
    import csv

    back = [r[0] for r in list(csv.reader(io.StringIO(buf.getvalue(), newline="")))[1:]]
    assert len(back) == len(values)
    for original, written in zip(values, back):
        if original.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert written.startswith("'")


def test_render_formats(data):
    from qualcode import reports

    df = reports.theme_table(data)
    table = tabular.render(df, "table")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["theme_id", "theme", "parent"] and set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(df)
    records = json.loads(tabular.render(df, "json"))
    assert records[0]["theme_id"] == "t1" and records[0]["excerpts"] == 5
    md = tabular.render(df, "markdown").splitlines()
    assert md[0].startswith("| theme_id |") and md[1].startswith("| --- |")
    csv_text = tabular.render(df, "csv")
    assert pd.read_csv(io.StringIO(csv_text))["excerpts"].tolist() == df["excerpts"].tolist()
    m = reports.matrix(data)
    assert tabular.render(m, "table").splitlines()[2].startswith("Expert (A)")  # index kept
    from qualcode.errors import QualcodeError

    with pytest.raises(QualcodeError, match="Did you mean 'json'"):
        tabular.render(df, "jsn")


def test_thesis_demo_appendix(tmp_path):
    """The repository's demo (the thesis's nine experts and Appendix B codebook) exported:
    Appendix A lists the nine experts, Appendix B one row per code with theme cells merged."""
    from pathlib import Path

    from qualcode.project import Project

    repo = Path(__file__).resolve().parents[1]
    shutil.copy2(repo / "codebook.yaml", tmp_path / "codebook.yaml")
    shutil.copytree(repo / "interviews", tmp_path / "interviews")
    project = Project.open(tmp_path)
    project.sync()
    data = project.analysis_data()
    wb = openpyxl.load_workbook(export_workbook(data, tmp_path / "appendix.xlsx", bootstrap=0))
    people = rows(wb["Interviewees"])[1:]
    assert [p[1] for p in people] == [f"Expert ({x})" for x in "ABCDEFGHI"]
    codebook = wb["Codebook"]
    body = rows(codebook)[1:]
    assert len(body) == len(data.codebook.codes)
    sub_merges = [m for m in codebook.merged_cells.ranges if m.min_col == 2]
    assert len(sub_merges) == sum(1 for t in data.codebook.themes.values() if t.parent)
    trafficking = [r for r in body if r[1] == "Human trafficking"]  # merged: only the first row has the label
    assert trafficking and all(r[5] in ("Expert (F)", "Expert (H)", "Experts (F,H)") for r in trafficking)
    assert all(str(r[3]).startswith("Expert ") for r in body if r[4])


def test_workbook_still_exports_when_the_coders_share_no_document(tmp_path) -> None:
    """Two coders who have not yet coded a common interview: the agreement sheets say why there is
    nothing to compare, and every other sheet is written (the whole export used to be refused, so
    the Reports page's download never appeared)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_app import make_project

    from qualcode.store import Actor

    project = make_project(tmp_path / "p")
    first, second = project.document_names()[:2]
    for name, doc in (("alice", first), ("bob", second)):
        text = project.store.document_text(doc)
        project.as_user(Actor(name, "annotator")).add_coding(doc, 0, text.index(".") + 1, "transit")
    path = project.export_xlsx(tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == list(SHEETS)
    note = str(workbook["Inter-coder agreement"]["A2"].value)
    assert "No document was coded by every chosen coder" in note and "scope" in note
    assert workbook["Codings"].max_row == 3  # both codings
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "qualcode.cli",
            "--project",
            str(project.root),
            "export",
            "xlsx",
            str(tmp_path / "b.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
