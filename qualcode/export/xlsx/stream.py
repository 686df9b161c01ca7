"""Streaming big tables straight into the workbook's XML (openpyxl's write-only mode is too slow
for hundreds of thousands of rows)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd
from defusedxml import ElementTree as ET
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from .text import _text_values


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
