"""Paste-ready thesis appendices: Appendix A "List of Interviewees" and Appendix B "Codebook".

Pure functions build the two tables as DataFrames (:func:`interviewees_frame`,
:func:`codebook_frame`); thin writers put them into a Word document (:func:`write_docx`, real
Word tables: header row repeated on every page, column widths, a caption) or a printable Excel
workbook (:func:`write_xlsx`: print titles, fit to width, wrapped text, values only).

The layout follows the thesis the demo reproduces:

* Appendix A: ``Date | Name | Organisation | Location``, one row per participant in natural id
  order, dates written "April 11, 2024".  Which metadata fields feed which column is set by
  ``appendix: interviewees:`` in ``codebook.yaml`` (see docs/codebook-format.md); each column
  takes the first of its templates whose fields the participant has.
* Appendix B: ``Theme | Code | Example of a code | Number of codes`` in codebook order, the
  theme (the code's own theme, i.e. the sub-theme) merged over its codes, the example as
  ``Expert D: '...'``.  "Number of codes" is the number of code applications the code stands
  for after consolidation: its codings in the project (merged codes' codings moved into it),
  or with ``appendix: number_of_codes: recorded`` the count recorded in the codebook
  (``applications:``), left empty where none is recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, Problem, valid_list
from ..frames import AnalysisData
from ..model import Code

INTERVIEWEE_COLUMNS = ("Date", "Name", "Organisation", "Location")
CODEBOOK_COLUMNS = ("Theme", "Code", "Example of a code", "Number of codes")
NUMBER_SOURCES = ("codings", "recorded")

# The thesis layout: the first template whose fields a participant has fills the cell.
DEFAULT_INTERVIEWEES: dict[str, tuple[str, ...]] = {
    "Date": ("{date}",),
    "Name": ("{label}", "{participant}"),
    "Organisation": ("{affiliation}", "{role}, {organisation}", "{organisation}", "{role}"),
    "Location": ("{location}", "{place}, {mode}", "{place}", "{mode}"),
}
CAPTION_A = "Appendix A. List of Interviewees"
CAPTION_B = "Appendix B. Codebook"
CAPTION_FRAMEWORK = "Framework matrix. Codes, short quotes and summaries per participant and theme"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class AppendixSettings:
    interviewees: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_INTERVIEWEES))
    number_of_codes: str = "codings"


def _problem(message: str, path: str | None, fld: str, hint: str) -> ConfigError:
    return ConfigError(Problem(message, path=path, field=fld, hint=hint))


def settings_from(appendix: Mapping[str, Any] | None, path: str | None = None) -> AppendixSettings:
    """Read the ``appendix:`` mapping of ``codebook.yaml`` (``path`` names it in errors)."""
    appendix = appendix or {}
    hint_top = "Valid keys: interviewees, number_of_codes (see docs/codebook-format.md)."
    for key in appendix:
        if key not in ("interviewees", "number_of_codes"):
            raise _problem(f"unknown key '{key}' under 'appendix'.", path, f"appendix.{key}", hint_top)
    source = appendix.get("number_of_codes", "codings")
    if source not in NUMBER_SOURCES:
        raise _problem(
            f"'appendix.number_of_codes' must be one of {', '.join(NUMBER_SOURCES)}, found {source!r}.",
            path,
            "appendix.number_of_codes",
            "codings: count the project's codings; recorded: use each code's 'applications' count.",
        )
    columns = dict(DEFAULT_INTERVIEWEES)
    given = appendix.get("interviewees") or {}
    if not isinstance(given, Mapping):
        raise _problem(
            "'appendix.interviewees' must map column names to templates.",
            path,
            "appendix.interviewees",
            'Write e.g. Organisation: ["{role} of {organisation}", "{organisation}"].',
        )
    for column, templates in given.items():
        fld = f"appendix.interviewees.{column}"
        if column not in INTERVIEWEE_COLUMNS:
            raise _problem(
                f"unknown Appendix A column '{column}'.", path, fld, f"Columns: {valid_list(INTERVIEWEE_COLUMNS)}."
            )
        items = [templates] if isinstance(templates, str) else templates
        if not isinstance(items, list) or not items or not all(isinstance(t, str) and t for t in items):
            raise _problem(
                f"'{fld}' must be a template or a list of templates, found {templates!r}.",
                path,
                fld,
                'Templates name metadata fields in braces, e.g. "{role} of {organisation}".',
            )
        for template in items:
            try:
                _fields(template)
            except ValueError as exc:
                raise _problem(
                    f"template {template!r} of '{fld}' cannot be read ({exc}).",
                    path,
                    fld,
                    "Use {field} for a metadata field and {{ }} for literal braces.",
                ) from None
        columns[column] = tuple(items)
    return AppendixSettings(interviewees=columns, number_of_codes=str(source))


def _fields(template: str) -> list[str]:
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"'{{{name}}}' is not a plain field name")
        names.append(name)
    return names


def thesis_date(value: Any) -> str:
    """``2024-04-11`` (text or date) → ``April 11, 2024``; anything else unchanged."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value:%B} {value.day}, {value.year}"
    return "" if value is None else str(value)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and str(value).strip() != ""


