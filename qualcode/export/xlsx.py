"""The Excel appendix workbook (thesis Appendix A and B, matrices, agreement, codings).

One call writes every table a supervisor or examiner asks for::

    from qualcode.export.xlsx import export_workbook
    export_workbook(project.analysis_data(), "appendix.xlsx", annotators=["consensus"])

Sheets: Interviewees (Appendix A), Codebook (Appendix B: Theme | Sub-theme | Code |
Example of a code | Number of codings | Experts, theme cells merged), Expert × theme
(excerpt counts with a colour scale), Expert × theme (0-1), Code frequencies,
Co-occurrence, Inter-coder agreement, Disagreements, Saturation, Framework matrix
(participants × main themes: codes, short quotes, the team's summaries), Codings (one
tidy row per coding) and About (what every sheet counts).

Every sheet has a bold filled header row that stays frozen, an autofilter, column widths
fitted to the content, landscape print setup fitted to the page width with the header
repeated on each page, and a comment on cell A1 stating the unit and method.

Safety: text is always stored as text.  openpyxl would store a string starting with "="
as a formula, so such cells are written with ``data_type = "s"``; text starting with
= + - @ also gets Excel's quote prefix, so editing the cell in Excel does not turn it into
a formula either.  Control characters XML cannot hold are removed and text longer than
an Excel cell holds (32,767 characters) is cut with "…".

Speed: the workbook is written in openpyxl's write-only (streaming) mode.  Plain values
go out as they are; only header cells, wrapped cells of the small sheets and
formula-looking text get cell objects, all sharing a few named styles.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from defusedxml import ElementTree as ET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties

from .. import reports
from ..errors import QualcodeError
from ..fileio import atomic_write
from ..frames import AnalysisData
from ..vocabulary import CONSENSUS

EXCEL_CELL_MAX = 32767
RISKY_PREFIXES = ("=", "+", "-", "@")
_ILLEGAL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"

CODINGS_COLUMNS = [
    "participant",
    "document",
    "start",
    "end",
    "quote",
    "code",
    "code_label",
    "code_path",
    "theme",
    "cross_cutting",
    "annotator",
    "memo",
    "created",
]
SHEETS = (
    "Interviewees",
    "Codebook",
    "Expert × theme",
    "Expert × theme (0-1)",
    "Code frequencies",
    "Co-occurrence",
    "Inter-coder agreement",
    "Disagreements",
    "Saturation",
    "Framework matrix",
    "Codings",
    "Memos",
    "About",
)


# --------------------------------------------------------------------------- styles
def _styles() -> dict[str, NamedStyle]:
    thin = Side(style="thin", color="9BA7B4")
    header = NamedStyle(name="qualcode header")
    header.font = Font(bold=True, color="FFFFFF")
    header.fill = PatternFill("solid", fgColor="1F4E78")
    header.alignment = Alignment(wrap_text=True, vertical="center")
    header.border = Border(bottom=thin)
    wrap = NamedStyle(name="qualcode wrap")
    wrap.alignment = Alignment(wrap_text=True, vertical="top")
    group = NamedStyle(name="qualcode group")
    group.font = Font(bold=True)
    group.alignment = Alignment(wrap_text=True, vertical="top")
    note = NamedStyle(name="qualcode note")
    note.font = Font(italic=True, color="44546A")
    note.alignment = Alignment(wrap_text=True, vertical="top")
    title = NamedStyle(name="qualcode title")
    title.font = Font(bold=True, size=14)
    return {"header": header, "wrap": wrap, "group": group, "note": note, "title": title}


@dataclass
class _Sheet:
    """A table to write: the DataFrame plus how to present it."""

    title: str
    df: pd.DataFrame
    note: str
    headers: Sequence[str] | None = None  # display headers (default: column names)
    wrap: Sequence[str] = ()  # columns with wrapped text (small sheets only)
    merge: Sequence[str] = ()  # columns whose equal consecutive values are merged vertically
    formats: dict[str, str] = field(default_factory=dict)  # column → number format
    max_width: dict[str, int] = field(default_factory=dict)
    color_scale: bool = False  # colour scale over the numeric block (matrices)
    cell_notes: dict[str, list[str | None]] = field(default_factory=dict)  # column → a note per row (or None)
    freeze: str = "A2"  # the first cell that scrolls ("B2": the first column stays in view too)


# --------------------------------------------------------------------------- cleaning
def _clean_text_column(s: pd.Series) -> pd.Series:
    """Remove XML-illegal characters and cut text too long for a cell (vectorised)."""
    text = s.astype(object).where(s.notna(), None)
    strings = text.map(lambda v: isinstance(v, str)) if len(text) else text.astype(bool)
    if not strings.any():
        return text
    as_str = pd.Series(text.where(strings, ""), dtype="string")
    if as_str.str.contains(_ILLEGAL_PATTERN, regex=True).any():
        as_str = as_str.str.replace(_ILLEGAL_PATTERN, "", regex=True)
    too_long = as_str.str.len() > EXCEL_CELL_MAX
    if too_long.any():
        as_str = as_str.where(~too_long, as_str.str.slice(0, EXCEL_CELL_MAX - 1) + "…")
    return as_str.astype(object).where(strings, text)


def _column_values(s: pd.Series) -> tuple[list[Any], np.ndarray]:
    """Python values for one column (None for missing) and the positions of risky text."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(object).tolist(), np.zeros(0, dtype=np.int64)
    if pd.api.types.is_integer_dtype(s):
        return s.tolist(), np.zeros(0, dtype=np.int64)
    if pd.api.types.is_float_dtype(s):
        return s.astype(object).where(s.notna(), None).tolist(), np.zeros(0, dtype=np.int64)
    if pd.api.types.is_datetime64_any_dtype(s):
        vals = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return vals.astype(object).where(vals.notna(), None).tolist(), np.zeros(0, dtype=np.int64)
    cleaned = _clean_text_column(s)
    as_str = pd.Series(cleaned.where(cleaned.map(lambda v: isinstance(v, str)), ""), dtype="string")
    risky = np.flatnonzero(as_str.str.startswith(RISKY_PREFIXES).to_numpy(dtype=bool))
    values = cleaned.tolist()
    values = (
        [v.item() if isinstance(v, np.generic) else v for v in values]
        if cleaned.dtype == object and len(values) and any(isinstance(v, np.generic) for v in values[:50])
        else values
    )
    return values, risky


