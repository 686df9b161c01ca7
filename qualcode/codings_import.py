"""Codings spreadsheets (CSV or XLSX) → validated :class:`~qualcode.model.Coding` rows.

This is how a team that coded in Google Docs/Sheets brings its work in.  Columns (header
names are case-insensitive; order is free):

``participant`` or ``document``   which transcript (a participant id with exactly one document is enough)
``quote`` and/or ``start``,``end`` the coded text (anchored by quote) or code-point offsets
``code``                           code id, label or alias
``annotator``                      who coded it (default: the importing user)
``memo``                           optional note

Only the first 64 columns are read, and at most 200,000 non-empty rows are accepted; an
.xlsx file's stored sheet dimension is ignored (it may be stale or absurd).
Every row is checked before anything is stored; all problems are reported together with
their row numbers, and the caller stores the rows in one transaction (all or nothing).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .anchor import anchor_quote
from .errors import InputFileError, Problem, did_you_mean, valid_list
from .model import Codebook, Coding

MAX_SHEET_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 64  # a codings sheet needs 8; cells further right are not read (a hostile sheet may reach XFD)
MAX_ROWS = 200_000  # non-empty rows in one sheet
EXCEL_MAX_ROW = 1_048_576
KNOWN_COLUMNS = ("participant", "document", "quote", "start", "end", "code", "annotator", "memo")


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: value}) for every non-empty data row; the header is row 1."""
    table = _read_table(path)
    if not table or not any(c.strip() for c in table[0]):
        raise InputFileError(
            Problem(
                "The spreadsheet is empty or has no header row.",
                path=str(path),
                row=1,
                hint=f"The first row must name the columns, e.g. {', '.join(KNOWN_COLUMNS)}.",
            )
        )
    header = [h.strip().lower() for h in table[0]]
    problems = _header_problems(table[0], header, path)
    if problems:
        raise InputFileError(problems)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        rows.append((number, {h: (str(cells[i]) if i < len(cells) else "") for i, h in enumerate(header) if h}))
    return rows