def _fill(templates: Sequence[str], values: Mapping[str, Any]) -> str:
    for template in templates:
        names = _fields(template)
        if all(_present(values.get(n)) for n in names):
            shown = {n: thesis_date(values[n]) if n == "date" else str(values[n]).strip() for n in names}
            return template.format(**shown)
    return ""


def interviewees_frame(data: AnalysisData, settings: AppendixSettings | None = None) -> pd.DataFrame:
    """Appendix A: one row per participant (natural id order), the four thesis columns."""
    from ..reports import participant_table

    settings = settings or AppendixSettings()
    people = participant_table(data)
    rows = []
    for record in people.to_dict("records"):
        rows.append({col: _fill(settings.interviewees[col], record) for col in INTERVIEWEE_COLUMNS})
    return pd.DataFrame(rows, columns=list(INTERVIEWEE_COLUMNS))


def speaker_of(label: str) -> str:
    """``Expert (D)`` → ``Expert D`` (the form Appendix B prints before a quote)."""
    return re.sub(r"\s*\((.+?)\)\s*$", r" \1", label).strip()


def number_of_codes(
    data: AnalysisData, settings: AppendixSettings | None = None, trail: pd.DataFrame | None = None
) -> dict[str, int | None]:
    """Code id → the applications the code stands for after consolidation (None: not known).

    ``codings``: its codings now (merged codes' codings were moved into it) plus the duplicate
    codings those merges collapsed (``trail``: the consolidation trail, see
    :mod:`qualcode.consolidation`).  ``recorded``: the codebook's ``applications`` count.
    """
    from ..consolidation import trail_of

    settings = settings or AppendixSettings()
    codebook = data.codebook
    if settings.number_of_codes == "recorded":
        return {cid: code.applications for cid, code in codebook.codes.items()}
    counts = data.codings["code"].astype(str).value_counts() if len(data.codings) else pd.Series(dtype="int64")
    out: dict[str, int | None] = {}
    for cid in codebook.codes:
        collapsed = int(trail_of(trail, cid)["collapsed"].sum()) if trail is not None and len(trail) else 0
        out[cid] = int(counts.get(cid, 0)) + collapsed
    return out


def _coded_example(data: AnalysisData, code_id: str) -> str:
    """The first coded excerpt of a code as ``Expert A: '...'`` (participants in natural order)."""
    from ..reports import natural_key

    c = data.codings.loc[data.codings["code"].astype(str) == code_id]
    if not len(c):
        return ""
    docs = data.documents.set_index("document")["participant"] if len(data.documents) else pd.Series(dtype=object)
    best: tuple[Any, ...] | None = None
    for row in c.itertuples():
        pid = docs.get(row.document)
        quote = row.quote if isinstance(row.quote, str) else data.texts.get(row.document, "")[row.start : row.end]
        key = (natural_key(str(pid)) if pid is not None else [], str(row.document), int(row.start))
        if best is None or key < best[0]:
            best = (key, pid, quote.strip())
    assert best is not None
    _key, pid, quote = best
    who = speaker_of(data.participant_label(str(pid))) if pid is not None else ""
    return f"{who}: '{quote}'" if who else f"'{quote}'"


