"""Exports of analysis results: the Excel appendix workbook and plain-text tables.

``export_workbook`` is imported lazily so that the CLI's text rendering does not pay
for openpyxl.
"""

from __future__ import annotations

from typing import Any

from .tabular import neutralise_formula, render, to_csv, to_json, to_markdown, to_table


def export_workbook(*args: Any, **kwargs: Any):
    """See :func:`qualcode.export.xlsx.export_workbook`."""
    from .xlsx import export_workbook as _export

    return _export(*args, **kwargs)


__all__ = ["export_workbook", "neutralise_formula", "render", "to_csv", "to_json", "to_markdown", "to_table"]