def _read_table(path: Path) -> list[list[str]]:
    """The sheet's cells, row by row: a CSV or Excel file of at most ``MAX_SHEET_BYTES``."""
    if path.stat().st_size > MAX_SHEET_BYTES:
        raise InputFileError(
            Problem(
                f"The spreadsheet is larger than {MAX_SHEET_BYTES // 2**20} MB.",
                path=str(path),
                hint="Split it into several files.",
            )
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_table(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_table(path)
    raise InputFileError(
        Problem(f"Unsupported spreadsheet type '{suffix}'.", path=str(path), hint="Use .csv or .xlsx.")
    )


def _csv_table(path: Path) -> list[list[str]]:
    """A CSV file's cells (any common encoding), its problems in the words of a spreadsheet."""
    from .importers.encoding import decode_text

    try:
        text = decode_text(path.read_bytes(), path)
    except InputFileError as exc:  # the decoder speaks of transcripts; this is a spreadsheet
        raise InputFileError(
            [
                dataclasses.replace(
                    p,
                    message=p.message.replace("a text transcript", "a CSV file").replace("transcript", "CSV file"),
                    hint="Save the spreadsheet as CSV (comma-separated, UTF-8), or as .xlsx.",
                )
                for p in exc.problems
            ]
        ) from None
    reader = csv.reader(io.StringIO(text))
    try:
        return _bounded_table(reader, path)
    except csv.Error as exc:
        raise InputFileError(
            Problem(
                f"Not a valid CSV file: {exc}.",
                path=str(path),
                line=reader.line_num or None,
                hint="Save it as CSV (comma-separated, UTF-8).",
            )
        ) from None


def _header_problems(names: list[str], header: list[str], path: Path) -> list[Problem]:
    """What is wrong with the header row (``names`` as written, ``header`` normalised):
    unknown columns, and the columns a coding cannot do without."""
    problems = []
    for i, h in enumerate(header):
        if h and h not in KNOWN_COLUMNS:
            problems.append(
                Problem(
                    f"Unknown column '{names[i]}'.",
                    path=str(path),
                    row=1,
                    field=names[i],
                    hint=(did_you_mean(h, KNOWN_COLUMNS) or "") + f" Known columns: {valid_list(KNOWN_COLUMNS)}.",
                )
            )
    if "code" not in header:
        problems.append(
            Problem(
                "The column 'code' is missing.",
                path=str(path),
                row=1,
                hint="Add a column 'code' with code ids or labels.",
            )
        )
    if "quote" not in header and not {"start", "end"} <= set(header):
        problems.append(
            Problem(
                "Neither a 'quote' column nor 'start' and 'end' columns.",
                path=str(path),
                row=1,
                hint="Add the coded text as 'quote' (or offsets as 'start' and 'end').",
            )
        )
    if "participant" not in header and "document" not in header:
        problems.append(
            Problem(
                "Neither a 'participant' nor a 'document' column.",
                path=str(path),
                row=1,
                hint="Say which transcript each row belongs to.",
            )
        )
    return problems


_EMPTY_ROW: list[str] = []  # shared by blank rows, which keep their place for row numbers


def _bounded_table(rows: Iterable[Sequence[Any]], path: Path) -> list[list[str]]:
    """Rows as text cells, cut to MAX_COLUMNS columns; refuse more than MAX_ROWS non-empty rows."""
    table: list[list[str]] = []
    filled = 0
    for number, row in enumerate(rows, start=1):
        cells = ["" if v is None else str(v) for v in row[:MAX_COLUMNS]]
        if not any(c.strip() for c in cells):
            table.append(_EMPTY_ROW)
            continue
        filled += 1
        if filled > MAX_ROWS + 1:  # data rows plus the header
            raise InputFileError(
                Problem(
                    f"The spreadsheet has more than {MAX_ROWS:,} rows.",
                    path=str(path),
                    row=number,
                    hint="Split it into several files.",
                )
            )
        table.append(cells)
    return table


def _xlsx_table(path: Path) -> list[list[str]]:
    import zipfile
    import zlib

    import openpyxl

    from .safezip import open_zip_safely

    open_zip_safely(path).close()  # refuse zip bombs and hostile members before openpyxl reads it
    # openpyxl parses lazily (rows are read while iterating) and reports damaged parts with
    # whatever its XML parser or constructors raise (SyntaxError covers lxml's and
    # ElementTree's parse errors): all of them mean "not a readable workbook".
    damaged = (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        ValueError,
        OSError,
        SyntaxError,
        IndexError,
        TypeError,
        AttributeError,
    )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            # The stored dimension may be stale (rows past it would be dropped silently) or huge
            # (every row padded to column XFD): read the real cells, at most MAX_COLUMNS wide.
            ws.reset_dimensions()
            return _bounded_table(ws.iter_rows(max_col=MAX_COLUMNS, max_row=EXCEL_MAX_ROW, values_only=True), path)
        finally:
            wb.close()
    except damaged as exc:
        reason = str(exc).split("\n", 1)[0]
        raise InputFileError(
            Problem(
                f"Not a readable .xlsx workbook ({type(exc).__name__}: {reason}).",
                path=str(path),
                hint="Open it in Excel or LibreOffice and save it again as .xlsx.",
            )
        ) from None


def resolve_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    path: str,
    codebook: Codebook,
    texts: Mapping[str, str],
    documents_of: Mapping[str, list[str]],
    default_annotator: str,
) -> tuple[list[Coding], list[int]]:
    """Turn spreadsheet rows into codings; raise one InputFileError listing every bad row."""
    problems: list[Problem] = []
    codings: list[Coding] = []
    row_numbers: list[int] = []
    code_names = list(codebook.codes) + [c.label for c in codebook.codes.values()]
    for number, row in rows:
        try:
            doc = _row_document(row, texts, documents_of)
            code = _row_code(row, codebook, code_names)
            start, end = _row_span(row, texts[doc], doc)
        except _BadRow as bad:
            problems.append(Problem(bad.message, path=path, row=number, field=bad.field, hint=bad.hint))
            continue
        annotator = (row.get("annotator") or "").strip() or default_annotator
        codings.append(Coding(doc, start, end, code, annotator, (row.get("memo") or "").strip(), "imported"))
        row_numbers.append(number)
    if problems:
        raise InputFileError(problems)
    return codings, row_numbers


class _BadRow(Exception):
    """The first problem of one spreadsheet row (resolve_rows reports it with the row number)."""

    def __init__(self, message: str, field: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.hint = message, field, hint


def _row_document(row: Mapping[str, str], texts: Mapping[str, str], documents_of: Mapping[str, list[str]]) -> str:
    """The row's document: named, or the one document of the named participant."""
    doc = (row.get("document") or "").strip()
    participant = (row.get("participant") or "").strip()
    if doc:
        if doc not in texts:
            raise _BadRow(
                f"Unknown document '{doc}'.",
                "document",
                (did_you_mean(doc, texts) or "") + f" Known documents: {valid_list(texts)}.",
            )
        return doc
    if not participant:
        raise _BadRow("No participant or document given.", "participant")
    docs = documents_of.get(participant, [])
    if not docs:
        raise _BadRow(
            f"Unknown participant '{participant}'.",
            "participant",
            (did_you_mean(participant, documents_of) or "") + f" Known participants: {valid_list(documents_of)}.",
        )
    if len(docs) != 1:
        raise _BadRow(
            f"Participant '{participant}' has {len(docs)} documents ({', '.join(docs)}).",
            "participant",
            "Add a 'document' column to say which one.",
        )
    return docs[0]


def _row_code(row: Mapping[str, str], codebook: Codebook, code_names: list[str]) -> str:
    """The row's code id, from an id or a label."""
    raw_code = (row.get("code") or "").strip()
    code = codebook.resolve(raw_code) if raw_code else None
    if code is None:
        raise _BadRow(
            f"Unknown code '{raw_code}'." if raw_code else "The code is empty.",
            "code",
            did_you_mean(raw_code, code_names) if raw_code else "Give a code id or label.",
        )
    return code


def _row_span(row: Mapping[str, str], text: str, doc: str) -> tuple[int, int]:
    """The row's span in ``text``: its offsets (re-anchored when its quote moved), else its quote found."""
    quote = row.get("quote") or ""
    start_s, end_s = (row.get("start") or "").strip(), (row.get("end") or "").strip()
    if start_s or end_s:
        try:
            start, end = int(start_s), int(end_s)
        except ValueError:
            raise _BadRow(f"Offsets '{start_s}'/'{end_s}' are not whole numbers.", "start/end") from None
        if not (0 <= start < end <= len(text)):
            raise _BadRow(
                f"Offsets {start}–{end} are outside document '{doc}' (length {len(text)}).",
                "start/end",
                "Offsets are code points, start < end ≤ length.",
            )
        if quote.strip() and " ".join(text[start:end].split()) != " ".join(quote.split()):
            span = anchor_quote(text, quote, near=start)
            if span is None:
                raise _BadRow(
                    f"The quote does not match the text at {start}–{end} of '{doc}' and is not found elsewhere.",
                    "quote",
                )
            return span
        return start, end
    if not quote.strip():
        raise _BadRow("The quote is empty.", "quote", "Copy the coded text into the 'quote' column.")
    span = anchor_quote(text, quote)
    if span is None:
        preview = quote.strip()[:60]
        raise _BadRow(
            f"Quote '{preview}…' not found in document '{doc}'.",
            "quote",
            "Check the participant/document and that the quote is copied exactly.",
        )
    return span


__all__ = ["read_rows", "resolve_rows", "KNOWN_COLUMNS"]