def codebook_frame(
    data: AnalysisData, settings: AppendixSettings | None = None, trail: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Appendix B: one row per code in codebook order.

    ``Theme`` is the label of the code's own theme (the sub-theme; for a code directly under a
    main theme, that theme); ``attrs["theme_spans"]`` lists (first row, last row, label) of the
    runs a writer merges.  ``Number of codes`` holds ``None`` where the number is not known.
    """
    settings = settings or AppendixSettings()
    codebook = data.codebook
    numbers = number_of_codes(data, settings, trail)
    rows = []
    for _depth, code in codebook.iter_tree():
        if not isinstance(code, Code):
            continue
        theme = codebook.themes[code.theme].label if code.theme in codebook.themes else ""
        example = "\n\n".join(code.examples) if code.examples else _coded_example(data, code.id)
        rows.append(
            {"Theme": theme, "Code": code.label, "Example of a code": example, "Number of codes": numbers[code.id]}
        )
    df = pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS))
    df["Number of codes"] = pd.Series([r["Number of codes"] for r in rows], dtype=object)
    spans: list[tuple[int, int, str]] = []
    for i, theme in enumerate(df["Theme"]):
        if spans and spans[-1][2] == theme and spans[-1][1] == i - 1:
            spans[-1] = (spans[-1][0], i, theme)
        else:
            spans.append((i, i, theme))
    df.attrs["theme_spans"] = spans
    df.attrs["number_of_codes"] = settings.number_of_codes
    return df


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


# --------------------------------------------------------------------------- Excel
_XLSX_WIDTHS = {"A": (18, 14, 40, 34), "B": (26, 30, 70, 12)}


def write_xlsx(interviewees: pd.DataFrame, codebook: pd.DataFrame, path: Path | str) -> Path:
    """Two printable sheets: caption row, header row (printed on every page), wrapped text,
    fit to one page wide, landscape, values only (text that starts with "=" stays text)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    sheets = (("Appendix A", CAPTION_A, interviewees, "A"), ("Appendix B", CAPTION_B, codebook, "B"))
    for index, (title, caption, df, key) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        ws.cell(row=1, column=1, value=caption).font = Font(bold=True, size=12)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
        for j, name in enumerate(df.columns, start=1):
            cell = ws.cell(row=2, column=j, value=str(name))
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = border
        for i, record in enumerate(df.itertuples(index=False), start=3):
            for j, value in enumerate(record, start=1):
                cell = ws.cell(row=i, column=j)
                if isinstance(value, int) and not isinstance(value, bool):
                    cell.value = value
                else:
                    cell.value = _cell_text(value)
                    cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.border = border
        if key == "B":
            for first, last, _label in df.attrs.get("theme_spans", []):
                if last > first:
                    ws.merge_cells(start_row=first + 3, start_column=1, end_row=last + 3, end_column=1)
        for j, width in enumerate(_XLSX_WIDTHS[key], start=1):
            ws.column_dimensions[chr(64 + j)].width = width
        ws.print_title_rows = "2:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.freeze_panes = "A3"
    out = Path(path)
    wb.save(out)
    return out


# --------------------------------------------------------------------------- Word
_DOCX_WIDTHS_CM = {"A": (3.2, 2.6, 6.0, 4.6), "B": (3.4, 3.6, 7.0, 2.4)}


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _caption(doc: Any, text: str) -> None:
    try:
        doc.add_paragraph(text, style="Caption")
    except KeyError:  # a template without the Caption style
        doc.add_paragraph().add_run(text).bold = True


def _docx_table(
    doc: Any, df: pd.DataFrame, widths_cm: Sequence[float], merge_spans: Sequence[tuple[int, int, str]]
) -> Any:
    from docx.shared import Cm

    table = doc.add_table(rows=1 + len(df), cols=len(df.columns))
    try:
        table.style = "Table Grid"
    except KeyError:
        pass
    table.autofit = False
    for j, name in enumerate(df.columns):
        cell = table.rows[0].cells[j]
        cell.text = ""
        cell.paragraphs[0].add_run(str(name)).bold = True
    _repeat_header(table.rows[0])
    for i, record in enumerate(df.itertuples(index=False), start=1):
        cells = table.rows[i].cells
        for j, value in enumerate(record):
            cells[j].text = _cell_text(value)
    for first, last, label in merge_spans:
        if last > first:
            merged = table.cell(first + 1, 0).merge(table.cell(last + 1, 0))
            merged.text = label
    for row in table.rows:
        for j, width in enumerate(widths_cm):
            row.cells[j].width = Cm(width)
    for j, width in enumerate(widths_cm):
        table.columns[j].width = Cm(width)
    return table


