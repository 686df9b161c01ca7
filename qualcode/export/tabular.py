"""Plain-text renderings of report DataFrames (CLI output, CSV, JSON, Markdown).

Spreadsheet programs evaluate a cell typed or imported from CSV as a formula when it
starts with ``=``, ``+``, ``-`` or ``@`` (and some also after a tab or carriage return):
"CSV injection".  Interview text and memos are user data, so every CSV we write passes
text through :func:`neutralise_formula`.  Numbers are never changed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import IO, Any

import numpy as np
import pandas as pd

from ..frames import is_missing

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("table", "csv", "json", "markdown")


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a single quote.

    >>> neutralise_formula("=SUM(A1:A9)")
    "'=SUM(A1:A9)"
    >>> neutralise_formula("-check this"), neutralise_formula("@user"), neutralise_formula("\\tx")
    ("'-check this", "'@user", "'\\tx")
    >>> neutralise_formula("plain text"), neutralise_formula(-3), neutralise_formula(2.5)
    ('plain text', -3, 2.5)
    >>> neutralise_formula(None) is None
    True
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _neutralise_labels(index: pd.Index) -> pd.Index:
    """Column or row labels (headers) with formula-looking text neutralised, names too."""
    if isinstance(index, pd.MultiIndex):
        levels = [_neutralise_labels(level) for level in index.levels]
        return index.set_levels(levels).set_names([neutralise_formula(n) for n in index.names])
    if isinstance(index, pd.RangeIndex) or not any(isinstance(v, str) for v in index):
        return index.rename(neutralise_formula(index.name)) if isinstance(index.name, str) else index
    return pd.Index([neutralise_formula(v) for v in index], name=neutralise_formula(index.name), dtype=index.dtype)


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell, column header and row label passed through
    :func:`neutralise_formula` (cells vectorised).

    >>> frame = neutralise_frame(pd.DataFrame({"=HYPERLINK(x)": ["@SUM(1)", "ok"], "n": [1, -2]}, index=["-a", "b"]))
    >>> list(frame.columns), frame.iloc[:, 0].tolist(), frame["n"].tolist(), list(frame.index)
    (["'=HYPERLINK(x)", 'n'], ["'@SUM(1)", 'ok'], [1, -2], ["'-a", 'b'])
    """
    out = df.copy()
    out.columns = _neutralise_labels(out.columns)
    out.index = _neutralise_labels(out.index)
    for position in range(out.shape[1]):
        s = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        is_text = s.map(lambda v: isinstance(v, str)) if s.dtype == object else s.notna()
        text = s.where(is_text, "").astype(str)
        risky = is_text & text.str.startswith(FORMULA_PREFIXES)
        if risky.any():
            out.isetitem(position, s.astype(object).where(~risky, "'" + text))
    return out


def to_csv(
    df: pd.DataFrame, path_or_buf: str | os.PathLike | IO[str] | None = None, *, index: bool = False
) -> str | None:
    """Write ``df`` as UTF-8 CSV with formula-looking text neutralised.

    Returns the CSV text when ``path_or_buf`` is None (like ``DataFrame.to_csv``).
    """
    safe = neutralise_frame(df.reset_index() if index else df)
    # Minimal quoting does not quote a lone "\r" when lines end in "\n", and readers then
    # split the row there: quote every text cell in that (rare) case.
    has_cr = any(
        safe[c].map(lambda v: isinstance(v, str) and "\r" in v).any()
        for c in safe.columns
        if not pd.api.types.is_numeric_dtype(safe[c])
    )
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    if isinstance(path_or_buf, (str, os.PathLike)):
        safe.to_csv(path_or_buf, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)
        return None
    return safe.to_csv(path_or_buf, index=False, lineterminator="\n", quoting=quoting)


def _cell(value: Any) -> str:
    """Text for one cell: integers plainly, floats with 3 decimals, missing as ""."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return f"{value:.3f}" if not float(value).is_integer() else f"{value:.1f}"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _frame_for_text(df: pd.DataFrame) -> pd.DataFrame:
    """Keep a meaningful index (e.g. participant labels of a matrix) as a first column."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df
    return df.reset_index()


def to_table(df: pd.DataFrame, max_width: int = 60) -> str:
    """A fixed-width text table: header, dashed rule, right-aligned numbers, long text cut
    at ``max_width`` characters with "…".

    >>> print(to_table(pd.DataFrame({"code": ["a", "bb"], "n": [3, 12]})))
    code   n
    ----  --
    a      3
    bb    12
    """
    df = _frame_for_text(df)
    cols = [str(c) for c in df.columns]
    numeric = [_is_numeric(df[c]) for c in df.columns]
    body = [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]

    def cut(text: str) -> str:
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cut(v) for v in row] for row in body]
    widths = [max([len(cols[i])] + [len(r[i]) for r in body]) for i in range(len(cols))]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    return "\n".join(out)


def to_markdown(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped).

    >>> print(to_markdown(pd.DataFrame({"theme": ["A|B"], "n": [2]})))
    | theme | n |
    | --- | ---: |
    | A\\|B | 2 |
    """
    df = _frame_for_text(df)
    numeric = [_is_numeric(df[c]) for c in df.columns]

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    head = "| " + " | ".join(esc(str(c)) for c in df.columns) + " |"
    rule = "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"
    rows = ["| " + " | ".join(esc(_cell(v)) for v in row) + " |" for row in df.itertuples(index=False, name=None)]
    return "\n".join([head, rule] + rows)


def _json_value(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if is_missing(value):
        return None
    if isinstance(value, (str, int, bool, list, dict)):
        return value
    return str(value)


def to_json(df: pd.DataFrame) -> str:
    """JSON records (one object per row; NaN → null).

    >>> to_json(pd.DataFrame({"code": ["a"], "share": [float("nan")]}))
    '[{"code": "a", "share": null}]'
    """
    df = _frame_for_text(df)
    cols = [str(c) for c in df.columns]
    records = [{c: _json_value(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False, name=None)]
    return json.dumps(records, ensure_ascii=False)


def render(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render a report for the terminal or a pipe: "table" | "csv" | "json" | "markdown"."""
    if fmt == "table":
        return to_table(df)
    if fmt == "csv":
        buf = io.StringIO()
        to_csv(_frame_for_text(df), buf)
        return buf.getvalue()
    if fmt == "json":
        return to_json(df)
    if fmt == "markdown":
        return to_markdown(df)
    from ..errors import Problem, QualcodeError, did_you_mean

    raise QualcodeError(
        Problem(
            f"Unknown output format '{fmt}'.",
            field="format",
            hint=did_you_mean(fmt, FORMATS) or f"Use one of: {', '.join(FORMATS)}.",
        )
    )


__all__ = [
    "FORMULA_PREFIXES",
    "FORMATS",
    "neutralise_formula",
    "neutralise_frame",
    "to_csv",
    "to_table",
    "to_markdown",
    "to_json",
    "render",
]
