"""`qualcode export appendix`: thesis Appendix A and B as Word tables and a printable workbook,
the consolidation trail behind "Number of codes", and the findings sentences.

The demo's Appendix A is compared cell by cell with the thesis's table (as reconstructed in
docs/thesis-demo.md); Appendix B with the codebook; a small project with real merges checks
"Number of codes" counted from codings.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from conftest import require_service  # noqa: E402

from qualcode.errors import ConfigError  # noqa: E402
from qualcode.export import appendix as ap  # noqa: E402
from qualcode.project import Project  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# Appendix A of the thesis: Date | Name | Organisation | Location, in the thesis's order.
THESIS_APPENDIX_A = [
    ["April 11, 2024", "Expert (A)", "Representative of WPK company", "Talan Towers Offices, Dostyk str. 16"],
    ["April 12, 2024", "Expert (B)", "Representative of WPK company", "Talan Towers Offices, Dostyk str. 16"],
    ["April 17, 2024", "Expert (C)", "Representative of Dos-Immigration company", "Interview via Zoom"],
    [
        "April 5, 2024",
        "Expert (D)",
        "Senior Project Assistant at International Organisation for Migration",
        "Talan Towers, Dostyk str. 16",
    ],
    ["April 23, 2024", "Expert (E)", "Representative of WPK company", "Interview via Zoom"],
    ["May 14, 2024", "Expert (F)", 'Representative of Non-Governmental Organization "Rodnik"', "Interview via Zoom"],
    [
        "April 26, 2024",
        "Expert (G)",
        "External Collaborator at International Organisation for Migration",
        "Maqsut Narikbayev University, Korgalzhyn hwy. 13",
    ],
    [
        "May 16, 2024",
        "Expert (H)",
        'Representative of Non-Governmental Organization "Sana Sezim"',
        "Interview via Zoom",
    ],
    ["May 14, 2024", "Expert (I)", 'Representative of Non-Governmental Organization "Rodnik"', "Interview via Zoom"],
]
SUB_THEMES = [
    "Migration Trends and Patterns",
    "Characteristics of Migration",
    "Reasons for movement",
    "Specific Migrant Origins and Destinations",
    "Impact of immigration of foreigners",
    "Current Policy and Regulation Enhancements",
    "Disadvantages of the current management system",
    "Human trafficking",
]


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Project:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path_factory.mktemp("appendix") / "demo")
    project = Project.open(root)
    project.sync()
    return project


@pytest.fixture(scope="module")
def frames(demo_project: Project):  # type: ignore[no-untyped-def]
    data = demo_project.analysis_data()
    settings = demo_project.appendix_settings()
    return ap.interviewees_frame(data, settings), ap.codebook_frame(data, settings)


# --------------------------------------------------------------------------- frames
def test_appendix_a_is_the_thesis_table(frames) -> None:  # type: ignore[no-untyped-def]
    a, _ = frames
    assert list(a.columns) == ["Date", "Name", "Organisation", "Location"]
    assert a.values.tolist() == THESIS_APPENDIX_A


def test_appendix_b_rows_follow_the_codebook(demo_project: Project, frames) -> None:  # type: ignore[no-untyped-def]
    _, b = frames
    codebook = demo_project.codebook
    assert list(b.columns) == ["Theme", "Code", "Example of a code", "Number of codes"]
    assert b["Code"].tolist() == [c.label for c in codebook.codes.values()]
    assert [label for _f, _l, label in b.attrs["theme_spans"]] == SUB_THEMES
    spans = b.attrs["theme_spans"]
    assert spans[0][0] == 0 and spans[-1][1] == len(b) - 1
    assert all(nxt[0] == cur[1] + 1 for cur, nxt in zip(spans, spans[1:]))
    assert all(b["Example of a code"].str.match(r"^Expert [A-I]: '"))
    first = b.iloc[0]
    assert first["Code"] == "Increase in the number of migrants"
    assert first["Example of a code"].startswith("Expert F: 'Only taking into account the special operation")


def test_number_of_codes_is_the_recorded_count_or_empty(demo_project: Project, frames) -> None:  # type: ignore[no-untyped-def]
    _, b = frames
    by_label = dict(zip(b["Code"], b["Number of codes"]))
    assert by_label["Digitalisation"] == 10
    assert by_label["Immigrant occupations"] == 2
    assert by_label["Destinations of labour migrants"] is None  # two candidate digits in the OCR
    assert by_label["Removing barriers"] is None  # no value in the OCR
    recorded = {c.label: c.applications for c in demo_project.codebook.codes.values()}
    assert by_label == recorded
    assert sum(1 for v in by_label.values() if v is not None) == 27


def test_thesis_date() -> None:
    import datetime as dt

    assert ap.thesis_date("2024-04-05") == "April 5, 2024"
    assert ap.thesis_date(dt.date(2024, 5, 16)) == "May 16, 2024"
    assert ap.thesis_date("spring 2024") == "spring 2024"
    assert ap.thesis_date(None) == ""


# --------------------------------------------------------------------------- Excel
@pytest.fixture(scope="module")
def xlsx_path(demo_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_project.export_appendix(tmp_path_factory.mktemp("x") / "appendix.xlsx")


def test_xlsx_cell_by_cell(xlsx_path: Path, frames) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    a, b = frames
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == ["Appendix A", "Appendix B"]
    firsts = {first for first, _last, _label in b.attrs["theme_spans"]}
    for ws, df, caption in ((wb["Appendix A"], a, ap.CAPTION_A), (wb["Appendix B"], b, ap.CAPTION_B)):
        assert ws["A1"].value == caption
        assert [c.value for c in ws[2]] == list(df.columns)
        assert ws.max_row == 2 + len(df)
        for i, record in enumerate(df.itertuples(index=False), start=3):
            got = [ws.cell(row=i, column=j).value for j in range(1, len(df.columns) + 1)]
            want = [None if v is None or v == "" else v for v in record]
            if ws.title == "Appendix B" and i - 3 not in firsts:  # merged theme cell: text in its first row
                want[0] = None
            assert got == want, f"{ws.title} row {i}"
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}"
                if cell.value is not None:
                    assert cell.alignment.wrap_text, f"{ws.title}!{cell.coordinate} not wrapped"
        assert ws.print_title_rows == "$2:$2"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert all(ws.column_dimensions[col].width >= 12 for col in "ABCD")


def test_xlsx_theme_cells_are_merged_over_their_codes(xlsx_path: Path, frames) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    _, b = frames
    ws = load_workbook(xlsx_path)["Appendix B"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    for first, last, label in b.attrs["theme_spans"]:
        assert f"A{first + 3}:A{last + 3}" in merged
        assert ws.cell(row=first + 3, column=1).value == label
    assert ws["D3"].value is None  # Increase in the number of migrants: not legible
    row = 3 + b["Code"].tolist().index("Digitalisation")
    assert ws.cell(row=row, column=4).value == 10 and ws.cell(row=row, column=4).data_type == "n"


# --------------------------------------------------------------------------- Word
@pytest.fixture(scope="module")
def docx_path(demo_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_project.export_appendix(tmp_path_factory.mktemp("d") / "appendix.docx")


def _is_repeated_header(row) -> bool:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn

    tr_pr = row._tr.trPr
    return tr_pr is not None and any(el.tag == qn("w:tblHeader") for el in tr_pr)


def test_docx_tables_cell_by_cell(docx_path: Path, frames) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from docx.shared import Cm

    a, b = frames
    doc = Document(str(docx_path))
    assert len(doc.tables) == 3  # Appendix A, Appendix B, the framework matrix (tests/test_framework.py)
    ta, tb, tf = doc.tables
    assert [c.text for c in tf.rows[0].cells][0] == "Participant" and len(tf.rows) == 1 + len(a)
    assert [c.text for c in ta.rows[0].cells] == list(a.columns)
    assert [[c.text for c in row.cells] for row in ta.rows[1:]] == THESIS_APPENDIX_A
    assert [c.text for c in tb.rows[0].cells] == list(b.columns)
    assert len(tb.rows) == 1 + len(b)
    for i, record in enumerate(b.itertuples(index=False), start=1):
        cells = tb.rows[i].cells
        assert [c.text for c in cells[1:]] == [
            record[1],
            record[2],
            "" if record[3] is None else str(record[3]),
        ], f"row {i}"
        assert cells[0].text == record[0]
    for table in (ta, tb):
        assert _is_repeated_header(table.rows[0])
        assert not any(_is_repeated_header(r) for r in table.rows[1:])
        widths = [table.rows[1].cells[j].width for j in range(4)]
        assert all(w is not None and w >= Cm(2) for w in widths)
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == [ap.CAPTION_A, ap.CAPTION_B, ap.CAPTION_FRAMEWORK]


def test_docx_theme_cells_are_merged(docx_path: Path, frames) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    _, b = frames
    tb = Document(str(docx_path)).tables[1]
    for first, last, label in b.attrs["theme_spans"]:
        top = tb.cell(first + 1, 0)
        assert top.text == label
        assert tb.cell(last + 1, 0)._tc is top._tc  # one merged cell
        if last + 2 < len(tb.rows):
            assert tb.cell(last + 2, 0)._tc is not top._tc


def test_docx_has_a_findings_section(docx_path: Path) -> None:
    from docx import Document

    doc = Document(str(docx_path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Appendix A", "Appendix B", "Findings"]
    assert "Human trafficking" in headings
    texts = [p.text for p in doc.paragraphs]
    assert "Both Experts (F) and (H) noted …" in texts


def test_docx_opens_in_libreoffice(docx_path: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    # Calc alone (libreoffice-calc-nogui) cannot load a .docx: Writer's library must be there too.
    writer = soffice is not None and (Path(soffice).resolve().parent / "libswlo.so").exists()
    require_service("LibreOffice Writer", writer, "apt-get install libreoffice-writer-nogui")
    assert soffice is not None

    def convert(to: str) -> Path:
        result = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                "--headless",
                "--convert-to",
                to,
                "--outdir",
                str(tmp_path),
                str(docx_path),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
        out = tmp_path / f"appendix.{to.split(':')[0]}"
        assert result.returncode == 0 and out.exists(), result.stderr + result.stdout
        return out

    pdf = convert("pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20000
    text = convert("txt:Text (encoded):UTF8").read_text(encoding="utf-8-sig")  # what LibreOffice read
    for needed in ("List of Interviewees", "Expert (I)", "Interview via Zoom", "Example of a code", "Findings"):
        assert needed in text
    assert "Expert D: 'In terms of e-government" in text


# --------------------------------------------------------------------------- settings
def test_settings_default_is_the_thesis_layout() -> None:
    s = ap.settings_from({})
    assert s.number_of_codes == "codings"
    assert s.interviewees["Date"] == ("{date}",)


@pytest.mark.parametrize(
    "appendix,field",
    [
        ({"interviewees": {"Venue": "{place}"}}, "appendix.interviewees.Venue"),
        ({"interviewees": {"Name": 3}}, "appendix.interviewees.Name"),
        ({"interviewees": {"Name": "{label"}}, "appendix.interviewees.Name"),
        ({"interviewees": {"Date": "{date:%Y}"}}, "appendix.interviewees.Date"),
        ({"number_of_codes": "guessed"}, "appendix.number_of_codes"),
        ({"layout": "thesis"}, "appendix.layout"),
    ],
)
def test_bad_settings_are_named_errors(appendix: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as err:
        ap.settings_from(appendix, "codebook.yaml")
    problem = err.value.problems[0]
    assert problem.field == field and problem.path == "codebook.yaml" and problem.hint


# --------------------------------------------------------------------------- a project with real merges
CODEBOOK = """\
title: Small study
appendix:
  interviewees:
    Organisation: "{role} at {organisation}"