def _framework_section(doc: Any, grid: pd.DataFrame) -> None:
    """The framework matrix (qualcode.framework: participants × main themes) on landscape pages."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm, Pt

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    if section.page_width < section.page_height:
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    doc.add_heading("Framework matrix", level=1)
    _caption(doc, CAPTION_FRAMEWORK)
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU → cm
    themes = max(len(grid.columns) - 1, 1)
    first = 3.0
    widths = [first] + [max((usable - first) / themes, 2.0)] * themes
    table = _docx_table(doc, grid, widths, ())
    for row in table.rows[1:]:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
    note = grid.attrs.get("description")
    if note:
        doc.add_paragraph(str(note)).runs[0].font.size = Pt(8)


def write_docx(
    interviewees: pd.DataFrame,
    codebook: pd.DataFrame,
    path: Path | str,
    findings: Sequence[tuple[str, str]] | None = None,
    title: str = "",
    framework: pd.DataFrame | None = None,
) -> Path:
    """Appendix A and B as Word tables (header row repeated on each page, widths, captions),
    then, when ``findings`` is given, a "Findings" section of (kind, text) paragraphs where
    kind is ``heading``, ``sentence`` or ``quote``, and when ``framework`` is given (the grid of
    ``qualcode.framework.framework_matrix``) the "Framework matrix" table on landscape pages."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    if title:
        doc.core_properties.title = title
    doc.add_heading("Appendix A", level=1)
    _caption(doc, CAPTION_A)
    _docx_table(doc, interviewees, _DOCX_WIDTHS_CM["A"], ())
    doc.add_page_break()
    doc.add_heading("Appendix B", level=1)
    _caption(doc, CAPTION_B)
    _docx_table(doc, codebook, _DOCX_WIDTHS_CM["B"], codebook.attrs.get("theme_spans", []))
    if findings:
        doc.add_page_break()
        doc.add_heading("Findings", level=1)
        for kind, text in findings:
            if kind == "heading":
                doc.add_heading(text, level=2)
            elif kind == "subheading":
                doc.add_heading(text, level=3)
            elif kind == "quote":
                para = doc.add_paragraph(text)
                para.paragraph_format.left_indent = Pt(24)
            else:
                doc.add_paragraph(text)
    if framework is not None and len(framework):
        _framework_section(doc, framework)
    out = Path(path)
    doc.save(str(out))
    return out


SUFFIXES = (".xlsx", ".docx")


def export_appendix(
    data: AnalysisData,
    path: Path | str,
    settings: AppendixSettings | None = None,
    findings: Sequence[tuple[str, str]] | None = None,
    trail: pd.DataFrame | None = None,
    framework: pd.DataFrame | None = None,
) -> Path:
    """Write Appendix A and B to ``path`` (.xlsx or .docx, chosen by the suffix); a .docx also
    gets the findings and the framework matrix grid when given."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(
            Problem(
                f"cannot write an appendix as '{out.suffix or out.name}'.",
                path=str(out),
                hint="Name the file .xlsx (printable Excel) or .docx (Word tables).",
            )
        )
    a = interviewees_frame(data, settings)
    b = codebook_frame(data, settings, trail)
    if suffix == ".xlsx":
        return write_xlsx(a, b, out)
    return write_docx(a, b, out, findings=findings, title=data.codebook.title, framework=framework)


__all__ = [
    "INTERVIEWEE_COLUMNS",
    "CODEBOOK_COLUMNS",
    "CAPTION_FRAMEWORK",
    "DEFAULT_INTERVIEWEES",
    "AppendixSettings",
    "settings_from",
    "thesis_date",
    "speaker_of",
    "interviewees_frame",
    "number_of_codes",
    "codebook_frame",
    "write_xlsx",
    "write_docx",
    "export_appendix",
]