def _text_cell(ws: Any, value: str) -> Cell:
    """A cell that holds ``value`` as text even if it starts with "=" (never a formula)."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl guessed "f" for "=…"; text it is
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


# --------------------------------------------------------------------------- writing
def _widths(sheet: _Sheet, headers: Sequence[str]) -> list[float]:
    """Column widths from the header and the 95th percentile of the text lengths."""
    out = []
    sample = sheet.df.head(2000)
    for col, head in zip(sheet.df.columns, headers):
        s = sample[col]
        if len(s):
            lengths = pd.Series(s.astype(str), dtype="string").str.len().fillna(0).to_numpy(dtype=float)
            body = float(np.percentile(lengths, 95))
        else:
            body = 0.0
        cap = sheet.max_width.get(col, 80 if col in sheet.wrap else 50)
        longest_word = max((len(w) for w in str(head).split()), default=4)
        out.append(min(max(body + 2, longest_word + 2, 6), cap))
    return out


def _print_setup(ws: Any, title: str, n_cols: int, n_rows: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "Page &P of &N"
    ws.page_margins.left = ws.page_margins.right = 0.4


def _write_sheet(wb: Workbook, sheet: _Sheet, styles: dict[str, NamedStyle]) -> _Bulk | None:
    ws = wb.create_sheet(sheet.title)
    df = sheet.df
    headers = list(sheet.headers) if sheet.headers is not None else [str(c) for c in df.columns]
    n_rows, n_cols = len(df), len(headers)
    for i, width in enumerate(_widths(sheet, headers), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = sheet.freeze
    last = get_column_letter(max(n_cols, 1))
    ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    _print_setup(ws, sheet.title, n_cols, n_rows)

    head_cells = []
    for i, text in enumerate(headers):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.style = styles["header"]
        if i == 0 and sheet.note:
            cell.comment = Comment(sheet.note, "qualcode", width=420, height=160)
        head_cells.append(cell)
    ws.append(head_cells)

    if sheet.color_scale and n_rows and n_cols > 1:
        ws.conditional_formatting.add(
            f"B2:{last}{n_rows + 1}",
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF", end_type="max", end_color="2E75B6"),
        )
    if not sheet.merge and not sheet.wrap and not any(any(n) for n in sheet.cell_notes.values()):
        # plain table: rows are streamed straight into the sheet XML after saving
        return _Bulk(
            sheet.title,
            df,
            _style_id(ws, quote=True),
            {col: _style_id(ws, number_format=fmt) for col, fmt in sheet.formats.items()},
        )
    columns: list[list[Any]] = []
    for col in df.columns:
        values, risky = _column_values(df[col])
        for r in risky:
            values[r] = _text_cell(ws, values[r])
        fmt = sheet.formats.get(col)
        style = styles["wrap"] if col in sheet.wrap else None
        if fmt or style:
            for r, v in enumerate(values):
                if v is None:
                    continue
                cell = v if isinstance(v, Cell) else WriteOnlyCell(ws, value=v)
                if style is not None:
                    cell.style = style
                if fmt:
                    cell.number_format = fmt
                values[r] = cell
        for r, note in enumerate(sheet.cell_notes.get(col, ())):
            if note:
                cell = values[r] if isinstance(values[r], Cell) else WriteOnlyCell(ws, value=values[r])
                cell.comment = Comment(note, "qualcode", width=360, height=120)
                values[r] = cell
        columns.append(values)
    if sheet.merge:
        _merge_runs(ws, df, sheet.merge, styles)
        for col in sheet.merge:
            j = list(df.columns).index(col)
            columns[j] = _blank_repeats(df[col], columns[j])
    for row in zip(*columns):
        ws.append(row)
    return None


# --------------------------------------------------------------------------- streaming rows
@dataclass
class _Bulk:
    """A sheet whose data rows are written as XML directly (openpyxl wrote the header)."""

    title: str
    df: pd.DataFrame
    quote_style: int  # cellXfs index with quotePrefix, for formula-looking text
    formats: dict[str, int]  # column → cellXfs index of its number format


def _style_id(ws: Any, *, quote: bool = False, number_format: str | None = None) -> int:
    """Register a cell format in the workbook and return its cellXfs index."""
    probe = WriteOnlyCell(ws)
    if quote:
        probe.quotePrefix = True
    if number_format:
        probe.number_format = number_format
    return probe.style_id


BULK_CHUNK = 20000


def _text_values(s: pd.Series) -> tuple[list[str], np.ndarray]:
    """XML-escaped text of a column ("" for missing) and which cells look like formulas."""
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if not (pd.api.types.is_string_dtype(s) and s.dtype != object):
        s = s.astype(object).map(
            lambda v: (
                v
                if v is None or isinstance(v, str)
                else ("" if pd.isna(v) else str(v))
                if not isinstance(v, (list, dict))
                else str(v)
            )
        )
    text = pd.Series(s, dtype="string").fillna("")
    if text.str.contains(_ILLEGAL_PATTERN, regex=True).any():
        text = text.str.replace(_ILLEGAL_PATTERN, "", regex=True)
    too_long = text.str.len() > EXCEL_CELL_MAX
    if too_long.any():
        text = text.where(~too_long, text.str.slice(0, EXCEL_CELL_MAX - 1) + "…")
    risky = text.str.startswith(RISKY_PREFIXES).to_numpy(dtype=bool)
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if text.str.contains(raw, regex=False).any():
            text = text.str.replace(raw, escaped, regex=False)
    return text.tolist(), risky


def _xml_cells(s: pd.Series, letter: str, rows: Sequence[int], quote_style: int, fmt_style: int | None) -> list[str]:
    """The ``<c>`` element of one column for every row ("" for an empty cell)."""
    style = f' s="{fmt_style}"' if fmt_style is not None else ""
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return [f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>' for r, v in zip(rows, s.tolist())]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        vals = s.astype("float64").to_numpy()
        ok = np.isfinite(vals)
        shown = s.tolist() if pd.api.types.is_integer_dtype(s) else [repr(float(v)) for v in vals]
        return [f'<c r="{letter}{r}"{style}><v>{v}</v></c>' if k else "" for r, v, k in zip(rows, shown, ok.tolist())]
    text, risky = _text_values(s)
    plain = ' t="inlineStr"><is><t xml:space="preserve">'
    quoted = f' s="{quote_style}" t="inlineStr"><is><t xml:space="preserve">'
    return [
        (f'<c r="{letter}{r}"' + (quoted if q else plain) + t + "</t></is></c>") if t else ""
        for r, t, q in zip(rows, text, risky.tolist())
    ]


def _xml_rows(bulk: _Bulk) -> Iterable[str]:
    """``<row>`` elements for the data rows (from row 2), in chunks of BULK_CHUNK rows."""
    df = bulk.df
    letters = [get_column_letter(j + 1) for j in range(df.shape[1])]
    for lo in range(0, len(df), BULK_CHUNK):
        part = df.iloc[lo : lo + BULK_CHUNK]
        rows = range(lo + 2, lo + 2 + len(part))
        columns = [
            _xml_cells(part[col], letter, rows, bulk.quote_style, bulk.formats.get(col))
            for col, letter in zip(part.columns, letters)
        ]
        yield "".join([f'<row r="{r}">' + "".join(cells) + "</row>" for r, cells in zip(rows, zip(*columns))])


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → path of its XML part inside the package."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    wb_xml = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for sh in wb_xml.find("m:sheets", ns).findall("m:sheet", ns):
        t = target[sh.get(f"{{{ns['r']}}}id")]
        out[sh.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _stream_rows(src: IO[bytes], dst: IO[bytes], bulks: Sequence[_Bulk]) -> None:
    """Copy the package, inserting the streamed rows before ``</sheetData>`` of bulk sheets."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as zout:
        paths = _sheet_paths(zin)
        by_path = {paths[b.title]: b for b in bulks}
        for info in zin.infolist():
            data = zin.read(info.filename)
            bulk = by_path.get(info.filename)
            if bulk is None:
                zout.writestr(info, data)
                continue
            text = data.decode("utf-8")
            head, sep, tail = text.partition("</sheetData>")
            if not sep:  # openpyxl always writes the header row, so this cannot happen
                raise RuntimeError(f"sheet XML of '{bulk.title}' has no sheetData")
            with zout.open(info.filename, "w", force_zip64=True) as out:
                out.write(head.encode("utf-8"))
                for chunk in _xml_rows(bulk):
                    out.write(chunk.encode("utf-8", "replace"))
                out.write((sep + tail).encode("utf-8"))


