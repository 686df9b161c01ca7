"""Text as Excel must get it: control characters removed, long text cut, formula-looking text
kept as text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

EXCEL_CELL_MAX = 32767
RISKY_PREFIXES = ("=", "+", "-", "@")
_ILLEGAL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


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
