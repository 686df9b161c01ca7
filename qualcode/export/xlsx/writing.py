"""Writing one sheet (:class:`_Sheet`): named styles, header, widths, print setup, merged runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties

from .stream import _Bulk, _style_id
from .text import _column_values, _text_cell


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
    last = get_column_letter(max(n_cols, 1))
    _sheet_layout(ws, sheet, headers, n_rows, last)
    ws.append(_header_cells(ws, sheet, headers, styles))

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
    columns = [_column_cells(ws, sheet, col, styles) for col in df.columns]
    if sheet.merge:
        _merge_runs(ws, df, sheet.merge, styles)
        for col in sheet.merge:
            j = list(df.columns).index(col)
            columns[j] = _blank_repeats(df[col], columns[j])
    for row in zip(*columns):
        ws.append(row)
    return None


def _sheet_layout(ws: Any, sheet: _Sheet, headers: list[str], n_rows: int, last: str) -> None:
    """Column widths, frozen panes, the filter over the table and the print setup."""
    for i, width in enumerate(_widths(sheet, headers), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = sheet.freeze
    ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    _print_setup(ws, sheet.title, len(headers), n_rows)


def _header_cells(ws: Any, sheet: _Sheet, headers: list[str], styles: dict[str, NamedStyle]) -> list[Any]:
    """The header row: text cells in the header style, the sheet's note on the first."""
    head_cells = []
    for i, text in enumerate(headers):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.style = styles["header"]
        if i == 0 and sheet.note:
            cell.comment = Comment(sheet.note, "qualcode", width=420, height=160)
        head_cells.append(cell)
    return head_cells


def _column_cells(ws: Any, sheet: _Sheet, col: Any, styles: dict[str, NamedStyle]) -> list[Any]:
    """One column's values, as cells where they need a text type, a style, a number format or a note."""
    values, risky = _column_values(sheet.df[col])
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
    return values


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