def _runs(values: Sequence[Any]) -> list[tuple[int, int]]:
    """(first, last) row positions of runs of equal, non-empty consecutive values."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if values[start] not in ("", None) and i - 1 > start:
                runs.append((start, i - 1))
            start = i
    return runs


def _group_keys(df: pd.DataFrame, merge: Sequence[str], col: str) -> list[tuple]:
    """A run of a merged column also breaks where an earlier merged column changes."""
    upto = list(merge)[: list(merge).index(col) + 1]
    return list(zip(*(df[c].astype(object).where(df[c].notna(), "").tolist() for c in upto))) if len(df) else []


def _merge_runs(ws: Any, df: pd.DataFrame, merge: Sequence[str], styles: dict[str, NamedStyle]) -> None:
    for col in merge:
        j = list(df.columns).index(col) + 1
        keys = _group_keys(df, merge, col)
        for first, last in _runs([k if k[-1] != "" else "" for k in keys]):
            ws.merged_cells.add(CellRange(min_col=j, min_row=first + 2, max_col=j, max_row=last + 2))


def _blank_repeats(series: pd.Series, values: list[Any]) -> list[Any]:
    """Inside a merged run only the first cell keeps its value (Excel shows that one)."""
    out = list(values)
    raw = series.astype(object).where(series.notna(), "").tolist()
    for i in range(1, len(raw)):
        if raw[i] != "" and raw[i] == raw[i - 1]:
            out[i] = None
    return out


# --------------------------------------------------------------------------- sheet contents
def _interviewees(data: AnalysisData) -> _Sheet:
    df = reports.participant_table(data)
    headers = [c.replace("_", " ").capitalize() for c in df.columns]
    return _Sheet(
        "Interviewees", df, "List of interviewees (thesis Appendix A): one row per participant.", headers=headers
    )


def _codebook_sheet(data: AnalysisData, annotators: Sequence[str] | None, max_quotes: int) -> _Sheet:
    q = reports.quote_table(data, annotators=annotators, max_quotes=max_quotes)
    cb = data.codebook
    labels = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))
    examples = []
    for code, quotes in zip(q["code"], q["quotes"]):
        if quotes:
            examples.append(quotes)
        elif code in cb.codes and cb.codes[code].examples:
            examples.append("\n\n".join(cb.codes[code].examples))  # codebook example, no coding yet
        else:
            examples.append("")
    experts = [reports.experts_phrase(e.split(",") if e else [], labels) for e in q["experts"]]
    df = pd.DataFrame(
        {
            "theme": q["theme"],
            "sub_theme": q["sub_theme"],
            "code": q["label"],
            "example": examples,
            "codings": q["codings"],
            "experts": experts,
        }
    )
    note = (
        f"Codebook (thesis Appendix B). Example of a code: up to {max_quotes} distinct excerpts per code, "
        "participants in order (the codebook's own example when nothing is coded yet). "
        "Number of codings: coding rows of the selected annotators. "
        "Experts: participants with at least one excerpt of the code."
    )
    return _Sheet(
        "Codebook",
        df,
        note,
        headers=["Theme", "Sub-theme", "Code", "Example of a code", "Number of codings", "Experts"],
        wrap=["theme", "sub_theme", "code", "example", "experts"],
        merge=["theme", "sub_theme"],
        max_width={"theme": 24, "sub_theme": 26, "code": 30, "example": 70, "experts": 22},
    )


def _matrix_sheet(data: AnalysisData, annotators: Sequence[str] | None, presence: bool) -> _Sheet:
    m = reports.matrix(data, by="theme", level=1, presence=presence, annotators=annotators)
    df = m.reset_index()
    title = "Expert × theme (0-1)" if presence else "Expert × theme"
    what = (
        "1 when the participant has at least one excerpt under the sub-theme, else 0"
        if presence
        else "number of distinct excerpts (coded spans) of the participant under the sub-theme"
    )
    note = (
        f"Participants × sub-themes (codes directly under a main theme count for the main theme): {what}. "
        f"{m.attrs['uncoded']}."
    )
    return _Sheet(
        title,
        df,
        note,
        headers=["Participant"] + [str(c) for c in m.columns],
        color_scale=not presence,
        max_width={c: 18 for c in m.columns},
    )


def _frequencies_sheet(data: AnalysisData, annotators: Sequence[str] | None) -> _Sheet:
    n_annotators = reports._select(data, annotators).codings["annotator"].nunique()
    df = reports.code_frequencies(data, annotators=annotators, by_annotator=n_annotators > 1)
    note = (
        f"One row per code. {df.attrs['unit']}. Codings count every coding row (two annotators on one "
        "span = 2 codings, 1 excerpt). experts = participants with at least one excerpt."
    )
    return _Sheet("Code frequencies", df, note, max_width={"theme_path": 45, "label": 40})


def _cooccurrence_sheet(data: AnalysisData, annotators: Sequence[str] | None, unit: str) -> _Sheet:
    fallback = ""
    try:
        df = reports.cooccurrence(data, unit=unit, annotators=annotators)
    except QualcodeError as exc:
        fallback = f"By-{unit} co-occurrence was not possible ({exc.problems[0].message}); overlap used instead. "
        df = reports.cooccurrence(data, unit="overlap", annotators=annotators)
    blank = df["c_coefficient"].isna() if "c_coefficient" in df.columns else pd.Series(False, index=df.index)
    note = (
        fallback + f"Pairs of codes in the same unit; unit: {df.attrs['unit']}. n = units containing both; "
        "jaccard = n / (n_a + n_b - n) over units; c_coefficient = ATLAS.ti's n12 / (n1 + n2 - n12) with "
        "n1, n2 = excerpts of each code. " + df.attrs["uncoded"] + "."
    )
    if blank.any():
        note += (
            f" {int(blank.sum())} c_coefficient cell(s) are blank: undefined because n1 + n2 - n12 is not "
            "positive (an excerpt spans several units, so n12 exceeds the excerpts); each blank cell's note "
            "gives the numbers."
        )
    cell_notes: dict[str, list[str | None]] = {}
    if blank.any():
        cell_notes["c_coefficient"] = [
            (
                f"c-coefficient undefined: n1 + n2 - n12 = {int(e_a)} + {int(e_b)} - {int(n)} = "
                f"{int(e_a) + int(e_b) - int(n)}, not positive (n1, n2 = excerpts of each code; n12 = "
                f"{df.attrs['unit']} units holding both). An excerpt spanning several units counts once in n1 "
                "but in every unit in n12. Jaccard over units is still given."
            )
            if is_blank
            else None
            for is_blank, e_a, e_b, n in zip(blank, df["excerpts_a"], df["excerpts_b"], df["n"])
        ]
    return _Sheet(
        "Co-occurrence",
        df,
        note,
        formats={"jaccard": "0.000", "c_coefficient": "0.000"},
        max_width={"label_a": 40, "label_b": 40},
        cell_notes=cell_notes,
    )


def _saturation_sheet(data: AnalysisData, annotators: Sequence[str] | None) -> _Sheet:
    from ..saturation import saturation_report

    pooled, pooling = reports.pool(data, annotators)
    if pooled.codings.empty:
        return _note_sheet("Saturation", "No codings yet, so no saturation assessment.")
    result = saturation_report(pooled, pooled=pooling.text, orders=1000, seed=0)
    df = result.table.drop(columns=["new_theme_ids"])
    note = " ".join(result.lines()) + (
        " One row per interview in interview order: the codes it used first, the running total and the share of "
        "all codes reached (Guest, Bunce & Johnson 2006)."
    )
    return _Sheet(
        "Saturation",
        df,
        note,
        formats={"share_of_codes": "0.0%", "share_of_themes": "0.0%"},
        max_width={"new_code_ids": 80},
    )


def _framework_sheet(data: AnalysisData, annotators: Sequence[str] | None, summaries: Any) -> _Sheet:
    """Participants × main themes (Ritchie & Spencer's framework matrix): codes, short quotes with
    their source and the team's summary in each cell (qualcode.framework)."""
    from ..framework import framework_matrix

    if not len(data.documents):
        return _note_sheet("Framework matrix", "No interviews yet, so no framework matrix.")
    result = framework_matrix(data, level="theme", annotators=annotators, summaries=summaries)
    grid = result.grid
    note = (
        "Framework matrix (Ritchie & Spencer): one row per participant, one column per main theme; each cell "
        "lists the codes of the participant's excerpts in the theme (distinct excerpts each), up to 3 short "
        "quotes with their source (document start–end) and the team's summary. " + " ".join(result.lines())
    )
    themes = [c for c in grid.columns if c != "Participant"]
    return _Sheet(
        "Framework matrix",
        grid,
        note,
        wrap=list(grid.columns),
        max_width={"Participant": 22, **{c: 48 for c in themes}},
        freeze="B2",
    )


def _note_sheet(title: str, text: str) -> _Sheet:
    return _Sheet(title, pd.DataFrame({"note": [text]}), text, headers=["Note"], wrap=["note"], max_width={"note": 100})


def _agreement_sheets(
    data: AnalysisData, agreement_annotators: Sequence[str] | None, unit: str, bootstrap: int
) -> tuple[_Sheet, _Sheet]:
    present = reports._natural_sorted(data.codings["annotator"].dropna().astype(str).unique())
    chosen = list(agreement_annotators) if agreement_annotators is not None else [a for a in present if a != CONSENSUS]
    if len(chosen) < 2:
        text = (
            f"Inter-coder agreement needs at least two annotators who coded the same documents; "
            f"found {len(chosen)} ({', '.join(chosen) or 'none'}). Have a second coder code some "
            "interviews (or pass agreement_annotators=...), then export again."
        )
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    try:
        from ..reliability import describe, disagreements, intercoder_agreement
    except ImportError:  # pragma: no cover - the module ships with qualcode
        text = "Inter-coder agreement is not available in this installation (qualcode.reliability missing)."
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    try:
        agr = intercoder_agreement(data, annotators=chosen, unit=unit, by="both", bootstrap=bootstrap)
        dis = disagreements(data, annotators=chosen, unit=unit)
    except QualcodeError as exc:  # e.g. no document coded by every coder yet: the rest still exports
        text = f"No inter-coder agreement computed. {exc}"
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    note = describe(agr).replace("\n", ". ") + "."
    formats = {c: "0.000" for c in agr.columns if pd.api.types.is_float_dtype(agr[c])}
    d_note = (
        f"Every {unit} where the annotators ({', '.join(chosen)}) differ: the text and each annotator's codes. "
        + (f"Unit: {dis.attrs['unit']}. " if "unit" in dis.attrs else "")
        + (f"Documents: {dis.attrs['scope']}." if "scope" in dis.attrs else "")
    )
    wrap = [c for c in dis.columns if c in ("text", "quote")]
    return (
        _Sheet("Inter-coder agreement", agr.reset_index(drop=True), note, formats=formats),
        _Sheet("Disagreements", dis.reset_index(drop=True), d_note, max_width={c: 70 for c in wrap}),
    )


def codings_table(data: AnalysisData, annotators: Sequence[str] | None = None) -> pd.DataFrame:
    """The tidy long table of codings: one row per coding, ordered by participant,
    document and position.  Columns: participant (label), document, start, end, quote,
    code (id), code_label, code_path ("Main > Sub > Code"), theme (main theme label),
    cross_cutting (labels joined by "; "), annotator, memo, created."""
    x = reports._coded(data, annotators)
    c = x.data.codings
    cb = x.data.codebook
    idx = x.idx
    order = np.lexsort((x.ann, x.code, x.end, x.start, x.doc, np.where(x.part >= 0, x.part, len(x.parts))))
    labels = dict(zip(x.data.participants["participant"].astype(str), x.data.participants["label"].astype(str)))
    part_names = np.array([labels.get(p, p) for p in x.parts] + [""], dtype=object)
    codes = np.asarray(idx.code_order, dtype=object)
    path = np.array([cb.code_path_labels(k) if k in cb.codes else k for k in idx.code_order], dtype=object)
    main = np.array(
        [cb.themes[idx.code_path[k][0]].label if idx.code_path[k] else "" for k in idx.code_order], dtype=object
    )
    cross = np.array(
        [
            "; ".join(cb.cross_cutting[x_].label for x_ in cb.cross_cutting_of(k)) if k in cb.codes else ""
            for k in idx.code_order
        ],
        dtype=object,
    )
    label = np.array([idx.code_label[k] for k in idx.code_order], dtype=object)
    code_i = x.code[order]

    def col(name: str) -> pd.Series:
        return c[name].iloc[order].reset_index(drop=True) if name in c.columns else pd.Series([None] * len(order))

    return pd.DataFrame(
        {
            "participant": part_names[np.where(x.part[order] >= 0, x.part[order], len(x.parts))],
            "document": col("document"),
            "start": x.start[order],
            "end": x.end[order],
            "quote": col("quote"),
            "code": codes[code_i],
            "code_label": label[code_i],
            "code_path": path[code_i],
            "theme": main[code_i],
            "cross_cutting": cross[code_i],
            "annotator": col("annotator"),
            "memo": col("memo"),
            "created": col("created_at"),
        }
    )


MEMO_KIND_ORDER = {"project": 0, "document": 1, "code": 2, "coding": 3}


def memos_table(data: AnalysisData) -> pd.DataFrame:
    """Every memo in the bundle, one row each: the project's, each interview's, each code's and
    each coding's (a coding's memo with its quote).  Columns: kind, about (the interview, the
    code's label or "the project"), participant, code (label), quote, author, title, memo,
    created, updated."""
    cb = data.codebook
    labels = {tid: t.label for tid, t in cb.themes.items()}
    labels.update({cid: c.label for cid, c in cb.codes.items()})
    participant_of = dict(zip(data.documents["document"].astype(str), data.documents["participant"]))
    names = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))

    def participant(document: Any) -> str:
        pid = participant_of.get(str(document))
        return names.get(str(pid), str(pid)) if pid is not None and not pd.isna(pid) else ""

    rows: list[dict[str, Any]] = []
    for m in data.memos.itertuples(index=False):
        kind, target = str(m.kind), m.target
        about = "the project" if kind == "project" else str(target)
        code = labels.get(str(target), str(target)) if kind == "code" else ""
        rows.append(
            {
                "kind": kind,
                "about": code or about,
                "participant": participant(target) if kind == "document" else "",
                "code": code,
                "quote": "",
                "author": m.author,
                "title": m.title,
                "memo": m.text,
                "created": m.created_at,
                "updated": m.updated_at,
                "_order": (MEMO_KIND_ORDER[kind], about, str(m.created_at)),
            }
        )
    codings = data.codings
    if "memo" in codings.columns and len(codings):
        with_memo = codings.loc[codings["memo"].fillna("").astype(str).str.strip() != ""]
        for c in with_memo.itertuples(index=False):
            rows.append(
                {
                    "kind": "coding",
                    "about": str(c.document),
                    "participant": participant(c.document),
                    "code": labels.get(str(c.code), str(c.code)),
                    "quote": c.quote,
                    "author": c.annotator,
                    "title": "",
                    "memo": c.memo,
                    "created": c.created_at,
                    "updated": None,
                    "_order": (MEMO_KIND_ORDER["coding"], str(c.document), f"{int(c.start):012d}"),
                }
            )
    rows.sort(key=lambda r: r["_order"])
    columns = ["kind", "about", "participant", "code", "quote", "author", "title", "memo", "created", "updated"]
    return pd.DataFrame([{k: r[k] for k in columns} for r in rows], columns=columns)


