"""Participants as Cases and their attributes as typed Variables."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
from lxml import etree

from ..frames import PARTICIPANT_COLUMNS, AnalysisData, is_missing
from .guids import GuidMap
from .options import ExportOptions
from .qdc import _sub


def _clean(value: Any) -> Any:
    """None for missing values (None/NaN/NaT), plain Python scalars otherwise."""
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value


def _integers_with_gaps(column: pd.Series) -> pd.Series:
    """An integer attribute with missing values comes out of pandas as floats (34.0, NaN):
    give it back its integers, so it is exported as Integer, not Float."""
    if column.dtype.kind != "f" or not column.isna().any():
        return column
    present = column.dropna()
    if len(present) and all(float(v).is_integer() for v in present):
        return pd.Series([None if pd.isna(v) else int(v) for v in column], index=column.index, dtype=object)
    return column


def variable_type(values: Iterable[Any]) -> str:
    """REFI typeOfVariable for a participant attribute's (non-missing) values.

    ISO dates kept as text (as a database or spreadsheet returns them) count as dates.

    >>> variable_type([1, 2]), variable_type([1, 2.5]), variable_type(["a", 1])
    ('Integer', 'Float', 'Text')
    >>> variable_type(["2024-03-01", dt.date(2024, 1, 2)])
    'Date'
    """
    items = [v for v in values if v is not None]
    if not items:
        return "Text"
    if all(isinstance(v, bool) for v in items):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return "Integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in items):
        return "Float"
    if all(isinstance(v, dt.datetime) for v in items):
        return "DateTime"
    if all((isinstance(v, dt.date) and not isinstance(v, dt.datetime)) or _iso_date(v) for v in items):
        return "Date"
    return "Text"


def _iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return False
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _value_text(kind: str, value: Any) -> tuple[str, str]:
    if kind == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":
        # xsd:decimal has no exponent notation: write the shortest exact digits in full
        return "FloatValue", format(Decimal(repr(float(value))), "f")
    if kind == "DateTime":
        return "DateTimeValue", value.isoformat()
    if kind == "Date":
        return "DateValue", value.strip() if isinstance(value, str) else value.isoformat()
    return "TextValue", str(value)


def _variables_element(
    root: etree._Element, ns: str, data: AnalysisData, options: ExportOptions, ids: GuidMap
) -> dict[str, str]:
    """Participant attributes and the source variables of imported documents as Variables;
    returns each variable's type (over all its case and source values)."""
    participants = data.participants
    values: dict[str, list[Any]] = {str(c): [] for c in participants.columns if c not in PARTICIPANT_COLUMNS}
    for col in list(values):
        values[col] += [_clean(v) for v in _integers_with_gaps(participants[col])]
    for variables in options.source_variables.values():
        for name, value in variables.items():
            values.setdefault(name, []).append(_clean(value))
    kinds = {name: variable_type(found) for name, found in values.items()}
    if kinds:
        variables_el = _sub(root, ns, "Variables")
        for name, kind in kinds.items():
            _sub(variables_el, ns, "Variable", {"guid": ids("variable", name), "name": name, "typeOfVariable": kind})
    return kinds


def _variable_value(parent: etree._Element, ns: str, name: str, kind: str, value: Any, ids: GuidMap) -> None:
    vv = _sub(parent, ns, "VariableValue")
    _sub(vv, ns, "VariableRef", {"targetGUID": ids("variable", name)})
    tag, text = _value_text(kind, value)
    _sub(vv, ns, tag, text=text)


def _cases_elements(root: etree._Element, ns: str, data: AnalysisData, ids: GuidMap, kinds: dict[str, str]) -> None:
    """Participants become Cases, with one VariableValue per attribute and a SourceRef per document."""
    participants = data.participants
    attr_columns = [str(c) for c in participants.columns if c not in PARTICIPANT_COLUMNS]
    docs_of: dict[str, list[str]] = {}
    for row in data.documents.itertuples(index=False):
        if _clean(row.participant) is not None:
            docs_of.setdefault(str(row.participant), []).append(str(row.document))
    if not len(participants):
        return
    cases_el = _sub(root, ns, "Cases")
    for record in participants.to_dict("records"):
        pid = str(record["participant"])
        case = _sub(cases_el, ns, "Case", {"guid": ids("case", pid), "name": pid})
        label = _clean(record.get("label"))
        if label is not None and str(label) != pid:
            _sub(case, ns, "Description", text=str(label))
        for col in attr_columns:
            value = _clean(record.get(col))
            if value is not None:
                value = int(value) if kinds[col] == "Integer" else value
                _variable_value(case, ns, col, kinds[col], value, ids)
        for document in docs_of.get(pid, []):
            _sub(case, ns, "SourceRef", {"targetGUID": ids("source", document)})
