"""The whole workbook, to a path (:func:`export_workbook`) or as bytes (:func:`workbook_bytes`)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

from ... import reports
from ...fileio import atomic_write
from ...frames import AnalysisData
from .memos import _memos_sheet
from .sheets import (
    _about_sheet,
    _agreement_sheets,
    _codebook_sheet,
    _cooccurrence_sheet,
    _framework_sheet,
    _frequencies_sheet,
    _interviewees,
    _matrix_sheet,
    _saturation_sheet,
    codings_table,
)
from .stream import _stream_rows
from .writing import _Sheet, _styles, _write_sheet


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