def _memos_sheet(data: AnalysisData) -> _Sheet:
    df = memos_table(data)
    note = (
        "Memos: the project's, each interview's, each code's and each coding's (with the coded quote), "
        "one row each, as written in qualcode (Memos page, 'qualcode memo'). "
        + ("No memos yet." if df.empty else f"{len(df)} memo(s).")
    )
    return _Sheet(
        "Memos",
        df,
        note,
        headers=["Kind", "About", "Participant", "Code", "Quote", "Author", "Title", "Memo", "Created", "Updated"],
        wrap=["quote", "memo", "title"] if len(df) <= 2000 else [],
        max_width={"about": 30, "code": 30, "quote": 50, "title": 30, "memo": 70},
    )


def _about_sheet(data: AnalysisData, sheets: Sequence[_Sheet], annotators: Sequence[str] | None) -> _Sheet:
    rows = [{"sheet": s.title, "what it shows": s.note} for s in sheets]
    rows.append(
        {
            "sheet": "(definitions)",
            "what it shows": "Excerpt = a distinct coded span (document, start, end): two annotators coding the same span, "
            "or one span coded with two codes of one theme, count once for that theme. Uncoded text is "
            "never counted. See docs/methods.md, 'Counts, themes and expert consensus'.",
        }
    )
    rows.append(
        {
            "sheet": "(selection)",
            "what it shows": f"Counts use the codings of: {', '.join(annotators) if annotators else 'all annotators'}. "
            f"Written {_dt.datetime.now().astimezone().isoformat(timespec='seconds')} by qualcode.",
        }
    )
    return _Sheet(
        "About",
        pd.DataFrame(rows),
        "What each sheet counts.",
        headers=["Sheet", "What it shows"],
        wrap=["what it shows"],
        max_width={"what it shows": 110, "sheet": 24},
    )