themes:
  - id: work
    label: Work
    codes:
      - id: pay
        label: Pay
      - id: wages
        label: Wages
      - id: salary
        label: Salary
  - id: risk
    label: Risk
    codes:
      - id: formula
        label: Formula-like
        example: "=HYPERLINK(\\"http://x\\")"
      - id: unused
        label: Unused
"""
TEXTS = {
    "p1": ("P1", "Participant (1)", "2023-01-02", "Low pay. High rent."),
    "p2": ("P2", "Participant (2)", "2023-02-13", "The wages are late. Risky work."),
    "p10": ("P10", "Participant (10)", "2023-03-30", "Salary is fine."),
}


def _small_project(root: Path) -> Project:
    root.mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews").mkdir()
    for name, (pid, label, date, text) in TEXTS.items():
        (root / "interviews" / f"{name}.md").write_text(
            f"---\nparticipant: {pid}\nlabel: {label}\nrole: Nurse\norganisation: City clinic\n"
            f"date: {date}\nplace: Room 2\n---\n{text}\n",
            encoding="utf-8",
        )
    project = Project.open(root)
    project.sync()
    for annotator in ("ann1", "ann2"):
        project.add_coding("p1", 0, 9, "pay", annotator=annotator)
        project.add_coding("p2", 0, 19, "wages", annotator=annotator)
    project.add_coding("p2", 0, 19, "pay", annotator="ann1")  # same span, same coder: collapses on merge
    project.add_coding("p10", 0, 15, "salary", annotator="ann1")
    project.add_coding("p2", 20, 31, "formula", annotator="ann2")
    return project


@pytest.fixture
def merged(tmp_path: Path) -> Project:
    project = _small_project(tmp_path / "small")
    project.merge_codes("wages", "pay")
    project.merge_codes("salary", "pay")
    return project


def test_number_of_codes_counts_codings_after_merges(merged: Project) -> None:
    data = merged.analysis_data()
    settings = merged.appendix_settings()
    b = ap.codebook_frame(data, settings)
    assert b.values.tolist() == [
        [
            "Work",
            "Pay",
            "Participant 1: 'Low pay.'",
            5,
        ],  # 3 own + 2 of wages (1 collapsed: same span, coder) + 1 of salary
        ["Risk", "Formula-like", '=HYPERLINK("http://x")', 1],
        ["Risk", "Unused", "", 0],
    ]
    a = ap.interviewees_frame(data, settings)
    assert a.values.tolist() == [
        ["January 2, 2023", "Participant (1)", "Nurse at City clinic", "Room 2"],
        ["February 13, 2023", "Participant (2)", "Nurse at City clinic", "Room 2"],
        ["March 30, 2023", "Participant (10)", "Nurse at City clinic", "Room 2"],
    ]


def test_formula_like_text_stays_text_in_excel(merged: Project, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    ws = load_workbook(merged.export_appendix(tmp_path / "a.xlsx"))["Appendix B"]
    assert ws["C4"].value == '=HYPERLINK("http://x")' and ws["C4"].data_type == "s"


def test_export_appendix_cli(merged: Project, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        code = "import sys; from qualcode.cli import main; sys.exit(main())"
        return subprocess.run(
            [sys.executable, "-c", code, "--project", str(merged.root), *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    ok = run("export", "appendix", str(tmp_path / "out.docx"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out.docx").stat().st_size > 0
    bad = run("export", "appendix", str(tmp_path / "out.pdf"))
    assert bad.returncode == 2 and "Name the file .xlsx" in bad.stderr and "Traceback" not in bad.stderr
    text = (merged.root / "codebook.yaml").read_text(encoding="utf-8")
    (merged.root / "codebook.yaml").write_text(text.replace("Organisation:", "Organization:"), encoding="utf-8")
    bad = run("export", "appendix", str(tmp_path / "out.xlsx"))
    assert bad.returncode == 2, bad.stderr
    assert "codebook.yaml" in bad.stderr and "appendix.interviewees.Organization" in bad.stderr
    assert "Columns:" in bad.stderr and "Traceback" not in bad.stderr


def test_readme_shows_appendix_b_as_exported(xlsx_path: Path) -> None:
    """The README's Appendix B excerpt is the demo's export, cell for cell."""
    import re

    from openpyxl import load_workbook

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- appendix-b-example", 1)[1].split("-->", 1)[1].split("<!-- /appendix-b-example -->")[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    rows = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    ws = load_workbook(xlsx_path)["Appendix B"]
    assert rows[0] == [c.value for c in ws[2]]
    codes = [ws.cell(row=r, column=2).value for r in range(3, ws.max_row + 1)]
    first = 3 + codes.index(rows[2][1])
    theme = next(str(r) for r in ws.merged_cells.ranges if r.min_col == 1 and r.min_row <= first <= r.max_row)
    theme_row = int(re.match(r"A(\d+)", theme).group(1))
    for i, row in enumerate(rows[2:]):
        r = first + i
        want = [
            ws.cell(row=theme_row, column=1).value if i == 0 else "",
            ws.cell(row=r, column=2).value,
            ws.cell(row=r, column=3).value,
            "" if ws.cell(row=r, column=4).value is None else str(ws.cell(row=r, column=4).value),
        ]
        assert row == want, f"README row {i + 1}"
    assert len(rows) >= 5