def export_workbook(
    data: AnalysisData,
    path: str | os.PathLike,
    *,
    annotators: Iterable[str] | None = None,
    agreement_annotators: Iterable[str] | None = None,
    unit: str = "sentence",
    max_quotes: int = 3,
    bootstrap: int = 1000,
    framework_summaries: Any = None,
) -> Path:
    """Write the appendix workbook to ``path`` and return it.

    ``annotators`` selects the codings counted everywhere except the agreement sheets
    (e.g. ``["consensus"]``); ``agreement_annotators`` the coders compared on the
    agreement and disagreement sheets (default: every annotator except "consensus");
    ``unit`` the unit of agreement and co-occurrence ("sentence", "paragraph", "turn";
    co-occurrence falls back to overlap when documents lack those segments);
    ``max_quotes`` the example quotes per code in the Codebook sheet; ``bootstrap`` the
    bootstrap samples for Krippendorff's alpha's interval; ``framework_summaries`` the team's
    summaries for the Framework matrix sheet (``Project.framework_summaries()``).
    """

    def write(final: Path) -> None:
        with open(final, "wb") as fh:
            _write_workbook(
                fh,
                data,
                annotators=annotators,
                agreement_annotators=agreement_annotators,
                unit=unit,
                max_quotes=max_quotes,
                bootstrap=bootstrap,
                framework_summaries=framework_summaries,
            )

    return atomic_write(Path(path), write)  # never leave a half-written workbook behind


def workbook_bytes(
    data: AnalysisData,
    *,
    annotators: Iterable[str] | None = None,
    agreement_annotators: Iterable[str] | None = None,
    unit: str = "sentence",
    max_quotes: int = 3,
    bootstrap: int = 1000,
    framework_summaries: Any = None,
) -> bytes:
    """The appendix workbook of :func:`export_workbook` as bytes, built in memory (no files)."""
    buffer = io.BytesIO()
    _write_workbook(
        buffer,
        data,
        annotators=annotators,
        agreement_annotators=agreement_annotators,
        unit=unit,
        max_quotes=max_quotes,
        bootstrap=bootstrap,
        framework_summaries=framework_summaries,
    )
    return buffer.getvalue()


def _write_workbook(
    target: IO[bytes],
    data: AnalysisData,
    *,
    annotators: Iterable[str] | None,
    agreement_annotators: Iterable[str] | None,
    unit: str,
    max_quotes: int,
    bootstrap: int,
    framework_summaries: Any = None,
) -> None:
    ann = [annotators] if isinstance(annotators, str) else (list(annotators) if annotators is not None else None)
    agr_ann = (
        [agreement_annotators]
        if isinstance(agreement_annotators, str)
        else (list(agreement_annotators) if agreement_annotators is not None else None)
    )
    reports._select(data, ann)  # fail early, with a clear message, on an unknown annotator
    sheets = [
        _interviewees(data),
        _codebook_sheet(data, ann, max_quotes),
        _matrix_sheet(data, ann, presence=False),
        _matrix_sheet(data, ann, presence=True),
        _frequencies_sheet(data, ann),
        _cooccurrence_sheet(data, ann, unit),
    ]
    sheets += list(_agreement_sheets(data, agr_ann, unit, bootstrap))
    sheets.append(_saturation_sheet(data, ann))
    sheets.append(_framework_sheet(data, ann, framework_summaries))
    sheets.append(
        _Sheet(
            "Codings",
            codings_table(data, ann),
            "One row per coding (tidy long table). start/end: character offsets into the "
            "normalised transcript, end exclusive. code_path: theme > sub-theme > code.",
            max_width={"quote": 60, "code_path": 50, "memo": 40, "code_label": 30},
        )
    )
    sheets.append(_memos_sheet(data))
    sheets.append(_about_sheet(data, sheets, ann))

    wb = Workbook(write_only=True)
    styles = _styles()
    for st in styles.values():
        wb.add_named_style(st)
    bulks = [b for b in (_write_sheet(wb, sheet, styles) for sheet in sheets) if b is not None]
    skeleton = io.BytesIO()  # openpyxl's package without the bulk sheets' rows (small)
    wb.save(skeleton)
    skeleton.seek(0)
    _stream_rows(skeleton, target, bulks)


__all__ = ["export_workbook", "workbook_bytes", "codings_table", "memos_table", "CODINGS_COLUMNS", "SHEETS"]
